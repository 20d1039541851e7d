"""Security settings and the guards around the pages: the deploy check and cookies of the
production profile, CSRF on every form, brute-force limits, and no secret in the tree.

What is tested elsewhere, and named in docs/security.md rather than repeated: five failed
logins to one account (tests/community/test_accounts.py), the token login's limit
(tests/core/test_api.py), the PIN lock (tests/wallet/test_parameters.py) and picture
uploads (tests/community/circles/test_images.py).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.views import APIView

from tests.conftest import missing
from tests.core.test_settings_profiles import production_env, run
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.security.matrix import url_patterns

ROOT = Path(__file__).resolve().parents[2]

DEPLOY_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
print(json.dumps({name: getattr(s, name) for name in %r}))
"""
COOKIE_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "DEBUG",
)


def test_production_profile_passes_the_deploy_check_with_locked_down_cookies():
    result = run(production_env(), "-c", DEPLOY_PROBE % (COOKIE_SETTINGS,))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        # The CSRF cookie stays readable as Django advises; our scripts take the token from
        # the form instead (merchants/static/merchants/payment_code.js).
        "CSRF_COOKIE_SAMESITE": "Lax",
        "LANGUAGE_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "DEBUG": False,
    }


@pytest.mark.django_db
def test_the_session_cookie_a_login_sets_is_httponly_and_same_site(client):
    UserFactory(phone="+8613612340001")
    response = client.post(
        reverse("account_login"), {"login": "13612340001", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- CSRF ----------------------------------------------------------------------------------

FORM = re.compile(r"<form\b(?P<attributes>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
POST_METHOD = re.compile(r"""method\s*=\s*["']?post""", re.I)


def template_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob("**/templates/**/*.html")
        if ".venv" not in path.parts and "staticfiles" not in path.parts
    )


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    files = template_files()
    assert len(files) > 50, "the templates were not found"
    forms = 0
    without: list[str] = []
    for path in files:
        for form in FORM.finditer(path.read_text(encoding="utf-8")):
            if POST_METHOD.search(form["attributes"]):
                forms += 1
                if "{% csrf_token %}" not in form["body"]:
                    without.append(f"{path.relative_to(ROOT)}: <form{form['attributes']}>")
    assert forms > 50
    assert without == []


def test_no_page_view_is_exempt_from_csrf():
    """DRF's views are exempt from Django's middleware but check CSRF themselves for session
    callers (SessionAuthentication); every other view goes through the middleware."""
    exempt = []
    for pattern in url_patterns():
        view_class = getattr(pattern.callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            continue
        if getattr(pattern.callback, "csrf_exempt", False):
            exempt.append(pattern.name)
    assert exempt == []


@pytest.fixture
def resident(db):
    return UserFactory(phone="+8613612340002", preferred_language="en")


# Pages and API calls that change something, posted by a signed-in browser.
CSRF_SAMPLE = [
    ("profile", {}),
    ("wallet-transfer", {}),
    ("estate-follow", {"estate_id": 1}),
    ("inbox-read-all", {}),
    ("account_logout", {}),
    ("api-wallet-freeze", {}),
    ("api-notifications-read-all", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), CSRF_SAMPLE)
def test_a_signed_in_post_without_the_csrf_token_is_refused(resident, name, kwargs):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(resident)
    url = reverse(name, kwargs=kwargs)
    assert browser.post(url).status_code == 403

    # The same post with the token gets past the check: the 403 above was CSRF's.
    browser.get(reverse("profile"))
    token = browser.cookies["csrftoken"].value
    answer = browser.post(url, {"csrfmiddlewaretoken": token}, HTTP_X_CSRFTOKEN=token)
    assert answer.status_code != 403


@pytest.mark.django_db
def test_the_login_form_without_the_csrf_token_is_refused():
    UserFactory(phone="+8613612340003")
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        reverse("account_login"), {"login": "13612340003", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


# --- Brute force ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_logins_are_limited_per_address_across_accounts(client):
    """Ten failures a minute from one address, whichever accounts they try; then even a
    right password from that address is refused until the minute passes."""
    for n in range(10):
        UserFactory(phone=f"+86136200000{n:02d}")
        response = client.post(
            reverse("account_login"), {"login": f"136200000{n:02d}", "password": "guess"}
        )
        assert response.status_code == 200
    UserFactory(phone="+8613620000099")
    response = client.post(
        reverse("account_login"), {"login": "13620000099", "password": DEFAULT_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    if response.status_code == 200:
        errors = " ".join(response.context["form"].non_field_errors())
        assert "Too many" in errors or "过多" in errors or "太多" in errors


@pytest.mark.django_db
def test_token_logins_are_limited_per_address():
    """Per address as the server saw it: a made-up X-Forwarded-For on each try, which a
    proxy passes on with the real address appended, does not make a new address."""
    api = Client()
    for n in range(10):
        response = api.post(
            reverse("api-token-login"),
            {"login": f"136300000{n:02d}", "password": "guess"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.9.8.{n}, 203.0.113.7",
        )
        assert response.status_code == 400
    response = api.post(
        reverse("api-token-login"),
        {"login": "13630000099", "password": "guess"},
        content_type="application/json",
    )
    assert response.status_code == 429
    # DRF's throttle, before allauth's own per-address limit behind it is reached
    assert response.json()["error"]["code"] == "throttled"


@pytest.mark.django_db
def test_failures_on_other_numbers_do_not_lock_a_number_out():
    """The per-account limit is per number: five failures spread over five numbers from
    five addresses (no per-address limit trips) leave a sixth person free to log in, on the
    page and over the API. allauth keyed every phone login on one empty key before
    community.adapters gave each number its own."""
    for n in range(5):
        UserFactory(phone=f"+86136400000{n:02d}")
        response = Client(REMOTE_ADDR=f"10.0.0.{n + 1}").post(
            reverse("account_login"), {"login": f"136400000{n:02d}", "password": "guess"}
        )
        assert response.status_code == 200
    UserFactory(phone="+8613640000099")
    browser = Client(REMOTE_ADDR="10.0.0.99")
    response = browser.post(
        reverse("account_login"), {"login": "13640000099", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in browser.session

    response = Client(REMOTE_ADDR="10.0.0.98").post(
        reverse("api-token-login"),
        {"login": "13640000099", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200


# --- Secrets -------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Stripe live key": re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "secret key literal": re.compile(r"""SECRET_KEY\s*[:=]\s*["'](?P<value>[^"']{8,})["']"""),
}
# The one SECRET_KEY literal the repository may hold: the development profile's default,
# which the production profile never reads (config/settings.py).
ALLOWED_SECRET_KEYS = {"dev-only-insecure-key-do-not-use-in-production-0123456789"}
SECRET_FILES = re.compile(r"(^|/)(\.env(\..*)?|id_(rsa|ecdsa|ed25519)|.*\.(pem|p12|pfx|key))$")


def repository_files() -> list[str]:
    """Tracked files and new ones not ignored: what a commit would hold."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        )
    except (OSError, subprocess.CalledProcessError):
        missing("this test reads the file list from git, and git or the repository is missing")
    return [name for name in listing.stdout.decode().split("\0") if name]


def test_no_secret_is_in_the_repository():
    files = repository_files()
    assert "config/settings.py" in files
    found = [name for name in files if SECRET_FILES.search(name)]
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary: pictures, fonts, compiled catalogues
        for kind, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if kind == "secret key literal" and match["value"] in ALLOWED_SECRET_KEYS:
                    continue
                found.append(f"{name}: {kind}")
    assert found == []


def test_the_secret_scan_finds_what_it_looks_for():
    samples = {
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "AWS access key": "key = AKIA" + "ABCDEFGHIJKLMNOP",
        "secret key literal": 'SECRET_KEY = "' + "s3cr3t-for-real-1234" + '"',
    }
    for kind, text in samples.items():
        assert SECRET_PATTERNS[kind].search(text), kind
    assert SECRET_FILES.search("deploy/.env")
    assert SECRET_FILES.search("certs/server.pem")
    assert not SECRET_FILES.search("docs/environment.md")


AUDIT = ROOT / "bin" / "audit-deps"
# A proxy nobody listens on: the script's probe fails at once, and nothing leaves the machine.
OFFLINE = {"PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://127.0.0.1:9"}


def audit(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AUDIT)], cwd=ROOT, env={**OFFLINE, **env}, capture_output=True, text=True, timeout=120
    )


def test_the_audit_passes_with_a_notice_when_the_service_is_unreachable_unless_required():
    result = audit(https_proxy=OFFLINE["HTTPS_PROXY"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not reachable" in result.stdout
    assert "NOT audited" in result.stdout
    assert audit(https_proxy=OFFLINE["HTTPS_PROXY"], AUDIT_REQUIRED="1").returncode == 2


def test_the_audit_reads_pip_audits_report(tmp_path):
    """A finding fails; a service that skipped every package did not audit anything."""
    finding = tmp_path / "finding.json"
    finding.write_text(
        json.dumps(
            {
                "dependencies": [
                    {
                        "name": "django",
                        "version": "5.2.19",
                        "vulns": [
                            {"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"], "fix_versions": []}
                        ],
                    },
                    {"name": "celery", "version": "5.7.0", "vulns": []},
                ]
            }
        )
    )
    result = audit(AUDIT_REPORT=str(finding))
    assert result.returncode == 1
    assert "VULNERABLE django 5.2.19: PYSEC-0000-1" in result.stdout

    skipped = tmp_path / "skipped.json"
    skipped.write_text(
        json.dumps({"dependencies": [{"name": "django", "version": "5.2.19", "skip_reason": "x"}]})
    )
    result = audit(AUDIT_REPORT=str(skipped))
    assert result.returncode == 0
    assert "NOT audited" in result.stdout
    assert audit(AUDIT_REPORT=str(skipped), AUDIT_REQUIRED="1").returncode == 2
