"""Within-day merging: one item per canonical key, papers joined by arXiv id across HF, arXiv and HN."""

from __future__ import annotations

from ..records import Item, Sighting


def _merge_sightings(a: list[Sighting], b: list[Sighting]) -> list[Sighting]:
    out = list(a)
    seen = {(s.source, s.url) for s in a}
    for s in b:
        if (s.source, s.url) in seen:
            # same sighting seen again (a rerun): keep the fresher signals
            for i, old in enumerate(out):
                if (old.source, old.url) == (s.source, s.url):
                    out[i] = old.model_copy(
                        update={
                            k: v
                            for k, v in s.model_dump().items()
                            if v is not None and k in ("points", "comments", "upvotes", "rank", "discussion_url")
                        }
                    )
        else:
            out.append(s)
            seen.add((s.source, s.url))
    return out


def merge_pair(a: Item, b: Item) -> Item:
    """Fold `b` into `a`. Papers prefer the arXiv record's fields; the longest snippet wins."""
    primary, other = (a, b)
    # an item seen as a paper (arXiv / HF) is a paper even if an HN post linked it
    if a.kind != "paper" and b.kind == "paper":
        primary, other = b, a
    # the arXiv API record carries the canonical abstract/category: prefer it as the base
    if other.primary_category and not primary.primary_category:
        primary, other = other, primary
    snippet = primary.snippet if len(primary.snippet) >= len(other.snippet) else other.snippet
    return primary.model_copy(
        update={
            "snippet": snippet,
            "arxiv_id": primary.arxiv_id or other.arxiv_id,
            "primary_category": primary.primary_category or other.primary_category,
            "arxiv_categories": primary.arxiv_categories or other.arxiv_categories,
            "authors": primary.authors or other.authors,
            "published": primary.published or other.published,
            "sightings": _merge_sightings(primary.sightings, other.sightings),
            "key": a.key,
        }
    )


def merge_items(items: list[Item]) -> tuple[list[Item], int]:
    """Merge duplicates (same canonical key, or same arXiv id). Returns (items in first-seen order, merges)."""
    by_key: dict[str, Item] = {}
    alias: dict[str, str] = {}  # arXiv id -> key of the item holding it
    merges = 0
    for it in items:
        target = it.key if it.key in by_key else None
        if target is None and it.arxiv_id and it.arxiv_id in alias:
            target = alias[it.arxiv_id]
        if target is None:
            by_key[it.key] = it
            if it.arxiv_id:
                alias[it.arxiv_id] = it.key
            continue
        by_key[target] = merge_pair(by_key[target], it)
        merges += 1
        if it.arxiv_id:
            alias[it.arxiv_id] = target
    return list(by_key.values()), merges


def merge_with_stored(items: list[Item], stored: dict[str, Item]) -> list[Item]:
    """The rows to store for `items` (already merged within the day) given the items already stored that share a
    key or an arXiv id with them (`Store.stored_items`, in stored order): each item is folded into the stored item
    with its key, else into the first with its arXiv id (keeping the stored key), else stored as it is. One row
    per key, in first-seen order."""
    rows = dict(stored)
    by_arxiv: dict[str, str] = {}
    for key, it in rows.items():
        if it.arxiv_id:
            by_arxiv.setdefault(it.arxiv_id, key)
    out: dict[str, Item] = {}
    for it in items:
        found = it.key if it.key in rows else by_arxiv.get(it.arxiv_id) if it.arxiv_id else None
        if found is None:
            merged, key = it, it.key
        else:
            merged, key = merge_pair(rows[found], it).model_copy(update={"key": found}), found
        rows[key] = out[key] = merged
        if merged.arxiv_id:
            by_arxiv.setdefault(merged.arxiv_id, key)
    return list(out.values())
