"""The benchmark's fake LLM: the loopback OpenAI-compatible server of tests/fakes, timed, with a responder that
gives VALID answers so an end-to-end run exercises the LLM path (not the fallbacks).

What it fakes: tests/fakes/responder.py (the answers, shared with the pipeline tests); this module adds the timing.

Timing: every answered request waits `latency_s + tokens_out / tokens_per_s` (the FakeServer's own rule;
tokens_out is the fake's estimate of the answer, ~4 characters per token, unless `tokens_out` is fixed).
Each request records `t_arrive` (request read), `t_end` (answer written), `tokens_out` and `service_s`
(the nominal wait above: 0 for a rejected mode, which is answered at once) on CLOCK_MONOTONIC, which is
shared by every process of the machine, so a worker process can put its own phases on the same time line.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import RecordedRequest, Reply  # noqa: E402
from fakes.responder import Responder, call_kind, norm_title, request_schema  # noqa: E402,F401 - re-exported for the benches
from fakes.fake_openai import FakeOpenAIServer  # noqa: E402


class TimedFakeOpenAI(FakeOpenAIServer):
    """FakeOpenAIServer that stamps every request with arrival / answer times and its nominal service time.

    `slots` (local-endpoint fake): at most that many requests are served at once, like a llama.cpp server
    started with `--parallel N` (`n_parallel`); the others wait for a free slot. `t_arrive` is then the time
    a slot took the request (its wait is `queued_s`), so the critical chain sees the slot-limited schedule."""

    def __init__(self, *args: Any, slots: int | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.slots = slots
        self._slots = threading.BoundedSemaphore(slots) if slots else None

    def render(self, req: RecordedRequest, reply: Reply, tokens_in: int) -> tuple[int, dict[str, str], bytes, int]:
        status, headers, body, tokens_out = super().render(req, reply, tokens_in)
        req.tokens_in = tokens_in  # type: ignore[attr-defined]
        req.tokens_out = tokens_out  # type: ignore[attr-defined]
        return status, headers, body, tokens_out

    def _respond(self, h: Any, req: RecordedRequest) -> None:
        t_read = time.monotonic()
        req.t_arrive = t_read  # type: ignore[attr-defined]
        req.queued_s = 0.0  # type: ignore[attr-defined]
        req.tokens_in = req.tokens_out = 0  # type: ignore[attr-defined]
        if self._slots is not None:
            self._slots.acquire()
            req.t_arrive = time.monotonic()  # type: ignore[attr-defined]
            req.queued_s = req.t_arrive - t_read  # type: ignore[attr-defined]
        try:
            super()._respond(h, req)
        finally:
            req.t_end = time.monotonic()  # type: ignore[attr-defined]
            if self._slots is not None:
                self._slots.release()

    def service_s(self, req: RecordedRequest) -> float:
        """The wait this fake imposes on an answered call: latency + tokens_out / tokens_per_s (0 if rejected)."""
        if req.answered != 200:
            return 0.0
        s = self.latency_s
        if self.tokens_per_s:
            s += getattr(req, "tokens_out", 0) / self.tokens_per_s
        return s

    def log(self) -> list[dict]:
        """One record per completion request, in arrival order."""
        out = []
        for r in self.completion_requests:
            out.append({
                "kind": call_kind(r.body), "mode": r.mode, "status": r.answered,
                "t_arrive": getattr(r, "t_arrive", 0.0), "t_end": getattr(r, "t_end", 0.0),
                "tokens_in": getattr(r, "tokens_in", 0), "tokens_out": getattr(r, "tokens_out", 0),
                "service_s": self.service_s(r), "queued_s": getattr(r, "queued_s", 0.0),
            })
        return sorted(out, key=lambda x: x["t_arrive"])


def critical_chain(log: list[dict], eps: float = 1e-3) -> list[int]:
    """Indexes (into `log`) of the chain of calls with the largest total service time such that each call
    arrived after the previous one was answered (the longest sequential path through the calls). Rejected
    requests (service 0) can be part of it: discovery steps are sequential too."""
    n = len(log)
    order = sorted(range(n), key=lambda i: log[i]["t_arrive"])
    best: dict[int, float] = {}
    prev: dict[int, int | None] = {}
    for i in order:
        b, p = 0.0, None
        for j in order:
            if j == i or j not in best or log[j]["t_end"] > log[i]["t_arrive"] + eps:
                continue
            if p is None or (best[j], log[j]["t_end"]) > (b, log[p]["t_end"]):
                b, p = best[j], j
        best[i] = b + log[i]["service_s"]
        prev[i] = p
    if not best:
        return []
    # the chain with the largest total; ties: the one that ends last
    last = max(best, key=lambda i: (best[i], log[i]["t_end"]))
    chain = []
    cur: int | None = last
    while cur is not None:
        chain.append(cur)
        cur = prev[cur]
    return chain[::-1]
