"""Jinja2 for the site and the feeds: one environment with autoescaping, the default templates shipped in the
package (aidigest/templates/*.j2), and a folder of overrides named in the config (`[site] templates`): a file
there with the name of a default template replaces it, any other file can be included by the ones there.

Every value a template prints is escaped (autoescape is on for every template, whatever its name); links go
through the `href` filter, which lets only http(s) URLs through (see escape.safe_url) — anything else
(javascript:, data:, file:, relative paths from fetched data) gives None and the template prints text instead.
Undefined names are errors (StrictUndefined), reported as one line naming the template and line.
"""

from __future__ import annotations

from ..errors import RenderError

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from ..summarize.header import list_strings
from ..summarize.i18n import language_name, strings
from ..summarize.tldr import signals_text
from .escape import one_line, safe_url
from .icons import icon_html, iconize


class TemplateProblem(RenderError):
    """A template could not be loaded or rendered: one line (template name, line, what)."""


@dataclass(frozen=True)
class SiteStrings:
    """Fixed text of the site's own pages (the digest's own headings come from summarize.i18n)."""

    site_title: str
    home: str
    latest: str
    news: str
    papers: str
    archive: str
    trends: str
    search: str
    search_placeholder: str
    search_button: str
    search_nojs: str
    search_loading: str
    search_results: str  # {n}
    search_none: str
    search_hint: str
    prev_day: str
    next_day: str
    categories: str
    recent_days: str  # {n}
    months: str
    full_digest: str
    feeds: str
    trend_caption: str  # {kind} {n}
    trend_table: str
    grew: str
    earlier: str  # {n}
    recent: str  # {n}
    change: str
    total: str
    discussion: str
    sources_seen: str
    items: str  # {n}
    all_items: str  # {n}
    no_items: str
    chart_alt: str  # {kind} {day}
    skip: str
    kind_day: str  # {kind} {day}
    category_of: str  # {name}
    month_of: str  # {month}
    updated: str


_KO = SiteStrings(
    site_title="AI 다이제스트", home="홈", latest="최신 다이제스트", news="뉴스", papers="논문", archive="지난 다이제스트",
    trends="카테고리 추세", search="검색", search_placeholder="제목·한 줄 요약에서 찾기", search_button="찾기",
    search_nojs="검색은 JavaScript로 동작합니다. JavaScript 없이도 홈의 지난 다이제스트와 카테고리 페이지에서 모든 항목을 볼 수 있습니다.",
    search_loading="검색 색인을 읽는 중…", search_results="{n}건 찾음", search_none="찾은 항목이 없습니다.",
    search_hint="두 글자 이상 입력하세요. 여러 단어는 모두 포함된 항목만 찾습니다.",
    prev_day="← 이전 날", next_day="다음 날 →", categories="카테고리", recent_days="최근 {n}일", months="월별 보관",
    full_digest="요약 전체 보기", feeds="Atom 피드", trend_caption="{kind}: 최근 {n}일 카테고리별 하루 항목 수",
    trend_table="늘어난 분야 (앞 절반 대비 뒤 절반)", grew="증가", earlier="앞 {n}일", recent="뒤 {n}일", change="변화",
    total="합계", discussion="HN 토론", sources_seen="수집 출처", items="{n}건", all_items="{n}건 모두 보기 →", no_items="아직 다이제스트가 없습니다.",
    chart_alt="카테고리별 항목 수 — {kind} {day}", skip="본문으로 건너뛰기", kind_day="{kind} — {day}",
    category_of="{name}", month_of="{month}", updated="갱신",
)

