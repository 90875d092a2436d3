"""deeplearn.org (Deep Learning Monitor): the papers of its "Hot Papers" panel ([sources.deeplearn], off by default).

The home page is rendered by the site's public code (repository zomux/dlmonitor, `webapp/templates/index.html`
and `post_arxiv.html`): one `div.panel` per monitor, titled by its `h3.panel-title` ("Hot Papers", "Fresh
Papers", keyword monitors...), each post a `div.post` holding `div.title > a[href="/arxiv/<n>/<slug>"]` (n is the
site's own number, not an arXiv id), `div.author`, and buttons whose `onclick` opens the paper's PDF
(`post.pdf_url`, an arxiv.org link) and a Mendeley import of `post.arxiv_url`.

Only posts INSIDE the panel titled "Hot Papers" are read (the old system selected `div.title` anchors over the
whole page, so every other panel's posts came along: not copied). Each post's arXiv id comes from the arxiv.org
links of its buttons; the item is then keyed `arxiv:<id>`, so it merges with the arXiv and Hugging Face copies
of the same paper. A post without an arXiv link keeps its deeplearn.org link (counted `no_arxiv_id`).

Isolated like every source: a dead site (HTTP error, timeout) or a page without the panel is a named failure of
this source in run health, nothing more. The panel is the site's current list, not a dated one: a day more
than one day before today (UTC) gets nothing (`past_day`), so backfills do not file today's list under old days.

Off by default: no saved page of deeplearn.org exists, so the parser is tested on a page rendered from the public
template, not on the live site (`aidigest sources` says so).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from ..configbase import Strict
from ..infra.http import FetchError
from ..records import Item, Kind, Sighting
from ..urls import canonical_key, normalize_arxiv_id
from .base import FetchContext, FetchResult, ParseError
from .registry import SourceSpec
from ..text import normalize_space

NAME = "deeplearn"
PANEL = "Hot Papers"
STATUS_NOTE = "off: not checked against the live site"  # what `aidigest sources` shows while it is off by default
_POST_HREF = re.compile(r"^/arxiv/\d+/")
_ARXIV_LINK = re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return normalize_space("".join(c if isinstance(c, str) else c.text() for c in self.children))

    def find_all(self, pred: Callable[[_Node], bool]) -> list[_Node]:
        out: list[_Node] = []
        for c in self.children:
            if isinstance(c, _Node):
                if pred(c):
                    out.append(c)
                out.extend(c.find_all(pred))
        return out

    def attr_values(self) -> list[str]:
        vals = list(self.attrs.values())
        for c in self.children:
            if isinstance(c, _Node):
                vals.extend(c.attr_values())
        return vals


class _TreeBuilder(HTMLParser):
    """A lenient element tree: an end tag closes up to its nearest open match; stray end tags are ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def _tree(raw: bytes | str) -> _Node:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, (bytes, bytearray)) else raw
    b = _TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def _is(tag: str, cls: str) -> Callable[[_Node], bool]:
    return lambda n: n.tag == tag and cls in n.classes


@dataclass
class HotPapers:
    items: list[Item]
    notes: dict[str, int] = field(default_factory=dict)


def hot_panel(root: _Node, title: str = PANEL) -> _Node | None:
    """The `div.panel` whose own `h3.panel-title` reads `title` (case-insensitive)."""
    for panel in root.find_all(_is("div", "panel")):
        heads = panel.find_all(_is("h3", "panel-title"))
        if heads and heads[0].text().casefold() == title.casefold():
            return panel
    return None


def parse_page(raw: bytes | str, base_url: str = "https://deeplearn.org/", panel: str = PANEL) -> HotPapers:
    """The papers of the Hot Papers panel. ParseError when the page has no such panel."""
    box = hot_panel(_tree(raw), panel)
    if box is None:
        raise ParseError(f"{NAME}: no panel titled {panel!r} on the page (div.panel > h3.panel-title); the page changed?")
    out = HotPapers([], {"no_arxiv_id": 0, "skipped_post": 0})
    seen: set[str] = set()
    for post in box.find_all(_is("div", "post")):
        anchors = [a for t in post.find_all(_is("div", "title")) for a in t.find_all(lambda n: n.tag == "a")]
        a = next((x for x in anchors if _POST_HREF.match(x.attrs.get("href", ""))), None)
        title = a.text() if a is not None else ""
        if a is None or not title:
            out.notes["skipped_post"] += 1
            continue
        # the href as written ("/arxiv/537349/do-llms-have-consistent-values?": urljoin would drop the empty query)
        link = urljoin(base_url, "/").rstrip("/") + a.attrs["href"]
        aid = None
        for v in post.attr_values():
            m = _ARXIV_LINK.search(v)
            if m and (aid := normalize_arxiv_id(m.group("id"))):
                break
        if aid is None:
            out.notes["no_arxiv_id"] += 1
        key = canonical_key(link, aid)
        if key in seen:
            continue
        seen.add(key)
        authors_div = post.find_all(_is("div", "author"))
        authors = [x for x in (normalize_space(s) for s in authors_div[0].text().split(",")) if x] if authors_div else []
        url = f"https://arxiv.org/abs/{aid}" if aid else link
        out.items.append(Item(
            kind="paper", title=title, url=url, key=key, language="en", arxiv_id=aid, authors=authors,
            sightings=[Sighting(source=NAME, url=link, title=title, rank=len(out.items))],
        ))
    return out


def parse(raw: bytes | str) -> list[Item]:
    return parse_page(raw).items


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class DeeplearnSource:
    name = NAME
    kind: Kind = "paper"

    def __init__(self, today: Callable[[], dt.date] = _utc_today):
        self.today = today  # injectable clock: the panel is the current list, not a dated one

    async def fetch(self, ctx: FetchContext) -> FetchResult:
        cfg = ctx.config.sources.deeplearn
        if ctx.day < self.today() - dt.timedelta(days=1):
            return FetchResult([], {"past_day": 1})
        resp = await ctx.http.get(cfg.url)
        if resp.status >= 400:
            raise FetchError(f"{resp.url}: deeplearn.org answered HTTP {resp.status}")
        page = parse_page(resp.body, cfg.url, cfg.panel)
        return FetchResult(page.items, page.notes)


class DeeplearnConfig(Strict):
    enabled: bool = False  # off until checked against the live site (no saved page exists)
    url: str = "https://deeplearn.org/"
    panel: str = PANEL


SPEC = SourceSpec(NAME, DeeplearnConfig, lambda c: [DeeplearnSource()] if c.enabled else [],
                  title="deeplearn.org Hot Papers", off_note=STATUS_NOTE)
