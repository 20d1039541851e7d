"""The layers of DESIGN.md: imports point only down.

Parses every module of our apps and checks which of our apps it imports.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUR_APPS = {"core", "wallet", "community", "property_mgmt", "merchants", "config"}
ALLOWED = {
    "core": set(),
    "wallet": {"core"},
    "community": {"core", "wallet"},
    "property_mgmt": {"core", "wallet", "community"},
    "merchants": {"core", "wallet", "community"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in OUR_APPS)
    return found


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_app_imports_only_layers_below_it(app):
    offenders = {}
    for path in (ROOT / app).rglob("*.py"):
        wrong = imported_apps(path) - ALLOWED[app] - {app}
        if wrong:
            offenders[str(path.relative_to(ROOT))] = sorted(wrong)
    assert offenders == {}


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from merchants.models import Shop\nimport community.services\n")
    assert imported_apps(bad) == {"merchants", "community"}
