"""Saving and restoring the sessionizer's live state between ingest runs.

A connection opened in one run and closed in the next must be one connection, so the
connections still open (and the sessionizer's clock and indexes) are stored with the
run. The state is pickled, and read back with an unpickler that only builds the
sessionizer's own classes and plain values: a database file cannot make logsleuth run
code or build arbitrary objects.
"""

from __future__ import annotations

import io
import pickle
import zlib
from typing import Any

from logsleuth.errors import StoreError
from logsleuth.sessionize import Sessionizer

#: (module, name) pairs the state may contain; anything else is refused.
_ALLOWED = {
    ("logsleuth.sessionize", "Sessionizer"),
    ("logsleuth.sessionize", "_Conn"),
    ("logsleuth.model", "Event"),
    ("logsleuth.model", "Record"),
    ("logsleuth.model", "Evidence"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
}
#: Bumped whenever the saved state changes shape; a state of another version is refused.
VERSION = 1


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a sessionizer state")
        return super().find_class(module, name)


def dump_state(sess: Sessionizer) -> bytes:
    """The sessionizer's live state as bytes (compressed)."""
    return zlib.compress(pickle.dumps((VERSION, sess), protocol=5), 1)


def load_state(data: bytes) -> Sessionizer:
    """A sessionizer exactly as :func:`dump_state` saw it."""
    try:
        version, sess = _Restricted(io.BytesIO(zlib.decompress(data))).load()
    except (pickle.UnpicklingError, zlib.error, EOFError, ValueError, TypeError) as exc:
        raise StoreError(
            f"the stored sessionizer state is unreadable ({exc})",
            "start a new database with --db, or re-ingest the logs into a fresh one",
        ) from None
    if version != VERSION or not isinstance(sess, Sessionizer):
        raise StoreError(
            "the stored sessionizer state was written by another logsleuth version",
            "start a new database with --db, or re-ingest the logs into a fresh one",
        )
    # Live connections are indexed by object identity, which unpickling changes.
    sess._live = {id(c): c for c in sess._live.values()}
    return sess
