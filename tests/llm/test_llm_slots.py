"""aidigest.llm.slots: the LLM calls of several event loops (threads: `run --jobs N`) share one endpoint's slots.
Real threads and loops; the "calls" are sleeps (no LLM: what is measured is how many are in flight at once)."""

from __future__ import annotations

import asyncio
import contextvars
import threading

from aidigest.llm.slots import SharedSlots, shared_slots, sharing_slots


def test_calls_of_three_loops_never_exceed_the_shared_slots():
    with sharing_slots():
        slots = shared_slots("p:m", "http://127.0.0.1:1", 2)
        assert slots is shared_slots("p:m", "http://127.0.0.1:1", 2)  # one per endpoint + model while active
        assert shared_slots("p:other", "http://127.0.0.1:1", 2) is not slots
        in_thread: list = []
        t = threading.Thread(target=contextvars.copy_context().run,
                             args=(lambda: in_thread.append(shared_slots("p:m", "http://127.0.0.1:1", 2)),))
        t.start()
        t.join(10)
        assert in_thread == [slots]  # a thread run in a copy of the context shares them
        bare: list = []
        t = threading.Thread(target=lambda: bare.append(shared_slots("p:m", "http://127.0.0.1:1", 2)))
        t.start()
        t.join(10)
        assert bare == [None]  # a thread started without the context does not
    with sharing_slots():
        assert shared_slots("p:m", "http://127.0.0.1:1", 2) is not slots  # a second pool: its own slots
    assert shared_slots("p:m", "http://127.0.0.1:1", 2) is None  # off again: each LLM its own semaphore
    assert isinstance(slots, SharedSlots)
    lock = threading.Lock()
    now = {"in": 0, "peak": 0, "done": 0}

    async def call():
        async with slots:
            with lock:
                now["in"] += 1
                now["peak"] = max(now["peak"], now["in"])
            await asyncio.sleep(0.02)
            with lock:
                now["in"] -= 1
                now["done"] += 1

    async def day():
        await asyncio.gather(*(call() for _ in range(5)))

    threads = [threading.Thread(target=asyncio.run, args=(day(),)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert now["done"] == 15 and now["peak"] == 2


def test_a_cancelled_waiter_holds_no_slot():
    slots = SharedSlots(1)

    async def go():
        async with slots:
            waiter = asyncio.create_task(slots.__aenter__())
            await asyncio.sleep(0.02)
            waiter.cancel()
            await asyncio.gather(waiter, return_exceptions=True)
        async with slots:  # the slot is free again: the cancelled waiter never took it
            return True

    assert asyncio.run(asyncio.wait_for(go(), 5))
