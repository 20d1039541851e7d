"""What every benchmark shares: the PostgreSQL URL to use and scratch databases on it.

Not a benchmark itself (``make bench`` skips files that start with an underscore).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://linli:linli@127.0.0.1:5432/linli"


def base_url() -> str:
    """``DATABASE_URL`` if it names PostgreSQL, else the local default."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        return DEFAULT_URL
    return urlunsplit(("postgresql", *parts[1:]))  # the spelling libpq and Django both take


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def maintenance_connection(url: str) -> Any:
    """An autocommit connection to ``postgres`` (or to the URL's own database)."""
    import psycopg

    own = urlsplit(url).path.lstrip("/") or "postgres"
    last_error: Exception | None = None
    for name in dict.fromkeys(["postgres", own]):
        try:
            return psycopg.connect(with_database(url, name), autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as error:
            last_error = error
    assert last_error is not None
    raise last_error


def recreate_database(admin: Any, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin: Any, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
