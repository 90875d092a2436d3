"""The repository stands alone in public: no tracked file carries an absolute path of a development machine (the
team's checkouts and the interpreter's home live under /work and /root there), and the README and the docs never
point a reader at the team's shared data folder beside the checkout (`../shared`), which a public clone lacks.
tests/data/ is exempt: its recordings are data, quoted byte for byte."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import REPO

# an absolute path under either root, e.g. the checkout or a pyenv interpreter (written so this file does not match)
MACHINE_PATH = re.compile(rb"(?<![\w.~-])/(?:work|root)/(?=[\w.])")
SHARED_LINK = re.compile(rb"\.\./shared\b")
READER_DOCS = ("README.md", "CONTRIBUTING.md", "docs/")


def tracked() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [p for p in out.decode("utf-8").split("\0") if p and not p.startswith("tests/data/")]


def hits(pattern: re.Pattern[bytes], paths: list[str]) -> list[str]:
    found = []
    for rel in paths:
        path = REPO / rel
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        for n, line in enumerate(path.read_bytes().splitlines(), 1):
            if pattern.search(line):
                found.append(f"{rel}:{n}: {line.decode('utf-8', 'replace').strip()[:120]}")
    return found


def test_no_tracked_file_carries_a_development_machine_path():
    files = tracked()
    assert len(files) > 50  # the listing worked
    assert not hits(MACHINE_PATH, files), "\n".join(hits(MACHINE_PATH, files)[:20])


def test_the_readme_and_docs_do_not_point_outside_the_repository():
    docs = [p for p in tracked() if p.startswith(READER_DOCS) and p.endswith(".md")]
    assert "README.md" in docs
    assert not hits(SHARED_LINK, docs), "\n".join(hits(SHARED_LINK, docs))


def test_the_patterns_find_what_they_are_for():
    assert MACHINE_PATH.search(b"    1 0.0 /" + b"work/main/bench/scale.py:312(embed)")
    assert MACHINE_PATH.search(b'"/' + b'root/.pyenv/versions/3.11.7/lib"')
    assert not MACHINE_PATH.search(b"see docs/work/plan.md and https://example.com/root/x")
    assert SHARED_LINK.search(b"(see `../" + b"shared/seed/`)")
