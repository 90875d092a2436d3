"""Atom feeds of the site (feedgen): one feed per kind, one entry per day whose content is that day's digest
as HTML (rendered by the `feed_entry.html.j2` template).

Entry ids are `urn:uuid:` UUID5s of the kind and day: stable across rebuilds, reruns and a changed base URL,
so a rerun of a day updates its entry (same id, later `updated`) instead of adding one. `updated` of an entry
is when its content last changed (aidigest.render.site keeps it); the feed's own `updated` is the latest of
its entries', so an unchanged site gives byte-identical feeds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

NAMESPACE = uuid.UUID("5b0c6f43-7a0e-4b8e-9a57-2f1d8c0c4a11")  # fixed: aidigest feed and entry ids


def entry_id(kind: str, day: dt.date) -> str:
    return uuid.uuid5(NAMESPACE, f"aidigest:{kind}:{day.isoformat()}").urn


def feed_id(kind: str) -> str:
    return uuid.uuid5(NAMESPACE, f"aidigest:feed:{kind}").urn


@dataclass(frozen=True)
class FeedEntry:
    kind: str
    day: dt.date
    title: str
    link: str  # the day's page (absolute with a base URL, else relative to the feed file)
    content_html: str
    updated: dt.datetime
    published: dt.datetime


@dataclass(frozen=True)
class FeedMeta:
    """The feed's own fields; `fallback_updated` is its `updated` when it has no entry."""

    title: str
    subtitle: str
    site_link: str
    self_link: str
    language: str
    author: str
    fallback_updated: dt.datetime


def atom_feed(kind: str, entries: list[FeedEntry], meta: FeedMeta) -> bytes:
    """The feed as UTF-8 XML bytes; `entries` newest first. Deterministic for the same input."""
    fg = FeedGenerator()
    fg.id(feed_id(kind))
    fg.title(meta.title)
    fg.subtitle(meta.subtitle)
    fg.author({"name": meta.author})
    fg.link(href=meta.site_link, rel="alternate")
    fg.link(href=meta.self_link, rel="self")
    fg.language(meta.language)
    fg.updated(max((e.updated for e in entries), default=meta.fallback_updated))
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry_id(e.kind, e.day))
        fe.title(e.title)
        fe.link(href=e.link, rel="alternate")
        fe.updated(e.updated)
        fe.published(e.published)
        fe.content(e.content_html, type="html")
    return fg.atom_str(pretty=True)
