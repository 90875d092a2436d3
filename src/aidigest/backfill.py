"""A backfill several processes (on several machines) share: `aidigest run --from … --to …` on a PostgreSQL store.

Each process claims days from the store instead of walking them in order: a day is claimed with a session-level
advisory lock (`pg_try_advisory_lock`, one key per day), so a claim ends when its process does — a worker killed
mid-day leaves the day to be claimed again — and recorded in `day_claims` (which worker, from which address, when; `done` when its run
ended, ok or failed), so a day is done once whichever process gets to it. A process that finds every remaining day
claimed by others waits for them (a claim freed by a dead worker is taken over). The claims of a range are kept:
the same range started again resumes, skipping its finished days (`aidigest run --date D` reruns one).

On SQLite (one machine, one file) a backfill walks its days in order as before: `claimed_days` yields them as given.

`--jobs N` (`run_in_jobs`): N days at once in one process, each in a thread with its own event loop and store
connection; on PostgreSQL each thread claims days like a worker of its own. Their LLM calls share the endpoint's
`[llm] concurrency` (aidigest.llm.slots), so the speed-up flattens where the LLM's slots are full.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from .llm.slots import sharing_slots
from .infra.pgstore import is_url
from .infra.store import Store

CLAIM_LOCK = 0x61696469  # classid of a day's claim (the day's ordinal is the objid); the run's own lock is another
POLL_S = 0.5

_TABLE = """CREATE TABLE IF NOT EXISTS day_claims (
    batch       TEXT COLLATE "C" NOT NULL,
    day         TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    worker      TEXT COLLATE "C",
    client      TEXT COLLATE "C",
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
            with store.write():  # client: the worker's address as the server sees it (None over a Unix socket)
                pg.execute("UPDATE day_claims SET status = 'claimed', worker = ?, client = host(inet_client_addr()),"
                           " claimed_at = ? WHERE batch = ? AND day = ?", (me, time.time(), batch, day.isoformat()))
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


def run_in_jobs(worker: Callable[[Iterable[dt.date]], None], db: str, days: list[dt.date], jobs: int) -> None:
    """`worker(days it should run)` in `jobs` threads at once; the first error of a thread is raised after all end."""
    lock = threading.Lock()
    queue = iter(days)

    def in_order() -> Iterator[dt.date]:  # SQLite: the next day not taken by another thread
        while True:
            with lock:
                day = next(queue, None)
            if day is None:
                return
            yield day

    with sharing_slots(), ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="day") as pool:
        todo = [claimed_days(db, days) if is_url(db) else in_order() for _ in range(min(jobs, len(days)))]
        # each thread runs in a copy of this context: it sees the shared slots (aidigest.llm.slots)
        futures = [pool.submit(contextvars.copy_context().run, worker, t) for t in todo]
    for f in futures:
        f.result()
