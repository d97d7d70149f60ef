"""The dashboards in a browser: `resi serve dashboard` (Streamlit) against a small built
network, each page opened in headless Chromium (Debian's chromium): its charts render,
no error or exception is on the page, nothing is fetched from outside the machine.
Screenshots go to a temporary folder; the overview's also to docs/dashboard.png (README)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers import CHROMIUM, launch_chromium, new_database
from serving_support import build_network, serving

ROOT = Path(__file__).resolve().parents[2]
README_SCREENSHOT = ROOT / "docs" / "dashboard.png"
# page url path -> (a heading on it, the charts it must draw at least)
PAGES = {
    "": ("Network overview", 4),
    "miners": ("Miners", 1),
    "miner": ("Miner", 2),
    "coverage": ("Coverage", 3),
    "alerts": ("Open alerts", 1),
}
ERROR_SELECTORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="headless browser check needs Debian's chromium at /usr/bin"
)


@pytest.fixture(scope="module")
def dashboard(server_env, tmp_path_factory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("serving_dashboard")
    with new_database(server_env) as env:
        build_network(env, work, listings=150, miners=5)
        with serving(env, "dashboard", "/_stcore/health", timeout=120) as base:
            yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_its_charts_without_errors(dashboard, browser, path, tmp_path) -> None:
    heading, charts = PAGES[path]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    local = urlparse(dashboard).netloc

    def outside(request) -> None:
        where = urlparse(request.url)
        if where.scheme in ("http", "https", "ws", "wss") and where.netloc != local:
            problems.append(f"fetched from outside: {request.url}")

    page.on("request", outside)
    try:
        page.goto(f"{dashboard}/{path}", wait_until="domcontentloaded")
        page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=60_000)
        page.wait_for_function(
            f"document.querySelectorAll('.vega-embed canvas, .vega-embed svg').length >= {charts}",
            timeout=60_000,
        )
        page.wait_for_timeout(1500)  # let the last charts and tables settle
        assert page.locator(ERROR_SELECTORS).count() == 0, page.inner_text("body")[:2000]
        body = page.inner_text("body")
        assert "Traceback" not in body and "Page not found" not in body
        shot = tmp_path / f"dashboard-{path or 'overview'}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if path == "":
            README_SCREENSHOT.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, README_SCREENSHOT)
    finally:
        page.close()
    assert problems == []
