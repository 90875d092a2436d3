"""`aidigest classify`: JSON lines in, the same lines out with "category" added (aidigest.classify.items does
the classifying, BATCH_LINES at a time); a bad line is named on stderr and skipped, never the end of the run.

    bad_lines = classify_jsonl(sys.stdin.buffer, sys.stdout, taxonomy, llm, config)
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Literal, TextIO

from ..config import Config
from ..llm.base import LLM
from ..records import Item
from ..taxonomy import Taxonomy
from .items import classify_items


MAX_LINE_BYTES = 1_000_000  # a longer `classify` input line is skipped and counted (read past, never held whole)
MAX_TITLE_CHARS = 1_000  # the classifier sees at most this much of a title (the output line keeps it all)
BATCH_LINES = 1_000  # lines classified and written together: memory stays bounded, output streams
MAX_NAMED_ERRORS = 20  # bad lines named one by one on stderr; the rest are only counted (binary input: millions)


def _parse_line(line: str, lineno: int) -> tuple[dict | None, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return None, f"line {lineno}: not valid JSON ({e.msg} at column {e.colno})"
    except RecursionError:
        return None, f"line {lineno}: JSON nested too deeply"
    if not isinstance(obj, dict):
        return None, f"line {lineno}: expected a JSON object with a \"title\", got {type(obj).__name__}"
    title = obj.get("title")
    if not isinstance(title, str) or not title.strip():
        return None, f"line {lineno}: no \"title\" (a non-empty string is required)"
    snippet = obj.get("snippet", "")
    if snippet is None:
        snippet = ""
    if not isinstance(snippet, str):
        return None, f"line {lineno}: \"snippet\" must be a string"
    return obj, None


def _input_lines(lines: Iterable[str] | Iterable[bytes] | BinaryIO) -> Iterator[tuple[str | None, str | None]]:
    """(text of the line, None) or (None, what is wrong with it) per input line. A binary stream is read line by
    line with a length cap (a longer line is read past in chunks), and each line decoded on its own, so one
    bad byte costs one line."""
    if isinstance(lines, io.TextIOBase) and hasattr(lines, "buffer"):
        lines = lines.buffer
    if hasattr(lines, "readline") and not isinstance(lines, io.TextIOBase):
        def chunks() -> Iterator[bytes | int]:
            while True:
                raw = lines.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    size = len(raw)
                    while True:
                        rest = lines.readline(1 << 20)
                        size += len(rest)
                        if not rest or rest.endswith(b"\n"):
                            break
                    yield size
                else:
                    yield raw
        source: Iterable = chunks()
    else:
        source = lines
    for raw in source:
        if isinstance(raw, int):
            yield None, f"longer than {MAX_LINE_BYTES:,} bytes ({raw:,})"
            continue
        if isinstance(raw, bytes):
            if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
                yield None, f"longer than {MAX_LINE_BYTES:,} bytes ({len(raw):,})"
                continue
            try:
                yield raw.decode("utf-8"), None
            except UnicodeDecodeError as e:
                yield None, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1})"
            continue
        if len(raw) > MAX_LINE_BYTES and len(raw.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES + 2:
            yield None, f"longer than {MAX_LINE_BYTES:,} bytes"
            continue
        yield raw, None


def classify_jsonl(
    lines: Iterable[str] | Iterable[bytes] | BinaryIO,
    out: TextIO,
    taxonomy: Taxonomy,
    llm: LLM | None = None,
    config: Config | None = None,
    err: TextIO | None = None,
) -> int:
    """Classify JSON lines {"title": ..., "snippet": ...}; write each back (all its fields kept) with
    "category": <id>, in input order. A bad line (not UTF-8, longer than MAX_LINE_BYTES, not JSON or nested too
    deeply, not an object, no title) gets a one-line error on stderr naming its line number and is skipped; every
    other line is still classified and written. Lines are classified BATCH_LINES at a time (bounded memory).
    `lines`: a binary stream (stdin.buffer), or an iterable of str or bytes lines. Returns the number of bad
    lines. Blank lines are ignored."""
    err = err if err is not None else sys.stderr
    config = config or Config()
    good: list[dict] = []
    items: list[Item] = []
    notes: list[str] = []
    fallbacks: dict[str, int] = {}
    checks: list = []  # LLM answers the offline classifier disputed (aidigest.classify.check), said at the end
    runner = asyncio.Runner()  # one event loop for every batch (an LLM client stays on the loop it started on)

    def flush() -> None:
        if not items:
            return
        classified, health = runner.run(classify_items(items, taxonomy, llm, config))
        notes.extend(n for n in health.notes if n not in notes)
        for key, n in health.fallbacks.items():
            fallbacks[key] = fallbacks.get(key, 0) + n
        checks.extend(health.checks)
        for obj, c in zip(good, classified, strict=True):
            obj["category"] = c.category
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        out.flush()
        good.clear()
        items.clear()

    bad = [0]
    try:
        with runner:
            _classify_lines(lines, good, items, err, flush, bad)
    finally:  # also when interrupted: the count of what was skipped is never lost
        if bad[0] > MAX_NAMED_ERRORS:
            print(f"error: {bad[0]:,} bad input lines in all; the first {MAX_NAMED_ERRORS} are named above, "
                  "the others were skipped the same way", file=err)
    for note in notes:
        print(f"note: {note}", file=err)
    for key, n in fallbacks.items():
        print(f"note: {key}: {n} item(s)", file=err)
    if checks:
        changed = sum(c.final != c.llm for c in checks)
        print(f"note: {len(checks)} LLM categor{'y' if len(checks) == 1 else 'ies'} disputed by the offline classifier "
              f"and asked again; {changed} changed (docs/llm.md)", file=err)
    return bad[0]


def _classify_lines(lines, good: list[dict], items: list[Item], err: TextIO, flush, bad: list[int]) -> None:
    """Classify the good lines (via `flush`), name the first MAX_NAMED_ERRORS bad ones on `err` and count them
    all in bad[0]."""
    for lineno, (line, problem) in enumerate(_input_lines(lines), start=1):
        if problem is None:
            assert line is not None
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            obj, problem = _parse_line(line, lineno)
        else:
            problem = f"line {lineno}: {problem}"
        if problem:
            bad[0] += 1
            if bad[0] <= MAX_NAMED_ERRORS:
                print(f"error: {problem}; line skipped", file=err)
            continue
        assert obj is not None
        good.append(obj)
        kind: Literal["news", "paper"] = "paper" if obj.get("kind") == "paper" else "news"
        items.append(Item(kind=kind, title=obj["title"][:MAX_TITLE_CHARS], url=str(obj.get("url") or ""),
                          key=f"line:{lineno}", snippet=obj.get("snippet") or ""))
        if len(items) >= BATCH_LINES:
            flush()
    flush()
