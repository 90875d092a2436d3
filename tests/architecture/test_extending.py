"""docs/extending.md, performed: its new source module and new provider module, taken out of the page's code
blocks, are loaded into the aidigest package with the page's registration lines, then used end to end — the
source by `aidigest collect` on a replayed real feed recording (hackernews.betacat.io), the provider by an LLM
call to a fake OpenAI-compatible server on loopback. The other checks: the registries are what config.py, the
CLI help and the factory are built from.

The examples run in a child process: their registrations stay out of the registries the other tests read
(the `[sources]` section of every config made afterwards is derived from the source registry)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

from conftest import DATA, REPO
from fakes.fake_openai import FakeOpenAIServer, Reply

from aidigest.config import Config, default_config_text
from aidigest.infra.http import Recording
from aidigest.llm.providers import PROVIDERS
from aidigest.llm.registry import choices
from aidigest.sources.builtin import SOURCES, build_enrichers, build_sources

DOC = REPO / "docs" / "extending.md"
FEED_URL = "https://hackernews.betacat.io/feed.xml"


def examples() -> dict[str, str]:
    """The page's code blocks marked `<!-- example: NAME -->`, by NAME."""
    found = re.findall(r"<!-- example: ([a-z ]+) -->\n```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return {name: code for name, code in found}


CHILD = r'''
import asyncio, importlib.util, json, sys
from pathlib import Path

work = Path(sys.argv[1])
ex = json.loads((work / "examples.json").read_text())


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


import aidigest.sources.builtin as sources_pkg

assert "aidigest.config" not in sys.modules  # the sources never import config.py: it is built from them
betacat = load("aidigest.sources.betacat", work / "betacat.py")
exec(ex["source registration"], {"register": sources_pkg.register, "betacat": betacat})

import aidigest.llm.providers as providers_pkg

acme = load("aidigest.llm.acme", work / "acme.py")
exec(ex["provider registration"], {"register": providers_pkg.register, "acme": acme})

from typer.testing import CliRunner

from aidigest.cli import app
from aidigest.config import ConfigError, load_config
from aidigest.llm.base import LLMConfigError, Message
from aidigest.llm.factory import make_llm, resolve_endpoint
from aidigest.records import LLMTotals
from aidigest.infra.store import Store

out = {}
collect = CliRunner().invoke(app, ["collect", "--config", str(work / "aidigest.toml"), "--replay", str(work / "rec"),
                                   "--date", "2023-06-29", "--db", str(work / "store.sqlite3")])
out["collect_exit"] = collect.exit_code
with Store(str(work / "store.sqlite3")) as store:
    import datetime as dt
    items = store.items_for_day(dt.date(2023, 6, 29))
out["items"] = len(items)
out["sources"] = sorted({s.source for it in items for s in it.sightings})
out["first_title"] = items and sorted(it.title for it in items)[0]
try:
    load_config(work / "bad.toml", env={})
except ConfigError as e:
    out["bad_key"] = str(e)
out["run_help"] = " ".join(CliRunner().invoke(app, ["run", "--help"], terminal_width=200).output.split())
try:
    resolve_endpoint("acme:m", env={})
except LLMConfigError as e:
    out["no_key"] = str(e)
cfg = load_config(work / "aidigest.toml", env={}).updated(llm={"provider": "acme:tiny-model"})


async def ask():
    llm = make_llm(cfg, None, None, LLMTotals(), env={"ACME_BASE_URL": sys.argv[2], "ACME_API_KEY": "sk-acme-test"})
    try:
        result = await llm.complete([Message(role="user", content="Say hello.")], purpose="example")
        return llm.name, llm.concurrency, result.text
    finally:
        await llm.aclose()


out["llm"] = asyncio.run(ask())
print(json.dumps(out))
'''

TOML = """
[sources.betacat]
url = "https://hackernews.betacat.io/feed.xml"

[sources.hackernews]
enabled = false

[sources.techreview_kr]
enabled = false

[sources.hf_papers]
enabled = false

[sources.arxiv]
enabled = false

[sources.snippets]
enabled = false
"""


def test_the_documented_source_and_provider_work_as_written(tmp_path):
    ex = examples()
    assert set(ex) == {"source module", "source registration", "provider module", "provider registration"}
    assert ex["source registration"].strip().count("\n") == 0 == ex["provider registration"].strip().count("\n")
    (tmp_path / "examples.json").write_text(json.dumps(ex))
    (tmp_path / "betacat.py").write_text(ex["source module"])
    (tmp_path / "acme.py").write_text(ex["provider module"])
    (tmp_path / "aidigest.toml").write_text(TOML)
    (tmp_path / "bad.toml").write_text('[sources.betacat]\ncolour = "blue"\n')
    rec = Recording(tmp_path / "rec")
    rec.add("GET", FEED_URL, 200, {"content-type": "application/atom+xml"},
            (DATA / "betacat_hn" / "feed_2023-06-29.xml").read_bytes(), note="real feed body")

    with FakeOpenAIServer([Reply.ok("Hello from acme.")], models=("tiny-model",), api_key="sk-acme-test") as srv:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), srv.base_url], capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        [request] = srv.completion_requests

    # the source: configured under [sources.betacat], fetched by `aidigest collect` from the replayed feed
    assert out["collect_exit"] == 0
    assert out["items"] == 24 and out["sources"] == ["betacat"]
    assert out["first_title"]
    assert "[sources.betacat.colour] is not a known setting" in out["bad_key"]
    # the provider: named by the CLI's help, its key variable named when missing, called with its key
    assert "acme:<model>" in out["run_help"]
    assert "set ACME_API_KEY" in out["no_key"]
    name, concurrency, text = out["llm"]
    assert (name, text) == ("acme:tiny-model", "Hello from acme.")
    assert concurrency == 4  # a loopback base URL: the local default, derived from the spec (not the config)
    assert request.body["model"] == "tiny-model"
    assert request.headers["authorization"] == "Bearer sk-acme-test"


def test_config_sources_section_build_order_and_default_toml_come_from_the_registry():
    assert list(Config().sources.model_dump()) == list(SOURCES)
    assert [s.name for s in build_sources(Config())] == ["hackernews", "techreview_kr", "geeknews", "hf_papers", "arxiv"]
    assert [e.name for e in build_enrichers(Config())] == ["snippets"]
    assert build_enrichers(Config().updated(sources={"snippets": {"enabled": False}})) == []
    shipped = tomllib.loads(default_config_text())["sources"]
    defaults = Config().sources
    for name, spec in SOURCES.items():  # every registered source's block in the default file is its defaults
        if name in shipped:
            assert Config.model_validate({"sources": {name: shipped[name]}}).sources == defaults, name
        else:
            assert spec.default is list, f"[sources.{name}] is missing from data/aidigest.default.toml"


def test_provider_names_in_help_and_errors_come_from_the_registry():
    assert choices() == "none | " + " | ".join(f"{name}:<model>" for name in PROVIDERS)
    assert list(PROVIDERS) == ["openai", "together", "ollama", "anthropic"]


def test_an_unknown_provider_in_the_config_file_is_one_line_naming_the_key(tmp_path):
    from typer.testing import CliRunner

    from aidigest.cli import app

    cfg = tmp_path / "aidigest.toml"
    cfg.write_text('[llm]\nprovider = "gemini:pro"\n')
    res = CliRunner().invoke(app, ["where", "--config", str(cfg)], env={"AIDIGEST_HOME": str(tmp_path)})
    assert res.exit_code == 2
    assert "[llm.provider] unknown LLM provider 'gemini:pro': use none, openai:<model>" in " ".join(res.output.split())
    assert "Traceback" not in res.output
