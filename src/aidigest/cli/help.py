"""How `aidigest --help` shows flags. Typer's rich help (the one a terminal gets) prints a type beside every option,
also beside a flag that takes no value (`--notify <bool>`, `-v <int>`, `--help <bool>`), which reads as if the flag
needed one; its plain help (no rich) prints none. `plain_flags` makes the rich help do as the plain one does.

Help texts are rich markup there: a literal bracket is written `\\[` (`\\[digest] classifier`), or rich takes
`[digest]` for a style and drops it (tests/cli/test_cli_help.py checks every command's help for both)."""

from __future__ import annotations

from typing import Any


def plain_flags() -> None:
    """Show no type beside a flag (an option that is a switch or a counter) in the rich help."""
    from typer.core import TyperOption

    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "aidigest_plain_flags", False):  # an older typer, or done already
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        return original(self, ctx)

    display_type_rich.aidigest_plain_flags = True  # type: ignore[attr-defined]  # a marker: patched once
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]  # typer's own, for flags
