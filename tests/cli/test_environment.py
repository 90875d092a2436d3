"""The environment is read in one place (aidigest.infra.env) and every variable aidigest reads is documented in the
README's table; the config a run uses is frozen."""

from __future__ import annotations

import re

import pytest
from conftest import REPO
from pydantic import ValidationError

from aidigest.config import Config, env_value, load_config
from aidigest.llm.providers import PROVIDERS

SRC = REPO / "src" / "aidigest"
# variables of the GitHub Actions workflows (schedule.py) that only the workflow reads, never aidigest
NOT_READ = {"AIDIGEST_ENABLED", "AIDIGEST_COMMIT_REPORTS"}


def test_only_infra_env_reads_the_environment():
    readers = []
    for path in sorted(SRC.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"os\.environ(?!\.setdefault)|getenv\(|os\.environb", code):
                readers.append(f"{path.relative_to(SRC)}:{n}")
    assert readers and all(r.startswith("infra/env.py:") for r in readers), readers


def test_every_variable_read_is_in_the_readme_table():
    table = REPO.joinpath("README.md").read_text(encoding="utf-8").split("### Environment variables", 1)[1]
    table = table.split("\n#", 1)[0]
    names = set()
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r"\bAIDIGEST_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8")))
    names -= NOT_READ
    for spec in PROVIDERS.values():
        names |= {spec.key_env, spec.base_url_env}
    names.add("XDG_CACHE_HOME")
    missing = sorted(n for n in names if f"`{n}" not in table)
    assert not missing, f"not documented in README.md's environment table: {missing}"
    assert len(names) > 25


def test_env_value_reads_the_given_mapping_or_the_process(monkeypatch):
    monkeypatch.setenv("AIDIGEST_EMBED_THREADS", " 2 ")
    assert env_value("AIDIGEST_EMBED_THREADS") == "2"
    assert env_value("AIDIGEST_EMBED_THREADS", {}) == ""


def test_a_loaded_config_is_frozen_and_updated_is_validated(tmp_path):
    cfg = load_config(env={"AIDIGEST_HOME": str(tmp_path), "AIDIGEST_LLM": "openai:gpt-4o-mini"})
    with pytest.raises(ValidationError, match="frozen"):
        cfg.llm.provider = "none"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        cfg.sources.arxiv.enabled = False  # type: ignore[misc]
    new = cfg.updated(llm={"budget_usd": 0.5}, sources={"arxiv": {"enabled": False}})
    assert (new.llm.budget_usd, new.llm.provider, new.sources.arxiv.enabled) == (0.5, "openai:gpt-4o-mini", False)
    assert (cfg.llm.budget_usd, cfg.sources.arxiv.enabled) == (None, True)  # the loaded one is unchanged
    assert new.general.db == cfg.general.db == str(tmp_path / "aidigest.sqlite3")
    with pytest.raises(ValidationError):
        cfg.updated(llm={"budget_usd": -1.0})
    with pytest.raises(ValidationError):
        cfg.updated(sources={"arxiv": {"colour": "blue"}})
    assert Config().updated().model_dump() == Config().model_dump()
