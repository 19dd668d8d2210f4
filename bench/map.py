"""Map benchmark: bytes and time to interactive in headless Chromium, ours vs one CircleMarker each.

    .venv/bin/python bench/map.py [--sizes 10000 100000 1000000]

For each size, bench/dataset.py fills a database; the app serves it on a loopback port (no tiles).
We load the analysis map (`/karta/analys/karta.html`: hotspots, Gi*, density, places and the
aggregated incident layer) and count every byte the browser received (document, Leaflet, the
incident cells) and the time until the incident layer has drawn — once with a cold analysis cache,
once warm. Next to it, where feasible, a plain Folium map with one CircleMarker per incident.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.features import free_port  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def sign_in(page, origin: str, token: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in as a person does, on the sign-in page with the API key: the pages read the session
    cookie this sets (a token cookie of one's own is not a session, and shows the public view)."""
    page.goto(f"{origin}/logga-in", timeout=60_000)
    page.click("details.token-login summary")
    page.fill("#token", token)
    with page.expect_navigation(timeout=60_000):
        page.press("#token", "Enter")
    if "/logga-in" in page.url:
        raise SystemExit(f"signing in failed: still on {page.url}")


def load(browser, url: str, token: str | None, ready_js: str,  # type: ignore[no-untyped-def]
         complete_js: str | None = None) -> tuple[int, float, float | None]:
    # bypass_csp: Playwright polls its wait_for_function predicate by evaluating a string, which the pages'
    # strict Content Security Policy (no 'unsafe-eval') refuses once the wait outlasts the first check
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page = context.new_page()
    if token:
        sign_in(page, "/".join(url.split("/")[:3]), token)
    received = [0]

    def count(response) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(Exception):  # redirects and aborted requests have no body
            received[0] += len(response.body())

    page.on("response", count)
    start = time.perf_counter()
    page.goto(url, timeout=300_000)
    page.wait_for_function(ready_js, timeout=300_000, polling=50)
    seconds = time.perf_counter() - start
    complete = None
    if complete_js:
        page.wait_for_function(complete_js, timeout=300_000, polling=50)
        complete = time.perf_counter() - start
    page.wait_for_timeout(300)
    context.close()
    return received[0], seconds, complete


def circle_marker_page(url: str, path: Path) -> tuple[float, int]:
    """The plain approach: every incident a folium.CircleMarker. Returns build seconds and bytes."""
    import folium
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ST_Y(geom), ST_X(geom), category FROM incidents")).all()
    engine.dispose()
    start = time.perf_counter()
    fmap = folium.Map(location=(58.3245, 15.129), zoom_start=13, tiles=None)
    for lat, lon, category in rows:
        folium.CircleMarker((lat, lon), radius=3, popup=category).add_to(fmap)
    html = fmap.get_root().render()
    seconds = time.perf_counter() - start
    # the same self-hosted Leaflet as ours, so both pages load offline
    from app.maps.render import ASSETS

    cdn = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/"
    html = html.replace(cdn + "leaflet.js", (ASSETS / "leaflet.js").as_uri())
    html = html.replace(cdn + "leaflet.css", (ASSETS / "leaflet.css").as_uri())
    path.write_text(html, encoding="utf-8")
    return seconds, len(html.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--baseline-max", type=int, default=100_000, help="largest size for the CircleMarker page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from bench.dataset import make

    print(f"{'incidents':>9} {'page':<34} {'MB':>7} {'seconds':>8}  note")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for size in args.sizes:
            url = make(size)
            port = free_port()
            env = {**os.environ, "DATABASE_URL": url, "LAGESBILD_TILE_URL": ""}
            token = subprocess.run(
                [sys.executable, "-m", "app.cli", "token", "create", "--role", "analyst", "--name", "bench"],
                env=env, capture_output=True, text=True, check=True).stdout.strip()
            server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
                                       "--port", str(port), "--log-level", "warning"], env=env, cwd=ROOT)
            try:
                for _ in range(200):
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                        break
                    except OSError:
                        time.sleep(0.1)
                page_url = f"http://127.0.0.1:{port}/karta/analys/karta.html"
                ready = "document.documentElement.dataset.incidentsLoaded > 0"
                done = "document.documentElement.dataset.analysisLoaded >= 1"
                for label in ("Lägesbild analysis map (cold)", "Lägesbild analysis map (warm)"):
                    received, seconds, complete = load(browser, page_url, token, ready, done)
                    print(f"{size:>9} {label:<34} {received / 1e6:>7.2f} {seconds:>8.2f}  interactive; hotspot "
                          f"layer in at {complete:.2f} s", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=20)
            if size <= args.baseline_max:
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "circles.html"
                    build, size_bytes = circle_marker_page(url, path)
                    _, seconds, _ = load(browser, path.as_uri(), None,
                                         "document.querySelectorAll('.leaflet-interactive').length > 0")
                    print(f"{size:>9} {'Folium, one CircleMarker each':<34} {size_bytes / 1e6:>7.2f} {seconds:>8.2f}"
                          f"  + {build:.1f} s to build in Python", flush=True)
            else:
                print(f"{size:>9} {'Folium, one CircleMarker each':<34} {'':>7} {'':>8}  skipped: "
                      f"~{size * 500 / 1e6:.0f} MB page, build ~{size * 0.00062:.0f} s")
        browser.close()


if __name__ == "__main__":
    main()
