"""Saving and restoring the sessionizer's live state between ingest runs.

A connection opened in one run and closed in the next must be one connection, so the
sessionizer's live state (open connections, per-host facts, its id counter) is stored
with each run, as the plain data :meth:`Sessionizer.export_state` gives, in compressed
JSON: a database file holds data, never code or arbitrary objects.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from logsleuth.errors import StoreError
from logsleuth.sessionize import Sessionizer

_HINT = "start a new database with --db, or ingest the logs into a fresh one"


def dump_state(sess: Sessionizer) -> bytes:
    """The sessionizer's live state as bytes (compressed JSON)."""
    text = json.dumps(sess.export_state(), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def load_state(data: bytes, into: Sessionizer) -> Sessionizer:
    """``into`` (a new sessionizer with this run's settings) continued from ``data``."""
    try:
        state: Any = json.loads(zlib.decompress(data).decode("utf-8", "surrogatepass"))
        into.restore_state(state)
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"the stored sessionizer state is unreadable ({exc})", _HINT) from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise StoreError(
            f"the stored sessionizer state is not one this logsleuth reads ({exc})", _HINT
        ) from None
    return into
