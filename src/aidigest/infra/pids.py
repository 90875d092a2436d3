"""Whether a process id belongs to a live process (the run that holds a store, the writer of a temp file)."""

from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    """True when a process with this id exists (also when it belongs to another user); False for None/0."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
