"""What every source module provides, and the context a fetch runs in.

A source module has:
- `parse(raw, ...) -> list[Item]`: pure, no I/O, tested on real recordings in tests/data/;
- a class implementing `Source` whose `fetch(ctx)` does the I/O through `ctx.http` and calls `parse`.
"""

from __future__ import annotations

from ..errors import SourceError

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..infra.http import HttpClient
from ..records import Item, Kind

if TYPE_CHECKING:  # config.py is built from the source registry: a source reads its settings, never imports them
    from ..config import Config


class ParseError(SourceError):
    """The body is not what the source returns (malformed JSON/XML, an API error body...)."""


@dataclass
class FetchContext:
    day: dt.date
    http: HttpClient
    config: Config


@dataclass
class FetchResult:
    items: list[Item]
    notes: dict[str, int] = field(default_factory=dict)  # counters shown in run health


class Source(Protocol):
    name: str
    kind: Kind

    async def fetch(self, ctx: FetchContext) -> FetchResult: ...
