"""Python's cycle collector, tuned while a pipeline runs.

A scan or an ingest allocates millions of small objects (records, events, evidence,
connections) and keeps tens of thousands alive at a time: the sessionizer's open
connections, a batch on its way to the store, a page of the report. With the default
thresholds the collector runs every 700 net allocations and, every few hundred runs,
walks every object alive, the catalogue and every imported module included: about a
fifth of a scan's CPU time went there (measured on 200,000 lines of the benchmark mix:
9.4 s with the defaults, 7.3 s with the collector off).

Almost nothing the pipeline makes is cyclic garbage (reference counting frees it), so
while it runs the objects alive at its start are frozen out of the collector's view and
the young generation is collected every 100,000 net allocations instead of 700. Cycles
are still collected, and memory stays flat (the RSS benchmark in docs/performance.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Thresholds while a pipeline runs: generation 0 every 100,000 net allocations,
#: generation 1 every 20 of those, generation 2 every 100 of those (and then only when
#: its pending objects are a quarter of the long-lived ones: CPython's own rule).
PIPELINE_THRESHOLDS = (100_000, 20, 100)


_depth = 0


@contextmanager
def tuned_collector() -> Iterator[None]:
    """Freeze what is alive now and raise the thresholds, until the block ends (then
    the previous thresholds return and the frozen objects are collectable again).
    Nested blocks (an ingest run inside a scan) leave both to the outermost."""
    global _depth
    _depth += 1
    if _depth > 1:
        try:
            yield
        finally:
            _depth -= 1
        return
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*PIPELINE_THRESHOLDS)
    try:
        yield
    finally:
        _depth -= 1
        gc.set_threshold(*previous)
        gc.unfreeze()
