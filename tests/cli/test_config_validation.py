"""Config validated at load: ranges and types checked, one line naming each bad key (or environment variable or
flag). Before: `http.max_concurrency = 0` or `per_host = 0` made a run hang forever, silently; negative retries,
timeouts and budgets were accepted; an unknown key like `[general.langauge]` vanished from the error (rich took it
for markup)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clihelp import DAY, DEMO, aidigest, no_traceback  # noqa: E402

from aidigest.config import Config, ConfigError, load_config  # noqa: E402


def _load(tmp_path: Path, text: str, env: dict | None = None) -> Config:
    p = tmp_path / "aidigest.toml"
    p.write_text(text, encoding="utf-8")
    return load_config(p, env=env or {})


@pytest.mark.parametrize(
    "text,key",
    [
        ("[http]\nmax_concurrency = 0", "[http.max_concurrency]"),
        ("[http]\nper_host = 0", "[http.per_host]"),
        ("[http]\nretries = -1", "[http.retries]"),
        ("[http]\ntimeout_s = -5", "[http.timeout_s]"),
        ("[http]\ntimeout_s = 0", "[http.timeout_s]"),
        ("[http]\nmax_bytes = 0", "[http.max_bytes]"),
        ("[http]\nbackoff_max_s = -1.0", "[http.backoff_max_s]"),
        ("[llm]\nretries = -2", "[llm.retries]"),
        ("[llm]\ntimeout_s = -1", "[llm.timeout_s]"),
        ("[llm]\nbudget_usd = -0.5", "[llm.budget_usd]"),
        ("[llm]\nmax_tokens = -100", "[llm.max_tokens]"),
        ("[llm]\nconcurrency = 0", "[llm.concurrency]"),
        ("[llm]\nbatch_size = 0", "[llm.batch_size]"),
        ("[llm]\ntemperature = 7", "[llm.temperature]"),
        ("[llm.prices.my-model]\ninput = -1\noutput = 1", "[llm.prices.my-model.input]"),
        ("[digest]\nper_category = 0", "[digest.per_category]"),
        ("[digest]\nrepeat_window_days = -1", "[digest.repeat_window_days]"),
        ("[sources.snippets]\nmax_per_day = -1", "[sources.snippets.max_per_day]"),
        ("[sources.arxiv]\npage_size = 0", "[sources.arxiv.page_size]"),
        ("[sources.arxiv]\ndelay_s = -3", "[sources.arxiv.delay_s]"),
        ("[sources.hackernews]\nmax_items = 0", "[sources.hackernews.max_items]"),
        # types: a string is not a number, a number is not a boolean, a fraction is not a count
        ('[http]\nmax_concurrency = "8"', "[http.max_concurrency]"),
        ("[http]\nretries = 2.5", "[http.retries]"),
        ("[sources.arxiv]\nenabled = 1", "[sources.arxiv.enabled]"),
        ('[sources.hackernews]\nenabled = "yes"', "[sources.hackernews.enabled]"),
        ("[http]\nper_host = true", "[http.per_host]"),
    ],
)
def test_bad_values_are_refused_at_load_naming_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    msg = str(e.value)
    assert key in msg and "\n" not in msg
    assert msg.startswith(str(tmp_path / "aidigest.toml"))


def test_every_problem_is_named_on_one_line(tmp_path):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "[general]\nlangauge = 'en'\n[http]\nper_host = 0\nretries = -1\n")
    msg = str(e.value)
    assert "[general.langauge] is not a known setting" in msg
    assert "[http.per_host]" in msg and "[http.retries]" in msg and "\n" not in msg


def test_environment_values_are_checked_and_named(tmp_path):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "", env={"AIDIGEST_HTTP_TIMEOUT": "-1"})
    assert "AIDIGEST_HTTP_TIMEOUT" in str(e.value)
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "", env={"AIDIGEST_LLM_CONCURRENCY": "0"})
    assert "AIDIGEST_LLM_CONCURRENCY" in str(e.value)


def test_valid_values_still_load(tmp_path):
    cfg = _load(tmp_path, "[http]\ntimeout_s = 5\nretries = 0\n[llm]\nbudget_usd = 0\nconcurrency = 2\n"
                          "[llm.prices.m]\ninput = 0.1\noutput = 0.4\n")
    assert cfg.http.timeout_s == 5.0 and cfg.http.retries == 0 and cfg.llm.budget_usd == 0 and cfg.llm.concurrency == 2


# ---- through the command line ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,key", [("[http]\nmax_concurrency = 0\n", "[http.max_concurrency]"),
                                      ("[http]\nper_host = 0\n", "[http.per_host]")])
def test_zero_concurrency_is_an_error_not_a_hang(tmp_path, text, key):
    (tmp_path / "aidigest.toml").write_text(text)
    r = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and no_traceback(r)
    (line,) = r.stderr.strip().splitlines()
    assert key in line and "greater than or equal to 1" in line


def test_unknown_key_is_shown_in_the_error(tmp_path):
    (tmp_path / "aidigest.toml").write_text('[general]\nlangauge = "en"\n')
    r = aidigest("collect", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert r.returncode == 2 and no_traceback(r)
    (line,) = r.stderr.strip().splitlines()
    assert "[general.langauge] is not a known setting" in line


@pytest.mark.parametrize("flag,value", [("--budget-usd", "-1"), ("--max-tokens", "-5")])
def test_negative_budget_flags_are_refused(tmp_path, flag, value):
    r = aidigest("run", "--date", DAY, "--replay", str(DEMO), "--db", str(tmp_path / "s.db"), flag, value,
                 "--out", str(tmp_path / "out"), cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and no_traceback(r)
    (line,) = r.stderr.strip().splitlines()
    assert flag in line and "greater than or equal to 0" in line
    assert not (tmp_path / "out").exists()


def test_a_config_with_its_registry_made_sources_section_survives_pickle():
    """`[sources]` is a model made from the source registry at run time; a Config still pickles (found by name)."""
    import pickle

    cfg = Config().updated(sources={"arxiv": {"enabled": False}})
    back = pickle.loads(pickle.dumps(cfg))
    assert back == cfg and back.sources.arxiv.enabled is False
