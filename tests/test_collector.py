"""The cycle collector is tuned while a pipeline runs, and restored afterwards."""

from __future__ import annotations

import gc
from pathlib import Path

from logsleuth import api
from logsleuth.collector import PIPELINE_THRESHOLDS, tuned_collector

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs" / "auth.log"


def test_tuned_collector_freezes_raises_and_restores() -> None:
    before = gc.get_threshold()
    with tuned_collector():
        assert gc.get_threshold() == PIPELINE_THRESHOLDS
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_tuned_collector_restores_after_an_error() -> None:
    before = gc.get_threshold()
    try:
        with tuned_collector():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_scan_runs_tuned_and_still_collects_cycles() -> None:
    before = gc.get_threshold()
    with api.open_scan([str(SAMPLE)]) as rep:
        assert gc.get_threshold() == PIPELINE_THRESHOLDS
        # A cycle made inside the pipeline is still found by a collection.
        a: list[object] = []
        a.append(a)
        del a
        assert gc.collect() >= 1
        assert len(list(rep.connections)) > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_nested_blocks_leave_freezing_to_the_outermost() -> None:
    before = gc.get_threshold()
    with tuned_collector():
        frozen = gc.get_freeze_count()
        with tuned_collector():
            assert gc.get_threshold() == PIPELINE_THRESHOLDS
        # The inner block (an ingest run inside a scan) neither unfroze nor restored.
        assert gc.get_freeze_count() == frozen
        assert gc.get_threshold() == PIPELINE_THRESHOLDS
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
