"""Walking the URL configuration and asking each URL as each role.

The matrix test reads every URL pattern from ``get_resolver()``, so a new endpoint appears
here without anyone listing it; fills its parameters from the world; requests it once per
role; and reduces the answer to one of a few outcomes that say who got in:

``ok``       2xx: the page or the data.
``moved``    3xx to somewhere other than the login page (a form's redirect-after-post, a
             home page sending a role to its own area).
``refused``  3xx that carries an error message: the way a page's form says no (not found,
             not allowed, or the input refused) before it redirects back.
``bad``      400, 409 or 422: let in, and the empty request refused on its content (a POST
             without a body or without an ``Idempotency-Key``).
``login``    a redirect to the login page (ours, or the admin's for staff-only pages), or
             401 from the API.
``403``      let in as someone, refused the action.
``404``      not found, or not theirs to know about.
``405``      the method is not one the view takes.

Every request runs in a savepoint that is rolled back, so a POST that succeeds (following
an estate, leaving a circle) does not change what the next request sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@dataclass(frozen=True)
class Pattern:
    name: str  # the URL name with its namespace, or the route when unnamed
    route: str
    keywords: tuple[str, ...]
    callback: Any = field(compare=False, repr=False)


def url_patterns() -> list[Pattern]:
    """Every URL pattern of the project, depth first, with its full route."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, route, inner)
            elif isinstance(entry, URLPattern):
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                keywords = tuple(entry.pattern.regex.groupindex)
                found.append(Pattern(name or route, route, keywords, entry.callback))

    walk(get_resolver(), "", "")
    return found


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint that is always rolled back.

    Services open ``atomic(durable=True)``; Django lets a durable block nest only inside the
    blocks a test case opens, which it marks ``_from_testcase``. This block stands in for a
    test case's, so the services run as they do in any other test.
    """
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        yield
        transaction.set_rollback(True)


def classify(response: HttpResponse) -> str:
    status = response.status_code
    if status == 401:
        return "login"
    if 300 <= status < 400:
        if response["Location"].startswith(LOGIN_PATHS):
            return "login"
        flashed = get_messages(response.wsgi_request)  # type: ignore[attr-defined]
        return "refused" if any(m.level >= constants.ERROR for m in flashed) else "moved"
    if 200 <= status < 300:
        return "ok"
    if status in (400, 409, 422):
        return "bad"
    return str(status)


def ask(client: Client, path: str, method: str) -> str:
    with rolled_back():
        if method == "GET":
            response = client.get(path)
        elif method == "DELETE":
            response = client.delete(path)
        elif method in ("PATCH", "PUT"):
            response = client.generic(method, path, "{}", content_type="application/json")
        else:
            response = client.post(path)
    return classify(response)


__all__ = ["Pattern", "ask", "classify", "rolled_back", "url_patterns"]
