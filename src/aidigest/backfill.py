"""A backfill several processes (on several machines) share: `aidigest run --from … --to …` on a PostgreSQL store.

Each process claims days from the store instead of walking them in order: a day is claimed with a session-level
advisory lock (`pg_try_advisory_lock`, one key per day), so a claim ends when its process does — a worker killed
mid-day leaves the day to be claimed again — and recorded in `day_claims` (which worker, when; `done` when its run
ended, ok or failed), so a day is done once whichever process gets to it. A process that finds every remaining day
claimed by others waits for them (a claim freed by a dead worker is taken over). The claims of a range are kept:
the same range started again resumes, skipping its finished days (`aidigest run --date D` reruns one).

On SQLite (one machine, one file) a backfill walks its days in order as before: `claimed_days` yields them as given.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Iterator

from .pgstore import is_url

CLAIM_LOCK = 0x61696469  # classid of a day's claim (the day's ordinal is the objid); the run's own lock is another
POLL_S = 0.5

_TABLE = """CREATE TABLE IF NOT EXISTS day_claims (
    batch       TEXT COLLATE "C" NOT NULL,
    day         TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    worker      TEXT COLLATE "C",
    claimed_at  DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    PRIMARY KEY (batch, day)
)"""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimed_days(db: str, days: list[dt.date], log=None) -> Iterator[dt.date]:
    """The days this process should run, one at a time; a day is finished when the next one is asked for (or the
    loop ends normally). On an exception in the caller the current claim is released unfinished."""
    if not is_url(db) or len(days) < 2:
        yield from days
        return
    from .store import Store

    batch = f"{days[0]}..{days[-1]}"
    me = worker_id()
    with Store(db) as store:
        pg = store.pg
        assert pg is not None
        with store.write():  # DDL and the batch's rows under the store's write lock: workers starting together
            pg.execute(_TABLE)
            for d in days:
                pg.execute("INSERT INTO day_claims (batch, day, status) VALUES (?, ?, 'todo') ON CONFLICT DO NOTHING",
                           (batch, d.isoformat()))
        while True:
            todo = [dt.date.fromisoformat(r[0]) for r in pg.execute(
                "SELECT day FROM day_claims WHERE batch = ? AND status <> 'done' ORDER BY day", (batch,))]
            if not todo:
                return
            day = None
            for d in todo:
                if not pg.execute("SELECT pg_try_advisory_lock(?, ?)", (CLAIM_LOCK, d.toordinal())).fetchone()[0]:
                    continue
                status = pg.execute("SELECT status FROM day_claims WHERE batch = ? AND day = ?",
                                    (batch, d.isoformat())).fetchone()[0]
                if status == "done":  # finished by another worker between the read and the lock
                    pg.execute("SELECT pg_advisory_unlock(?, ?)", (CLAIM_LOCK, d.toordinal()))
                    continue
                day = d
                break
            if day is None:  # every remaining day is being run by another worker: wait for them (or their death)
                time.sleep(POLL_S)
                continue
            with store.write():
                pg.execute("UPDATE day_claims SET status = 'claimed', worker = ?, claimed_at = ? WHERE batch = ? AND"
                           " day = ?", (me, time.time(), batch, day.isoformat()))
            if log is not None:
                log(day, me)
            try:
                yield day
            except GeneratorExit:  # the caller stopped (an error, Ctrl-C): the day stays claimable
                pg.execute("SELECT pg_advisory_unlock(?, ?)", (CLAIM_LOCK, day.toordinal()))
                raise
            with store.write():
                pg.execute("UPDATE day_claims SET status = 'done', finished_at = ? WHERE batch = ? AND day = ?",
                           (time.time(), batch, day.isoformat()))
            pg.execute("SELECT pg_advisory_unlock(?, ?)", (CLAIM_LOCK, day.toordinal()))
