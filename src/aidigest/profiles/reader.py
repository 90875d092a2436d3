"""What aidigest keeps per reader profile (`[profiles.<name>]`), and the reader's liked papers.

    add_liked(store, "nlp", "2507.01234")        # `aidigest profile add-paper nlp 2507.01234`
    liked_ids(store, "nlp")                      # the ids added that way (the config's `liked` come on top)
    mark_reported(store, "nlp", day, rows)       # a profile's own 7-day no-repeat memory
    reported_before(store, "nlp", day, 7)
    liked_papers(store, profile_cfg, "nlp")      # (LikedPaper list, problems): the text the ranking compares with

Where the liked set lives: in the store, keyed by profile (the `profiles` migration set, owned here). The config
file is the user's own text with their comments; aidigest never rewrites it (tomllib reads TOML, nothing here
writes it back faithfully), so `add-paper` / `remove-paper` edit a table, and the config's `liked` ids and
`liked_file` are read on top of it. Removing an id the config lists is refused with a line saying where it is.

The profile's memory of what its digests showed (`profile_reported`) is separate from the main digest's
`reported` table (owned by aidigest.infra.store): a reader who never saw an item gets it even when the main digest
showed it yesterday.

Liked papers' text (what the ranking embeds): an arXiv id is looked up among the items in the store (title +
abstract of any day that carried it); a BibTeX entry or Zotero CSV row brings its own title and abstract. An
id with no text anywhere is reported (counted in the run health), never silently dropped.
"""

from __future__ import annotations

from ..errors import UserError

import csv
import datetime as dt
import re
import time
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from ..config import ProfileConfig
from ..infra.migrations import PROFILES
from ..infra.store import Store

MIGRATIONS = PROFILES  # this module's tables (their schema: aidigest.infra.migrations)

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
_ARXIV_IN_TEXT = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arXiv:\s*)(\d{4}\.\d{4,5})", re.IGNORECASE)


class ProfileError(UserError):
    """A user mistake about a profile (unknown name, bad arXiv id, unreadable library file): one line."""


class LikedPaper(BaseModel):
    arxiv_id: str | None  # None: a library entry without an arXiv id (shown by title)
    title: str
    abstract: str = ""
    source: str  # "store" (an item with the id), "file" (the library export)

    @property
    def label(self) -> str:
        return self.arxiv_id or self.title[:40]


def normalize_id(raw: str) -> str:
    """`2507.01234`, `arXiv:2507.01234v2`, `https://arxiv.org/abs/2507.01234` -> `2507.01234`; else ProfileError."""
    s = raw.strip()
    m = _ARXIV_IN_TEXT.search(s)
    if m:
        s = m.group(1)
    if not ARXIV_ID.match(s):
        raise ProfileError(f"{raw!r} is not an arXiv id (like 2507.01234)")
    return re.sub(r"v\d+$", "", s)


