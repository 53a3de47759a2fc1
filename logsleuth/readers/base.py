"""The reader interface: every source kind turns bytes into :class:`~logsleuth.model.Record`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from logsleuth.model import Record


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Options every reader accepts."""

    year: int | None = None
    """Year for yearless (RFC 3164) timestamps; None infers it from the file's mtime."""
    since: datetime | None = None
    """Skip records before this time (readers that can seek do so)."""
    until: datetime | None = None
    """Skip records after this time."""


class Reader(Protocol):
    """One kind of source (syslog file, journal, journal export, ssh transcript)."""

    name: str
    """Registry name, shown in reports as the source's ``reader``."""

    def sniff(self, path: str, head: bytes) -> bool:
        """Whether this reader understands a source starting with ``head``."""
        ...

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield the source's records in order; raise SourceError when it cannot be read."""
        ...
