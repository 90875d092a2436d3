"""The source registry: each source module declares one `SourceSpec` (name, config model, role, builder);
`aidigest.sources.builtin` registers them, one line each. From the registry come config.py's `[sources]` section
(one key per spec, in registration order), `build_sources` and `build_enrichers`. It imports no source:
`aidigest.sources.builtin` registers the built-in ones (read the registry through it).

Roles:
- `source`: `build(section)` returns the Source objects to fetch (none when the section disables it);
- `enricher`: runs after the day's items are collected and merged, filling in what the sources left out
  (`aidigest.sources.snippets`: article text for news links); `build(section)` returns an Enricher or None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

if TYPE_CHECKING:
    from ..config import Config
    from ..records import Item, Kind
    from ..infra.store import Store
    from .base import FetchContext, Source

Role = Literal["source", "enricher"]


class Enricher(Protocol):
    name: str  # the name its outcome has in run health
    kind: Kind  # the kind of items it works on (its outcome's kind)

    async def enrich(self, items: list[Item], ctx: FetchContext, store: Store | None) -> tuple[int, dict[str, int]]:
        """Fill in the merged items in place; returns (items enriched, counters shown in run health)."""
        ...


@dataclass(frozen=True)
class SourceSpec:
    name: str  # the key under [sources] in the config file
    config: Any  # the section's pydantic model (a Strict subclass), or list[Model] for a list of tables
    # the section's settings -> a list of Source objects (role source) or an Enricher / None (role enricher)
    build: Callable[[Any], Any]
    role: Role = "source"
    default: Callable[[], Any] | None = None  # default factory; None = the config model itself
    title: str = ""  # the name reports show (section headers, run health); "" = the name itself
    off_note: str = ""  # what `aidigest sources` says while the source is off (e.g. why it is off by default)


SOURCES: dict[str, SourceSpec] = {}


def register(spec: SourceSpec) -> SourceSpec:
    """Add a source (or enricher) to the registry; its config section is `[sources.<spec.name>]`."""
    if spec.name in SOURCES:
        raise ValueError(f"source {spec.name!r} is registered twice")
    SOURCES[spec.name] = spec
    return spec


def is_enricher(name: str) -> bool:
    """An outcome name that belongs to an enricher (not a source of items)."""
    spec = SOURCES.get(name)
    return spec is not None and spec.role == "enricher"


def build_sources(config: Config) -> list[Source]:
    """Enabled sources, in registration order."""
    out: list[Source] = []
    for spec in SOURCES.values():
        if spec.role == "source":
            out.extend(cast("Sequence[Source]", spec.build(getattr(config.sources, spec.name))))
    return out


def build_enrichers(config: Config) -> list[Enricher]:
    """Enabled enrichers, in registration order (they run after the sources' items are merged)."""
    built = (spec.build(getattr(config.sources, spec.name)) for spec in SOURCES.values() if spec.role == "enricher")
    return [cast(Enricher, e) for e in built if e is not None]
