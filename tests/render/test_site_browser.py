"""The built site in a real browser: Debian's Chromium driven by selenium through chromedriver.

Opened from file:// and from a local http.server on 127.0.0.1: every page crawled (no console errors, every
internal link and image resolves, no request leaves the site), search finds an item of an older day, the trend
chart is drawn, a hostile title shows as text (and runs nothing), the site reads with JavaScript off, and
screenshots of the home page at phone and desktop widths go to tests/artifacts/. What a reader sees: every
category on the home page has items, the day page says it was written offline and labels the quoted sentences
as the Markdown report does, the day chart reads on a 390 px phone (screenshot tests/artifacts/day-chart-390.png),
and the category icons draw in a browser with no emoji font at all (tests/artifacts/day-no-emoji-font.png).

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


def _driver(javascript: bool = True, env: dict[str, str] | None = None):
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
    d = webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=o)
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


# ---- what a reader sees ------------------------------------------------------------------------------------
def _reports(site: Path) -> Path:
    return site.parent / "in" / "reports"  # where the `site` fixture's make_days wrote the exports


def test_home_lists_items_under_every_category_header(site, browser):
    """Every category header of the latest day has its first items under it, also those without any text
    (a title alone): before, only items with a TL;DR were listed and headers stood empty."""
    from aidigest.render.site import HOME_TOP

    browser.set_window_size(1280, 900)
    browser.get(site.as_uri() + "/index.html")
    cols = browser.execute_script("""
        return Array.from(document.querySelectorAll('section.kind')).map(sec => ({
          kind: sec.id,
          cats: Array.from(sec.querySelectorAll('h3')).map(h => {
            const ul = h.nextElementSibling;
            const items = ul && ul.matches('ul.items') ? Array.from(ul.querySelectorAll(':scope > li')) : [];
            return {name: h.textContent.trim(), total: parseInt(h.querySelector('.count').textContent, 10),
                    items: items.length, titles: items.filter(li => li.querySelector('a.title, span.title')).length,
                    untexted: items.filter(li => !li.querySelector('.tldr')).length};
          })}));""")
    assert [c["kind"] for c in cols] == ["latest-news", "latest-paper"]
    untexted = 0
    for col in cols:
        assert col["cats"], col["kind"]
        for cat in col["cats"]:
            assert cat["items"] >= 1, (col["kind"], cat)  # no header without items
            assert cat["items"] == min(cat["total"], HOME_TOP) == cat["titles"], (col["kind"], cat)
            untexted += cat["untexted"]
    assert untexted >= 1  # items without text are listed too (title only), not dropped


def test_day_page_says_offline_and_labels_excerpts_as_the_markdown_does(site, browser):
    """The demo day was written without an LLM: the day page carries the Markdown report's note (one wording, from
    render.markdown.offline_note), no "출처 · 한 줄 요약" heading over the quoted sentences, and each quoted
    sentence labelled "원문 발췌" in quotes, in its own language."""
    import json

    from selenium.webdriver.common.by import By

    from aidigest.render.escape import md_text
    from aidigest.render.markdown import offline_note
    from aidigest.report import Digest
    from aidigest.summarize.header import list_strings

    label = list_strings("ko").result_label
    assert label == "원문 발췌"
    browser.set_window_size(1280, 900)
    excerpts = 0
    for kind, word in (("news", "News"), ("papers", "Papers")):
        day = _reports(site) / "2026-08-02"
        digest = Digest.model_validate(json.loads((day / f"{word}_2026-08-02.json").read_text(encoding="utf-8")))
        md = (day / f"{word}_2026-08-02_report.md").read_text(encoding="utf-8")
        note = offline_note(digest)
        assert note == list_strings("ko").llm_note  # no LLM at all that day
        assert f"*{md_text(note)}*" in md  # the Markdown report's note ...
        browser.get(site.as_uri() + f"/day/2026-08-02-{kind}.html")
        shown = browser.find_element(By.CSS_SELECTOR, "p.offline-note")
        assert shown.text == note and shown.is_displayed()  # ... is the day page's, word for word
        page_excerpts = 0
        for sec in digest.sections:
            assert sec.summary is None
            el = browser.find_element(By.ID, f"cat-{sec.category}")
            headings = [h.text for h in el.find_elements(By.TAG_NAME, "h3")]
            assert not any("한 줄 요약" in h or "출처" in h for h in headings), headings
            for e in sec.entries:
                li = browser.find_element(By.ID, f"{sec.category}-{e.n}")
                found = li.find_elements(By.CSS_SELECTOR, "p.excerpt")
                if not e.result:
                    assert found == []
                    continue
                assert len(found) == 1
                assert found[0].text == f"{label}: “{e.result}”"
                quote = found[0].find_element(By.CSS_SELECTOR, ".quote")
                assert quote.get_attribute("lang") == (e.language if e.language != "ko" else None)
                assert f" — {label}: “{md_text(e.result)}”" in md  # the same label and sentence in the Markdown report
                page_excerpts += 1
        assert md.count(f"{label}: “") == page_excerpts >= 1, kind
        excerpts += page_excerpts
        assert any(e.language == "en" and e.result for s in digest.sections for e in s.entries)  # English excerpts
    assert excerpts >= 10


def _day_chart_rows(browser) -> dict:
    return browser.execute_script("""
        const fig = document.querySelector('figure.daychart');
        const texts = [];
        const walk = document.createTreeWalker(fig, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
          const n = walk.currentNode;
          if (!n.textContent.trim()) continue;
          const el = n.parentElement;
          const r = el.getBoundingClientRect();
          if (r.width === 0 || getComputedStyle(el).display === 'none') continue;
          texts.push({text: n.textContent.trim(), px: parseFloat(getComputedStyle(el).fontSize), tag: el.tagName});
        }
        const vw = document.documentElement.clientWidth;
        return {
          vw: vw, inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
          figure: fig.getBoundingClientRect().toJSON(),
          rasters: Array.from(fig.querySelectorAll('img:not(.emoji), canvas')).length,
          texts: texts,
          rows: Array.from(fig.querySelectorAll('ol.bars > li')).map(li => {
            const name = li.querySelector('.bar-name'), bar = li.querySelector('svg.bar rect');
            const nr = name.getBoundingClientRect();
            return {name: name.textContent.trim(), n: parseInt(li.querySelector('.bar-n').textContent, 10),
                    nameLeft: nr.left, nameRight: nr.right, nameClipped: name.scrollWidth > name.clientWidth + 1,
                    nameHeight: nr.height, namePx: parseFloat(getComputedStyle(name).fontSize),
                    bar: bar.getBoundingClientRect().width,
                    barMax: li.querySelector('svg.bar').getBoundingClientRect().width};
          }),
        };""")


def test_day_chart_is_legible_on_a_390px_phone(site, browser):
    """The day chart at 390 CSS px: its labels are page text (no raster text), every piece of text at 12 CSS px or
    more, every category name whole and inside the screen, bars as long as their counts; screenshot in
    tests/artifacts/day-chart-390.png. (Before: the report's 1,200 px PNG, shrunk to a third, text ~4 px.)"""
    import json

    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    try:
        browser.set_window_size(390, 844)
        for kind, word in (("papers", "Papers"), ("news", "News")):
            browser.get(site.as_uri() + f"/day/2026-08-02-{kind}.html")
            st = _day_chart_rows(browser)
            assert st["inner"] == 390 and st["scroll"] <= st["inner"], st  # a phone's width, no sideways scrolling
            assert st["rasters"] == 0  # nothing in the chart is a picture of text
            assert st["figure"]["left"] >= 0 and st["figure"]["right"] <= st["vw"]
            small = [t for t in st["texts"] if t["px"] < 12]
            assert not small, small
            raw = json.loads((_reports(site) / "2026-08-02" / f"{word}_2026-08-02.json").read_text(encoding="utf-8"))
            want = sorted(((s["name"], s["total"]) for s in raw["sections"]), key=lambda x: -x[1])
            if raw["stats"]["other_tech"]:
                want.append(("그 밖의 기술 소식", raw["stats"]["other_tech"]))
            assert [(r["name"], r["n"]) for r in st["rows"]] == want
            peak = max(r["n"] for r in st["rows"])
            for r in st["rows"]:
                assert 0 <= r["nameLeft"] and r["nameRight"] <= st["vw"] and not r["nameClipped"], r
                assert r["nameHeight"] < 1.9 * r["namePx"], r  # one line per name on a phone
                assert abs(r["bar"] - r["barMax"] * r["n"] / peak) <= 1.0, r  # the bar's length is its count
            if kind == "papers":  # the one with more categories
                fig = browser.find_element(By.CSS_SELECTOR, "figure.daychart")
                browser.execute_script("arguments[0].scrollIntoView()", fig)
                path = ARTIFACTS / "day-chart-390.png"
                assert fig.screenshot(str(path))
                assert path.stat().st_size > 5_000
    finally:
        browser.set_window_size(1280, 900)


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <cachedir>{cache}</cachedir>
  <selectfont><rejectfont>
    <glob>*Emoji*</glob><glob>*emoji*</glob><glob>*Symbola*</glob>
    <pattern><patelt name="family"><string>Noto Color Emoji</string></patelt></pattern>
  </rejectfont></selectfont>
</fontconfig>
"""


def _png_pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _colourful(px) -> int:
    """Pixels clearly not grey (max - min channel > 60): an emoji has them, a ☒ box or text in grey/black has none."""
    return int(((px.max(axis=2) - px.min(axis=2)) > 60).sum())


def test_category_icons_draw_without_an_emoji_font(site, tmp_path):
    """Chromium with a fontconfig that hides every emoji font: a text emoji then draws as the same box as a
    code point no font has (checked, so the test knows it runs without one), while the site's category icons are
    the shipped images — loaded, in colour, no box. Screenshot: tests/artifacts/day-no-emoji-font.png."""
    from selenium.webdriver.common.by import By

    from aidigest.render.icons import used_emoji

    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    d = _driver(env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        d.set_window_size(390, 844)
        d.get(site.as_uri() + "/day/2026-08-02-news.html")
        # the control: in this browser 🧠 as text is a missing glyph, drawn exactly like U+10FFFD (no font has it)
        d.execute_script("""
            for (const [id, ch] of [['t-emoji', '\\u{1F9E0}'], ['t-missing', '\\u{10FFFD}']]) {
              const h = document.createElement('h1'); const s = document.createElement('span');
              s.id = id; s.textContent = ch; h.appendChild(s); document.querySelector('main').prepend(h);
            }""")
        emoji_txt, missing = d.find_element(By.ID, "t-emoji"), d.find_element(By.ID, "t-missing")
        assert emoji_txt.size == missing.size
        tofu = _png_pixels(emoji_txt.screenshot_as_png)
        # the same box: no emoji font here (else a font the rejectfont globs of FONTS_CONF miss draws emoji: add it)
        assert (tofu == _png_pixels(missing.screenshot_as_png)).all(), "an emoji font is still visible to Chromium"
        assert _colourful(tofu) == 0
        d.execute_script("document.querySelectorAll('#t-emoji, #t-missing').forEach(e => e.parentElement.remove())")

        chrome = "h2, nav.toc, ol.bars, details.health > summary, section.cat h2"
        texts = d.execute_script(f"return Array.from(document.querySelectorAll('{chrome}')).map(e => e.textContent)")
        left = [t for t in texts if any(e.replace("\ufe0f", "") in t for e in used_emoji())]
        assert not left, left  # no category or heading emoji left as text (it would be a box)
        icons = d.find_elements(By.CSS_SELECTOR, "img.emoji")
        assert len(icons) >= 3 * 3  # toc, chart and section heading of each of the day's 3 categories, and more
        assert d.execute_script(
            "return Array.from(document.querySelectorAll('img.emoji')).every(i => i.complete && i.naturalWidth > 0)")
        for icon in icons:
            if icon.is_displayed():
                assert 14 <= icon.size["width"] <= 40  # the size of the text beside it
        shown = [i for i in icons if i.is_displayed()][:4]
        for icon in shown:
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", icon)
            px = _png_pixels(icon.screenshot_as_png)
            assert _colourful(px) >= 20, icon.get_attribute("src")  # drawn in colour, not a grey box
        d.set_window_size(390, 1200)  # the chart, the category links and the first section's heading
        d.execute_script("window.scrollTo(0, 0)")
        path = ARTIFACTS / "day-no-emoji-font.png"
        assert d.save_screenshot(str(path))
        assert path.stat().st_size > 10_000
        for page in ("index.html", "category/llm.html", "trends.html"):
            d.get(site.as_uri() + "/" + page)
            assert d.find_elements(By.CSS_SELECTOR, "img.emoji"), page
            assert d.execute_script(
                "return Array.from(document.querySelectorAll('img.emoji')).every(i => i.complete && i.naturalWidth > 0)")
            assert _errors(d) == [], page
    finally:
        _quit(d)
