"""The weekly roundup on the built site, in a real browser (the helpers and checks of test_site_browser.py): the
week's pages are reached from the home page's archive, every page crawls with no console error and no request
leaving the site, the week page shows the returning story and the missing days, and the weekly Atom feed has one
entry per week and kind. The days are tests/week_days.py's (real recordings; which day is rebuilt is said there)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_site_browser import _crawl, _driver, _errors, _need_browser, _quit
from week_days import WEEK, make_week

from aidigest.config import Config
from aidigest.render.site import SiteOptions, build_site
from aidigest.infra.store import Store
from aidigest.weekly.build import run_week
from aidigest.weekly.report import week_start

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    import asyncio

    _need_browser()
    tmp = tmp_path_factory.mktemp("weeksite")
    reports, db = make_week(tmp / "in")
    with Store(db) as store:
        asyncio.run(run_week(week_start(WEEK), Config(), store, reports, "ko"))
    return build_site(SiteOptions(reports=reports, out=tmp / "site", db=db)).out


@pytest.fixture(scope="module")
def browser(site):
    d = _driver()
    yield d
    _quit(d)


def test_week_pages_are_linked_from_home_and_crawl_clean(site, browser):
    prefix = site.as_uri() + "/"
    pages = _crawl(browser, prefix + "index.html", prefix)
    for needed in (f"week/{WEEK}-news.html", f"week/{WEEK}-papers.html", "feeds/weekly.xml"):
        assert prefix + needed in pages, needed
    from selenium.webdriver.common.by import By

    browser.get(prefix + "index.html")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#archive ul.weeks a")]
    assert prefix + f"week/{WEEK}-news.html" in links
    browser.get(prefix + f"week/{WEEK}-news.html")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert WEEK in body and "2026-07-30" in body and "모든 소스 실패" in body  # the missing day and why
    assert "이번 주 계속 돌아온 소식" in body and "3일 등장" in body
    rows = browser.find_elements(By.CSS_SELECTOR, "section.shares tbody tr")
    assert len(rows) >= 3
    assert _errors(browser) == []


def test_weekly_feed_has_one_entry_per_week_and_kind(site):
    root = ET.fromstring((site / "feeds" / "weekly.xml").read_bytes())
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    titles = sorted(e.find(f"{ATOM}title").text for e in entries)
    assert all(WEEK in t and "주간" in t for t in titles)
    links = sorted(e.find(f"{ATOM}link").get("href") for e in entries)
    assert links == [f"../week/{WEEK}-news.html", f"../week/{WEEK}-papers.html"]
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 2
