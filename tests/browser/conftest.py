"""A live server on a free loopback port and real headless Chromium (Debian's package) via Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make test installs it (scripts/system-deps.sh)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="sv-SE")
    ctx.outside_requests = []  # type: ignore[attr-defined]
    ctx.on("request", lambda request: None if request.url.startswith((live_server, "data:", "blob:", "about:"))
           else ctx.outside_requests.append(request.url))  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_until(frame, expression: str, timeout: float = 30_000) -> None:  # type: ignore[no-untyped-def]
    """Poll `expression` in the page until it is true. Playwright's wait_for_function evaluates a string
    with eval(), which the pages' Content-Security-Policy forbids; evaluate() goes through DevTools."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not frame.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.1)


def sign_in_page(context: BrowserContext, live_server: str, username: str) -> Page:
    """Sign in through the web form as a person would; the page is left on the start page."""
    from tests.conftest import PASSWORD

    page = context.new_page()
    page.goto(f"{live_server}/logga-in")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").first.click()
    page.wait_for_url(f"{live_server}/")
    return page
