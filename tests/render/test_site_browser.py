"""The built site in a real browser: Debian's Chromium driven by selenium through chromedriver.

Opened from file:// and from a local http.server on 127.0.0.1: every page crawled (no console errors, every
internal link and image resolves, no request leaves the site), search finds an item of an older day, the trend
chart is drawn, a hostile title shows as text (and runs nothing), the site reads with JavaScript off, and
screenshots of the home page at phone and desktop widths go to tests/artifacts/.

The browser comes from scripts/system-deps.sh (run by `make test`). Without it these tests skip — except in
CI (CI set), where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from site_days import HOSTILE_TITLE, KOREAN_DAYS, make_days, techreview_items

from aidigest.render.site import SiteOptions, build_site

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _need_browser() -> None:
    if CHROMIUM and CHROMEDRIVER:
        return
    missing = "chromium" if not CHROMIUM else "chromedriver"
    msg = f"{missing} not found (Debian packages chromium + chromium-driver; scripts/system-deps.sh installs them)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {msg}")
    pytest.skip(msg)


def _driver(javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="aidigest-chromium-")
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for f in FLAGS + [f"--user-data-dir={profile}"]:
        o.add_argument(f)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        o.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    d.set_page_load_timeout(60)
    d._aidigest_profile = profile
    return d


def _quit(d) -> None:
    try:
        d.quit()
    finally:
        shutil.rmtree(d._aidigest_profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    _need_browser()
    tmp = tmp_path_factory.mktemp("browser")
    reports, db = make_days(tmp / "in")
    res = build_site(SiteOptions(reports=reports, out=tmp / "site", db=db))
    return res.out


@pytest.fixture(scope="module")
def browser(site):
    d = _driver()
    yield d
    _quit(d)


@pytest.fixture(scope="module")
def server(site):
    """http.server serving the site on 127.0.0.1 (a free port), in a thread; stopped after the module."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

    handler = functools.partial(Handler, directory=str(site))

    class Quiet(http.server.ThreadingHTTPServer):
        daemon_threads = True

    srv = Quiet(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


def _errors(d) -> list[str]:
    return [f"{e['level']}: {e['message']}" for e in d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _page_state(d) -> dict:
    return d.execute_script("""
        const abs = (u) => new URL(u, document.baseURI).href;
        return {
          links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href)
                   .concat(Array.from(document.forms).map(f => f.action)),
          assets: Array.from(document.querySelectorAll('link[href], script[src], img[src]'))
                    .map(e => abs(e.getAttribute('href') || e.getAttribute('src'))),
          brokenImages: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
          resources: performance.getEntriesByType('resource').map(r => r.name),
          lang: document.documentElement.lang,
        };""")


def _crawl(d, start: str, prefix: str) -> dict[str, dict]:
    """Visit every page under `prefix` reachable from `start`; page URL -> its state. Asserts as it goes."""
    seen: dict[str, dict] = {}
    queue = deque([start])
    d.get_log("browser")  # drop anything logged before
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        d.get(url)
        from selenium.webdriver.support.ui import WebDriverWait

        # images finish loading (the load event has fired, but give a busy machine's server a moment)
        WebDriverWait(d, 20).until(lambda drv: drv.execute_script(
            "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"))
        st = _page_state(d)
        seen[url] = st
        assert d.current_url.split("?")[0].split("#")[0] == url.split("?")[0], (url, d.current_url)
        assert "ERR_FILE_NOT_FOUND" not in d.page_source and "Error response" not in d.page_source, url
        assert _errors(d) == [], (url, _errors(d))
        assert st["lang"] == "ko", url
        assert st["brokenImages"] == [], (url, st["brokenImages"])
        for r in st["resources"]:
            assert r.startswith(prefix), (url, "request outside the site", r)
        for a in st["assets"]:
            assert a.startswith(prefix), (url, a)
        for link in st["links"]:
            target, _ = urldefrag(link)
            if not target.startswith(prefix):
                assert urlsplit(target).scheme in ("http", "https"), (url, link)  # outside: only http(s) links
                continue
            if target.endswith(".html") and target not in seen:
                queue.append(target)
            elif not target.endswith(".html"):
                seen.setdefault(target, {})  # feeds, charts: checked to exist below
    return seen


def _exists(url: str, prefix: str, site: Path) -> bool:
    rel = unquote(url[len(prefix):].split("?")[0])
    return (site / rel).is_file()


@pytest.mark.parametrize("how", ["file", "http"])
def test_crawl_every_page_no_console_errors_and_every_link_resolves(how, site, browser, server):
    prefix = site.as_uri() + "/" if how == "file" else server
    pages = _crawl(browser, prefix + "index.html", prefix)
    html_pages = [u for u in pages if u.endswith(".html")]
    assert len(html_pages) >= 25, len(html_pages)
    for u in pages:
        assert _exists(u, prefix, site), u
    for needed in ("trends.html", "search.html", "day/2024-10-15-news.html", "day/2026-08-02-papers.html",
                   "category/llm.html", "feeds/news.xml"):
        assert prefix + needed in pages, needed


def test_search_finds_an_item_from_an_older_day(site, browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = techreview_items(KOREAN_DAYS[0])[0].title  # a real Korean title of 2024-10-15
    word = "생추어리"
    assert word in old
    for prefix in (site.as_uri() + "/", server):
        browser.get(prefix + "index.html")
        box = browser.find_element(By.CSS_SELECTOR, "header form.search input[name=q]")
        box.send_keys(word)
        box.submit()  # the header form: GET search.html?q=...
        WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#results li")))
        results = browser.find_elements(By.CSS_SELECTOR, "#results li")
        assert any(old.split("FREE")[0].strip()[:20] in r.text and "2024-10-15" in r.text for r in results)
        assert "건 찾음" in browser.find_element(By.ID, "status").text
        link = results[0].find_element(By.CSS_SELECTOR, "a.title")
        link.click()
        WebDriverWait(browser, 20).until(lambda d: "day/2024-10-15-news.html" in d.current_url)
        assert _errors(browser) == []
        # typing in the search page's own box updates the results
        browser.get(prefix + "search.html")
        q = browser.find_element(By.ID, "q")
        q.send_keys("agent")
        WebDriverWait(browser, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results li")) > 3)
        q.clear()
        q.send_keys("zzqqxx-nothing")
        WebDriverWait(browser, 20).until(lambda d: "찾은 항목이 없습니다" in d.find_element(By.ID, "status").text)


def test_trend_chart_is_drawn(site, browser):
    from selenium.webdriver.common.by import By

    for page, n in (("trends.html", 4), ("index.html", 2)):
        browser.get(site.as_uri() + "/" + page)
        charts = browser.find_elements(By.CSS_SELECTOR, "svg.trend-chart")
        assert len(charts) == n
        for c in charts:
            assert c.size["width"] > 200 and c.size["height"] > 60
        rects = browser.find_elements(By.CSS_SELECTOR, "svg.trend-chart rect")
        assert len(rects) > 5
        assert browser.find_elements(By.CSS_SELECTOR, "table.growth tr.grew")


def test_hostile_title_shows_as_text_and_runs_nothing(site, browser, server):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    for prefix in (site.as_uri() + "/", server):
        for page in ("day/2026-07-13-news.html", "category/llm/2026-07.html",
                     "search.html?q=onerror"):
            browser.get(prefix + page)
            if page.startswith("search"):
                from selenium.webdriver.support.ui import WebDriverWait

                WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results li"))
            body = browser.find_element(By.TAG_NAME, "body").text
            assert HOSTILE_TITLE in body, page  # shown literally, as the characters it is made of
            with pytest.raises(NoAlertPresentException):
                browser.switch_to.alert.text  # noqa: B018  (nothing ran)
            assert browser.execute_script("return document.querySelectorAll('img[src=x], [onerror], [onmouseover]').length") == 0
            hrefs = browser.execute_script("return Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
            assert not [h for h in hrefs if h and h.strip().lower().startswith(("javascript:", "data:"))], page
            assert _errors(browser) == [], page


def test_site_reads_without_javascript(site, server):
    from selenium.webdriver.common.by import By

    d = _driver(javascript=False)
    try:
        d.get(server + "index.html")
        assert d.find_elements(By.CSS_SELECTOR, "section.kind li a.title")  # the latest items are there
        assert d.find_elements(By.CSS_SELECTOR, "svg.trend-chart rect")  # the trend chart is not script-drawn
        d.get(server + "day/2024-10-15-news.html")
        assert "생추어리" in d.find_element(By.TAG_NAME, "body").text
        d.get(server + "search.html?q=agent")
        assert "JavaScript" in d.find_element(By.CSS_SELECTOR, "p.nojs").text
        assert d.find_elements(By.CSS_SELECTOR, "#results li") == []
    finally:
        _quit(d)


def test_home_screenshots_at_phone_and_desktop_width(site, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    for name, (w, h) in {"home-phone": (390, 844), "home-desktop": (1280, 900)}.items():
        browser.set_window_size(w, h)
        browser.get(site.as_uri() + "/index.html")
        inner = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
        assert inner[1] <= inner[0] + 1, (name, inner)  # no sideways scrolling, even on a phone
        path = ARTIFACTS / f"{name}.png"
        assert browser.save_screenshot(str(path))
        assert path.stat().st_size > 10_000
    browser.set_window_size(1280, 900)
