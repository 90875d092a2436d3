"""Atomic file writes: a temp file in the same directory, fsync, then os.replace (never a half-written file).

The temp file is named `.<name>.<pid>.<random>.tmp`. A process killed between writing and renaming leaves it
behind; `clean_stale_temp` (called by the next run on the folder) removes such files once their writer's
process is gone, and unnamed ones (`.<name>.<random>.tmp`, older versions) once they are an hour old.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from .pids import pid_alive

STALE_UNTAGGED_S = 3600.0
_TEMP = re.compile(r"^\..+?\.(?:(?P<pid>\d+)\.)?[a-z0-9_]+\.tmp$")


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and e.filename in (None, tmp):  # name the file being written, not its temp
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


    return True


def clean_stale_temp(folder: Path) -> int:
    """Remove temp files of killed atomic writes in `folder` (never one a live process is writing). Returns how many."""
    removed = 0
    try:
        names = [e.name for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(".tmp")]
    except OSError:
        return 0
    now = time.time()
    for name in names:
        m = _TEMP.match(name)
        if not m:
            continue
        path = Path(folder) / name
        try:
            if m.group("pid"):
                pid = int(m.group("pid"))
                if pid == os.getpid() or pid_alive(pid):
                    continue
            elif now - path.stat().st_mtime < STALE_UNTAGGED_S:
                continue
            path.unlink()
            removed += 1
        except OSError:
            continue
    return removed
