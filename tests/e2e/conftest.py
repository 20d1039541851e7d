import os
from collections.abc import Iterator

import pytest

from tests.conftest import CHROMIUM
from tests.services import asgi_server

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package")
def _allow_orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API runs an event loop in this thread; our ORM calls between browser
    # steps are ordinary blocking calls made on purpose. Scoped to this package so that no
    # other test (or process it starts) inherits the switch.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _server_compatible_hashers(settings):
    # The server process checks passwords with the real hashers, so users created here
    # must be hashed with them too (the unit tests use a fast one).
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, "wallet.hashers.PinHasher"]


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """The ASGI app (HTTP and websockets) served by uvicorn on the test database."""
    log = tmp_path_factory.mktemp("server") / "uvicorn.log"
    with asgi_server(log) as url:
        yield url


@pytest.fixture(scope="package")
def browser(_allow_orm_beside_playwright):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