def add_liked(store: Store, profile: str, arxiv_id: str) -> bool:
    """Add an id to the profile's liked set; False when it was there already."""
    store.ensure(MIGRATIONS)
    aid = normalize_id(arxiv_id)
    with store.write() as db:
        cur = db.execute("INSERT INTO profile_liked (profile, arxiv_id, added_at) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                         (profile, aid, time.time()))
        return cur.rowcount > 0


def remove_liked(store: Store, profile: str, arxiv_id: str) -> bool:
    """Remove an id added with add_liked; False when it was not in the store's set."""
    store.ensure(MIGRATIONS)
    aid = normalize_id(arxiv_id)
    with store.write() as db:
        return db.execute("DELETE FROM profile_liked WHERE profile = ? AND arxiv_id = ?", (profile, aid)).rowcount > 0


def liked_ids(store: Store, profile: str) -> list[str]:
    """The ids added to the profile (oldest first)."""
    store.ensure(MIGRATIONS)
    return [r[0] for r in store.query(
        "SELECT arxiv_id FROM profile_liked WHERE profile = ? ORDER BY added_at, arxiv_id", (profile,))]


def mark_reported(store: Store, profile: str, day: dt.date, rows: Iterable[tuple[str, str, str, float]]) -> None:
    """rows: (key, kind, category, popularity) of what the profile's digest showed; replaces the day's rows of
    those kinds (a rerun is idempotent)."""
    store.ensure(MIGRATIONS)
    rows = list(rows)
    d = day.isoformat()
    with store.write() as db:
        for kind in {r[1] for r in rows}:
            db.execute("DELETE FROM profile_reported WHERE profile = ? AND day = ? AND kind = ?", (profile, d, kind))
        db.executemany("INSERT INTO profile_reported (profile, day, key, kind, category, score) VALUES (?,?,?,?,?,?)"
                       " ON CONFLICT (profile, day, key) DO UPDATE SET kind=excluded.kind, category=excluded.category,"
                       " score=excluded.score", [(profile, d, k, kind, c, s) for k, kind, c, s in rows])


def reported_before(store: Store, profile: str, day: dt.date, window_days: int) -> dict[str, tuple[str, float]]:
    """key -> (latest earlier day the profile's digest showed it, its popularity then), within the window."""
    store.ensure(MIGRATIONS)
    start = (day - dt.timedelta(days=window_days)).isoformat()
    out: dict[str, tuple[str, float]] = {}
    for r in store.query("SELECT key, day, score FROM profile_reported WHERE profile = ? AND day >= ? AND day < ?"
                         " ORDER BY day", (profile, start, day.isoformat())):
        out[r[0]] = (r[1], r[2])
    return out


def returned_before(store: Store, profile: str, day: dt.date, window_days: int) -> frozenset[str]:
    """Keys the profile showed on two or more earlier days within the window (came back once already)."""
    store.ensure(MIGRATIONS)
    start = (day - dt.timedelta(days=window_days)).isoformat()
    return frozenset(r[0] for r in store.query(
        "SELECT key FROM profile_reported WHERE profile = ? AND day >= ? AND day < ? GROUP BY key"
        " HAVING COUNT(DISTINCT day) >= 2", (profile, start, day.isoformat())))


# ---- library exports ---------------------------------------------------------------------------------------
_BIB_ENTRY = re.compile(r"@\s*(\w+)\s*\{", re.IGNORECASE)


def _bib_fields(body: str) -> dict[str, str]:
    """field -> value of one BibTeX entry body (braced or quoted values, nested braces kept balanced)."""
    fields: dict[str, str] = {}
    i, n = 0, len(body)
    while i < n:
        m = re.compile(r"\s*,?\s*([A-Za-z][\w-]*)\s*=\s*").match(body, i)
        if not m:
            i += 1
            continue
        name, i = m.group(1).lower(), m.end()
        if i < n and body[i] == "{":
            depth, j = 0, i
            while j < n:
                depth += {"{": 1, "}": -1}.get(body[j], 0)
                if depth == 0:
                    break
                j += 1
            value, i = body[i + 1 : j], j + 1
        elif i < n and body[i] == '"':
            j = body.find('"', i + 1)
            j = n if j < 0 else j
            value, i = body[i + 1 : j], j + 1
        else:
            m2 = re.compile(r"[^,]*").match(body, i)
            value, i = (m2.group(0) if m2 else ""), (m2.end() if m2 else n)
        fields[name] = re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
    return fields


def parse_bibtex(text: str) -> list[LikedPaper]:
    """Entries with a title; the arXiv id from `eprint` (archivePrefix arXiv), a `doi` 10.48550/arXiv.*, or a URL."""
    out: list[LikedPaper] = []
    starts = [m for m in _BIB_ENTRY.finditer(text) if m.group(1).lower() not in ("comment", "string", "preamble")]
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        body = text[m.end():end]
        body = body[body.find(",") + 1:] if "," in body else ""  # past the citation key
        f = _bib_fields(body.rstrip().rstrip("}"))
        if not f.get("title"):
            continue
        aid = None
        for cand in (f.get("eprint", ""), f.get("doi", "").removeprefix("10.48550/arXiv."), f.get("url", ""),
                     f.get("journal", "")):
            try:
                aid = normalize_id(cand)
                break
            except ProfileError:
                continue
        out.append(LikedPaper(arxiv_id=aid, title=f["title"], abstract=f.get("abstract", ""), source="file"))
    return out


def parse_zotero_csv(text: str) -> list[LikedPaper]:
    """Zotero's CSV export: columns Title, Abstract Note, Url, Extra, DOI (an arXiv id from any of the last three)."""
    out: list[LikedPaper] = []
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "Title" not in reader.fieldnames:
        raise ProfileError("not a Zotero CSV export (no \"Title\" column)")
    for row in reader:
        title = (row.get("Title") or "").strip()
        if not title:
            continue
        aid = None
        for cand in (row.get("Url") or "", row.get("Extra") or "", (row.get("DOI") or "").removeprefix("10.48550/arXiv.")):
            m = _ARXIV_IN_TEXT.search(cand)
            try:
                aid = normalize_id(m.group(1) if m else cand)
                break
            except ProfileError:
                continue
        out.append(LikedPaper(arxiv_id=aid, title=title, abstract=(row.get("Abstract Note") or "").strip(), source="file"))
    return out


def read_library(path: str | Path) -> list[LikedPaper]:
    """A BibTeX (.bib) or Zotero CSV (.csv) export; ProfileError (one line) when it cannot be read."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ProfileError(f"liked_file {p} cannot be read ({getattr(e, 'strerror', None) or e})") from None
    if p.suffix.lower() == ".csv":
        return parse_zotero_csv(text)
    if p.suffix.lower() in (".bib", ".bibtex"):
        return parse_bibtex(text)
    raise ProfileError(f"liked_file {p}: expected a .bib (BibTeX) or .csv (Zotero) export")


def liked_papers(store: Store | None, cfg: ProfileConfig, name: str) -> tuple[list[LikedPaper], list[str]]:
    """The profile's liked papers with their text, and the ids no text was found for (to report)."""
    papers: list[LikedPaper] = []
    if cfg.liked_file:
        papers = read_library(cfg.liked_file)
    have = {p.arxiv_id for p in papers if p.arxiv_id}
    ids: list[str] = []
    for raw in [*cfg.liked, *(liked_ids(store, name) if store is not None else [])]:
        aid = normalize_id(raw)
        if aid not in have and aid not in ids:
            ids.append(aid)
    found = {it.arxiv_id: it for it in store.stored_items((), ids).values()} if store is not None and ids else {}
    missing = []
    for aid in ids:
        it = found.get(aid)
        if it is None:
            missing.append(aid)
        else:
            papers.append(LikedPaper(arxiv_id=aid, title=it.title, abstract=it.snippet, source="store"))
    return papers, missing


def site_path(name: str, cfg: ProfileConfig) -> str:
    """The folder of a profile's site pages inside the main site ([profiles.<name>] site, else profiles/<name>)."""
    return cfg.site.strip("/") or f"profiles/{name}"
