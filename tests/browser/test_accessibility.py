"""axe-core (tests/a11y, installed by `make test` from its lock file) injected into every page, the map
frames included, at a desk and on a phone: no serious or critical violation, and no page wider than a
390 px screen."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo import generate, load_meeting, to_csv
from app.imports.service import ImportOptions, run_import
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
SIGNED_OUT = ["/", "/logga-in", "/felanmalan", "/karta/publik/karta.html", "/finns-inte"]
STAFF = ["/", "/karta/analys", "/karta/analys/karta.html", "/karta/patrull/karta.html", "/karta/belysning/karta.html",
         "/rapportera", "/rapporter", "/trygghetsvandringar", "/lagesbild", "/patrull/plan", "/belysning/arbetslista",
         "/belysning/arenden", "/importera", "/admin/anvandare", "/konto", "/medborgarloften/{promise}"]


@pytest.fixture
def a11y_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """The pages' Content-Security-Policy forbids injected scripts; the checker is let in, nothing else changes."""
    assert AXE.exists(), "axe-core is missing: `make test` installs it (npm ci --prefix tests/a11y)"
    ctx = browser.new_context(bypass_csp=True, locale="sv-SE")
    yield ctx
    ctx.close()


@pytest.fixture
def demo_meeting(session: Session) -> int:
    rows = generate(date.today(), days=200, seed=5)
    run_import(session, io.BytesIO(to_csv(rows)), ImportOptions(filename="demo.csv", format="csv", source="demo"))
    load_meeting(session, date.today())
    return int(session.execute(text("SELECT min(id) FROM citizen_promises")).scalar_one())


def _violations(page: Page) -> list[str]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return list(found)


def _check(page: Page, live_server: str, paths: list[str], size: tuple[int, int]) -> list[str]:
    problems = []
    for path in paths:
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        problems += [f"{path} @{size[0]}: {v}" for v in _violations(page)]
        if size[0] <= 400:
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > size[0]:
                problems.append(f"{path} @{size[0]}: page is {width} px wide")
    return problems


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_every_page_passes_axe_and_fits_a_phone(a11y_context: BrowserContext, live_server: str,
                                                people: dict[str, str], demo_meeting: int,
                                                size: tuple[int, int]) -> None:
    page = a11y_context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    problems = _check(page, live_server, SIGNED_OUT, size)
    page.goto(f"{live_server}/logga-in")
    page.get_by_label("Användarnamn").fill(people["admin"])
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").first.click()
    page.wait_for_url(f"{live_server}/")
    problems += _check(page, live_server, [p.format(promise=demo_meeting) for p in STAFF], size)
    assert not problems, "\n".join(problems)