_EN = SiteStrings(
    site_title="AI Digest", home="Home", latest="Latest digest", news="News", papers="Papers", archive="Earlier digests",
    trends="Category trends", search="Search", search_placeholder="Search titles and TL;DRs", search_button="Search",
    search_nojs="Search needs JavaScript. Without it, every item is reachable from the earlier digests on the home page and the category pages.",
    search_loading="Loading the search index…", search_results="{n} found", search_none="Nothing found.",
    search_hint="Type two characters or more; with several words, items must contain all of them.",
    prev_day="← Previous day", next_day="Next day →", categories="Categories", recent_days="Last {n} days", months="By month",
    full_digest="Full digest with summaries", feeds="Atom feeds", trend_caption="{kind}: items per category per day, last {n} days",
    trend_table="Categories that grew (second half vs first half)", grew="grew", earlier="first {n} days",
    recent="last {n} days", change="change", total="total", discussion="HN discussion", sources_seen="seen on",
    items="{n} items", all_items="all {n} →", no_items="No digest yet.", chart_alt="Items per category — {kind} {day}", skip="Skip to content",
    kind_day="{kind} — {day}", category_of="{name}", month_of="{month}", updated="updated",
)

SITE_STRINGS = {"ko": _KO, "en": _EN}


def site_strings(language: str) -> SiteStrings:
    return SITE_STRINGS.get(language, _EN)


@lru_cache(maxsize=1 << 17)
def safe_href(url: str) -> str | None:
    """escape.safe_url, memoized: a site prints the same URLs on many pages (day, category, home, feeds)."""
    return safe_url(url)


def _href(url: object) -> str | None:
    """An http(s) URL for an href attribute, or None (then the template prints the text without a link)."""
    return safe_href(url) if isinstance(url, str) else None


def _signals(entry, language: str) -> str:
    return signals_text(language, entry.hn_points, entry.hn_comments, entry.hf_upvotes, len(entry.sources))


def _extractive_label(summary, language: str) -> str:
    t = strings(language)
    src = summary.source_language
    if src and src != language:
        return t.extractive_label.format(lang=language_name(src, language))
    return t.extractive_label_same


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def package_templates() -> Path:
    return Path(__file__).resolve().parent.parent / "templates"


def template_loader(override_dir: str | Path | None = None) -> jinja2.BaseLoader:
    """The user's override folder first (TemplateProblem when it is missing), then the package's templates."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir:
        d = Path(override_dir)
        if not d.is_dir():
            raise TemplateProblem(f"template folder {d} does not exist")
        loaders.append(jinja2.FileSystemLoader(str(d)))
    loaders.append(jinja2.FileSystemLoader(str(package_templates())))
    return jinja2.ChoiceLoader(loaders)


def make_env(override_dir: str | Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=template_loader(override_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = _href
    env.filters["one_line"] = lambda s: one_line(str(s))
    env.filters["num"] = _num
    env.globals["signals"] = _signals
    env.globals["extractive_label"] = _extractive_label
    env.globals["strings"] = strings
    env.globals["list_strings"] = list_strings
    # emoji as the shipped icon images on site pages (`root` set), as text elsewhere (feed entries): render/icons.py
    env.globals["icon"] = jinja2.pass_context(lambda ctx, emoji: icon_html(str(emoji), ctx.get("root")))
    env.filters["iconize"] = jinja2.pass_context(lambda ctx, text: iconize(str(text), ctx.get("root")))
    return env


def templates_key(env: jinja2.Environment) -> str:
    """A hash of every page template the environment can load (overrides and defaults): a changed template
    re-renders the pages."""
    h = hashlib.sha256()
    for name in sorted(set(env.list_templates())):
        if name.endswith(".md.j2"):  # the Markdown report's template (render/markdown.py): no page uses it
            continue
        try:
            src, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            continue
        h.update(name.encode() + b"\0" + src.encode("utf-8") + b"\0")
    return h.hexdigest()


def render(env: jinja2.Environment, name: str, **context) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateProblem(f"template {e.name or name} line {e.lineno}: {e.message}") from None
    except jinja2.TemplateNotFound as e:
        raise TemplateProblem(f"template {e.name} not found (in the override folder or the package)") from None
    except Exception as e:  # anything a (user's) template raises while rendering, e.g. an undefined name
        raise TemplateProblem(f"template {name}: {type(e).__name__}: {one_line(str(e))[:300]}") from None
