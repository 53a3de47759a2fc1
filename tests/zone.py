"""The process's local time zone for tests: RFC 3164 stamps are local time."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def utc_zone() -> Iterator[None]:
    """Run the block with ``TZ=UTC``, then restore the zone the process had."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
