"""The closed category taxonomy, loaded from a TOML data file (built-in or from the config)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .configbase import ConfigError


class Category(BaseModel):
    id: str
    name: str
    name_ko: str
    emoji: str
    description: str
    report: bool = True
    # categories of one family are near each other (e.g. the AI research topics); an LLM answer and the offline
    # classifier in different families is a strong disagreement (aidigest.classify.check). "" = its own family.
    family: str = ""

    @property
    def family_id(self) -> str:
        return self.family or self.id

    def display_name(self, language: str) -> str:
        return self.name_ko if language == "ko" else self.name


class Taxonomy:
    def __init__(self, categories: list[Category]):
        if not categories:
            raise ConfigError("taxonomy has no categories")
        ids = [c.id for c in categories]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ConfigError(f"taxonomy: duplicate category id(s): {', '.join(dupes)}")
        self.categories = categories
        self._by_id = {c.id: c for c in categories}
        if "others" not in self._by_id:
            raise ConfigError("taxonomy must define an 'others' category (items that fit nowhere go there)")

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.categories]

    def __getitem__(self, cid: str) -> Category:
        return self._by_id[cid]

    def __contains__(self, cid: str) -> bool:
        return cid in self._by_id

    def reported(self) -> list[Category]:
        return [c for c in self.categories if c.report]

    @classmethod
    def from_toml_text(cls, text: str, origin: str = "taxonomy") -> Taxonomy:
        try:
            data = tomllib.loads(text)
            return cls([Category.model_validate(c) for c in data.get("category", [])])
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{origin}: not valid TOML ({e})") from None
        except ValidationError as e:
            err = e.errors()[0]
            raise ConfigError(f"{origin}: category field {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def builtin_text() -> str:
    return resources.files("aidigest").joinpath("data/taxonomy.toml").read_text(encoding="utf-8")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    if not path:
        return Taxonomy.from_toml_text(builtin_text(), "built-in taxonomy")
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"taxonomy file {p} does not exist")
    return Taxonomy.from_toml_text(p.read_text(encoding="utf-8"), str(p))
