"""The review app in a real browser: Debian's chromium driven by Playwright against the app served
on a loopback port. Triage three matches with the keyboard, report a missed article, retry a dead
alert, open the plots; no Content-Security-Policy violation on any page; screenshots of every page
at desktop and phone widths (in $NEWSWATCH_SCREENSHOTS, else a temporary folder; the path is
printed). Skips, saying why, without chromium or Playwright, except under CI=true."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from pipelines.models import Alert, Feedback, MissedArticle
from tests.test_web_routes import make_app, seed

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("NEWSWATCH_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: the browser tests must run; .ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path):
    """The app on a free loopback port over a seeded SQLite database: (base URL, App, ids)."""
    from crawler.web import serve_in_background

    app = make_app(f"sqlite:///{tmp_path / 'newswatch.db'}")
    ids = seed(app.sessions)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = serve_in_background(app, "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}", app, ids
    stop()
    app.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.violations = []
    page.on("console", lambda message: page.violations.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error" else None)
    page.on("pageerror", lambda error: page.violations.append(str(error)))
    yield page
    context.close()


def test_triage_three_matches_with_the_keyboard(site, page):
    base, app, ids = site
    page.goto(base + "/?verdict=unreviewed")
    rows = page.locator("tr.row")
    assert rows.count() == 3  # the seeded unreviewed matches
    order = [int(rows.nth(i).get_attribute("data-match")) for i in range(3)]
    for key in ("j", "r", "i", "r"):  # select the first; relevant, irrelevant, relevant (each moves on)
        page.keyboard.press(key)
    # a locator assertion waits without evaluating a string in the page: wait_for_function's
    # polling does, and the app's CSP (no 'unsafe-eval') refuses it when the badge is not yet set
    from playwright.sync_api import expect
    for i, verdict in enumerate(("relevant", "irrelevant", "relevant")):
        expect(page.locator("tr.row .badge").nth(i)).to_have_text(verdict)
    with app.sessions() as s:
        got = {m: s.scalar(select(Feedback.verdict).where(Feedback.match_id == m)) for m in order}
    assert got == dict(zip(order, ("relevant", "irrelevant", "relevant")))
    # the match page: j/k move in the inbox's order, i judges and moves on to the next older match
    newest_first = sorted(ids["matches"], reverse=True)
    page.goto(f"{base}/matches/{newest_first[0]}")
    page.keyboard.press("j")
    page.wait_for_url(f"**/matches/{newest_first[1]}")
    page.keyboard.press("i")
    page.wait_for_url(f"**/matches/{newest_first[2]}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/matches/{newest_first[1]}")
    assert page.inner_text("#verdict") == "irrelevant"
    assert page.violations == []


def test_report_a_missed_article(site, page):
    base, app, _ = site
    page.goto(base + "/missed")
    page.fill("input[name=title]", "Moscow and Islamabad talk trade")
    page.fill("textarea[name=text]", "Russia and Pakistan discussed wheat and cotton prices in Moscow on Monday.")
    page.fill("input[name=note]", "a security angle the watch misses")
    page.click("button[type=submit]")
    page.wait_for_url("**/missed/*")
    assert "The watch did not fire" in page.inner_text("main")
    with page.expect_download() as download:
        page.click("text=Download")
    assert download.value.suggested_filename.endswith(".en.txt")
    with app.sessions() as s:
        assert s.scalar(select(MissedArticle.title)) == "Moscow and Islamabad talk trade"
    assert page.violations == []


def test_retry_a_dead_alert(site, page):
    base, app, _ = site
    with app.sessions() as s:
        dead = s.scalar(select(Alert.id).where(Alert.status == "dead"))
    page.goto(base + "/outbox")
    assert "given up after 8 attempts" in page.inner_text("main")
    page.click(f"button[data-alert='{dead}']")
    page.wait_for_selector("text=re-queued")
    with app.sessions() as s:
        assert s.get(Alert, dead).status == "pending"
    assert page.violations == []


def test_plots_render_and_screenshots_of_every_page(site, page, tmp_path):
    base, app, ids = site
    folder = Path(os.environ.get("NEWSWATCH_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(base + "/plots")
    assert page.locator("svg.plot").count() == 6
    assert page.locator("svg.plot polyline, svg.plot circle").count() > 0
    pages = {"inbox": "/", "match": f"/matches/{ids['matches'][0]}", "hostile": f"/matches/{ids['matches'][3]}",
             "feed-summary": f"/matches/{ids['matches'][2]}",
             "missed": "/missed", "sources": "/sources", "outbox": "/outbox", "watches": "/watches",
             "try": "/watches/russia_pakistan_security/try", "plots": "/plots"}
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            page.goto(base + path)
            page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=name not in ("try",))
    # the hostile title is shown as text, not run
    page.goto(base + pages["hostile"])
    assert page.locator("h1").first.inner_text().startswith('<script>alert("x")</script>')
    assert page.violations == []
    print(f"screenshots in {folder}")
