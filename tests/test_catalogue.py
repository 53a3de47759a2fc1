"""The catalogue tests itself: one case per entry, from the entry's own data."""

from __future__ import annotations

import pytest

from logsleuth import catalogue
from logsleuth.families import PATTERN_FAMILIES

CAT = catalogue.load(check=False)
PATTERNS = list(CAT)


def test_catalogue_loads_without_problems():
    catalogue._CACHE.clear()
    catalogue.load(cache=False)  # validated here, whatever a cache holds


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.id for p in PATTERNS])
def test_entry(pattern):
    assert pattern.family in PATTERN_FAMILIES
    assert pattern.samples, "every entry needs at least one sample"
    assert catalogue.check_samples(CAT, pattern) == []
    for sample in pattern.samples:
        level, body, _ = catalogue.split_envelope(sample.line)
        hit = CAT.match(body, pattern.side, level)
        assert hit is not None and hit[0].id == pattern.id
        assert hit[1] == sample.fields


def test_ids_unique():
    ids = [p.id for p in PATTERNS]
    assert len(ids) == len(set(ids))
