"""The `aidigest` command line: thin. A command parses its flags, calls the library and prints what it returns;
what stops it becomes one line and an exit code, by type, in one place (`errors`).

    app       the typer applications, shared options, config loading with the flags applied
    errors    exception -> one line + exit code (the `command` decorator every command is registered with)
    output    the invocation's Session: consoles, -q, the store named in errors
    guard     outside text printed literally, SIGTERM as Ctrl-C, --replay/--out checks
    help      flags shown without a type in the rich help
    checks    flag checks `run` and `week` share
    send      deliveries as the commands print them
    setup     init;  day: collect, run;  week: notify, week;  tools: where, site, sources, classify, train;
    groups    eval, cache, profile, store
"""

from . import setup, day, week, tools, groups  # noqa: F401 - each registers its commands on `app`, in the order --help lists them
from .app import app

__all__ = ["app"]
