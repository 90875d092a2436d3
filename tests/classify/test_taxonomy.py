"""The taxonomy data file: the built-in one, a replacement from the config, and clear errors for bad files."""

from __future__ import annotations

import pytest

from aidigest.config import ConfigError
from aidigest.taxonomy import builtin_text, load_taxonomy

DEFAULT_IDS = ["llm", "nlp", "cv", "multimodal", "audio", "rl", "robotics", "training", "inference", "tabular",
               "business", "policy", "science", "software", "others"]


def test_builtin_taxonomy_has_the_issue_ids_and_fixed_fields():
    t = load_taxonomy()
    assert t.ids == DEFAULT_IDS
    for c in t.categories:
        assert c.name and c.name_ko and c.emoji and c.description
    assert [c.id for c in t.categories if not c.report] == ["others"]  # counted, left out of the report
    assert t["software"].display_name("ko") == "소프트웨어·컴퓨팅" and t["software"].display_name("en") == "Software & Computing"
    assert len({c.emoji for c in t.categories}) == len(t.categories)  # one fixed emoji each


def test_replacement_file(tmp_path):
    f = tmp_path / "tax.toml"
    f.write_text(
        '[[category]]\nid = "agents"\nname = "Agents"\nname_ko = "에이전트"\nemoji = "🕵️"\ndescription = "AI agents."\n'
        '[[category]]\nid = "others"\nname = "Others"\nname_ko = "기타"\nemoji = "📦"\ndescription = "Rest."\nreport = false\n'
    )
    t = load_taxonomy(f)
    assert t.ids == ["agents", "others"] and "agents" in t and "llm" not in t
    assert [c.id for c in t.reported()] == ["agents"]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[[category]\n", "not valid TOML"),
        ('[[category]]\nid = "x"\nname = "X"\n', "name_ko"),
        (builtin_text().replace('id = "nlp"', 'id = "llm"'), "duplicate category id(s): llm"),
        (builtin_text().replace('id = "others"', 'id = "misc"'), "'others'"),
        ("", "no categories"),
    ],
)
def test_bad_taxonomy_files_fail_with_one_line(tmp_path, text, needle):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_taxonomy(f)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_taxonomy(tmp_path / "nope.toml")
