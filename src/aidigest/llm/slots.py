"""LLM calls in flight across the event loops of one process: `aidigest run --jobs N` runs N days at once, each in
its own thread and event loop, and their calls to one endpoint share that endpoint's concurrency (`[llm]
concurrency`), so N days never put N times the calls on a server that takes `concurrency`.

Off by default: each LLM then limits its calls with an asyncio.Semaphore of its own loop (aidigest.llm.core).
A slot is taken by polling a threading semaphore every few milliseconds: cancellation-safe (a cancelled waiter
holds nothing), and the wait is short next to an LLM call.
"""

from __future__ import annotations

import asyncio
import threading

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


_lock = threading.Lock()
_shared: dict[tuple[str, str], SharedSlots] | None = None


def share_across_threads(on: bool = True) -> None:
    """Make every LLM of this process made from now on share its endpoint's slots (off: each its own)."""
    global _shared
    with _lock:
        _shared = {} if on else None


def shared_slots(name: str, base_url: str, concurrency: int) -> SharedSlots | None:
    """The process's slots for the endpoint + model (`concurrency` of them), or None when not shared."""
    with _lock:
        if _shared is None:
            return None
        return _shared.setdefault((name, base_url), SharedSlots(concurrency))
