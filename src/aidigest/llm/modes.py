"""The structured-output mode of an endpoint + model: the strongest rung of the provider's ladder the endpoint accepts
(`json_schema`, `json_object`, `tools`, `prompt`), discovered on the first schema call, then remembered by the LLM
and in the store (`llm_modes`, aidigest.llm.cache), so a later run, in this process or another, skips discovery."""

from __future__ import annotations

from pydantic import BaseModel

from ..infra.store import Store
from . import cache as cache_mod

# (provider, base URL, model): what a mode is remembered by
EndpointKey = tuple[str, str, str]


class ModeProbe(BaseModel):
    """The tiny answer `BaseLLM.warm_up` asks for to learn an endpoint's structured-output mode."""

    ok: bool


PROBE_MAX_TOKENS = 64


class ModeMemory:
    """The modes one LLM knows: asked of the store once, then kept here (`known`)."""

    def __init__(self, store: Store | None, ladder: tuple[str, ...]):
        self.store = store
        self.ladder = ladder
        self.known: dict[EndpointKey, str] = {}

    def get(self, key: EndpointKey) -> str | None:
        mode = self.known.get(key)
        if mode is None and self.store is not None:
            mode = cache_mod.get_mode(self.store, *key)
            if mode is not None and mode in self.ladder:
                self.known[key] = mode
            else:
                mode = None
        return mode

    def remember(self, key: EndpointKey, mode: str) -> bool:
        """Keep `mode` here and in the store; True when it is news to this LLM."""
        news = self.known.get(key) != mode
        self.known[key] = mode
        if self.store is not None:
            cache_mod.set_mode(self.store, *key, mode)
        return news
