"""LLM calls in flight across the event loops of one process: `aidigest run --jobs N` runs N days at once, each in
its own thread and event loop, and their calls to one endpoint share that endpoint's concurrency (`[llm]
concurrency`), so N days never put N times the calls on a server that takes `concurrency`.

Off unless a caller opens `sharing_slots()`: each LLM then limits its calls with an asyncio.Semaphore of its own loop (aidigest.llm.core).
A slot is taken by polling a threading semaphore every few milliseconds: cancellation-safe (a cancelled waiter
holds nothing), and the wait is short next to an LLM call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

POLL_S = 0.005


class SharedSlots:
    def __init__(self, n: int):
        self.n = n
        self._sem = threading.BoundedSemaphore(n)

    async def __aenter__(self) -> SharedSlots:
        while not self._sem.acquire(blocking=False):
            await asyncio.sleep(POLL_S)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._sem.release()


class SlotPool:
    """One `SharedSlots` per endpoint + model, for every LLM made while the pool is active (`sharing_slots`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, str], SharedSlots] = {}

    def get(self, name: str, base_url: str, concurrency: int) -> SharedSlots:
        with self._lock:
            return self._slots.setdefault((name, base_url), SharedSlots(concurrency))


# The active pool travels with the context (a thread started through contextvars.copy_context().run, and every task
# of its event loop, sees the pool of the code that started it), not in a module-level variable: two backfills in one
# process, or a test after a backfill, never share slots by accident.
_ACTIVE: ContextVar[SlotPool | None] = ContextVar("aidigest_llm_slot_pool", default=None)


@contextmanager
def sharing_slots() -> Iterator[SlotPool]:
    """While active, every LLM made in this context (and in threads run in a copy of it) shares its endpoint's slots."""
    pool = SlotPool()
    token = _ACTIVE.set(pool)
    try:
        yield pool
    finally:
        _ACTIVE.reset(token)


def shared_slots(name: str, base_url: str, concurrency: int) -> SharedSlots | None:
    """The active pool's slots for the endpoint + model (`concurrency` of them), or None when no pool is active."""
    pool = _ACTIVE.get()
    return pool.get(name, base_url, concurrency) if pool is not None else None
