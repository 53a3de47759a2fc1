"""Replay the fuzz corpus (seeds and every input that once found a bug) in every CI run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import one_input  # noqa: E402

CORPUS = sorted((Path(__file__).resolve().parent / "corpus" / "syslog").iterdir())


def test_the_corpus_is_not_empty():
    assert len(CORPUS) >= 10


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_input(path):
    one_input(path.read_bytes())
