"""Shared pieces of ``seed_demo``: each app seeds its own layer in a ``demo`` module."""

from dataclasses import dataclass

DEMO_PASSWORD = "linli-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    login: str
    note: str = ""


class DemoLog:
    """Collects the logins that ``seed_demo`` prints at the end."""

    def __init__(self) -> None:
        self.logins: list[DemoLogin] = []
        self.notes: list[str] = []

    def login(self, role: str, name: str, login: str, note: str = "") -> None:
        self.logins.append(DemoLogin(role, name, login, note))

    def note(self, text: str) -> None:
        self.notes.append(text)
