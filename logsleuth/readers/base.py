"""The reader interface: every source kind turns bytes into :class:`~logsleuth.model.Record`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logsleuth.errors import LogsleuthError
from logsleuth.model import Record

BOOT_PROGRAM = "-- boot --"
"""Program of the record a reader emits for a boot (a journal boot marker or a _BOOT_ID
change): its message is the marker text, its time and host those of the next record of
the same source; the sessionizer ends everything open on that host."""


class BootWatch:
    """Boot markers for journal entries: one when a host's ``_BOOT_ID`` changes."""

    def __init__(self) -> None:
        self._last: dict[str | None, str] = {}

    def marker(self, boot_id: str | None, record: Record) -> Record | None:
        """The marker to emit before ``record`` (an entry of boot ``boot_id``), if any."""
        if not boot_id:
            return None
        before = self._last.get(record.host)
        self._last[record.host] = boot_id
        if before is None or before == boot_id:
            return None
        return Record(
            record.ts,
            record.host,
            BOOT_PROGRAM,
            None,
            f"-- Boot {boot_id} --",
            record.source,
            record.line,
            stamp=record.stamp,
        )


def journal_stamp(ts: datetime | None) -> str | None:
    """How a journal entry's time is shown: a journal holds no written stamp, so its UTC
    time with the zone named (``2026-11-30 02:10:02.123456 UTC``)."""
    if ts is None:
        return None
    # isoformat is C; strftime through format() cost ~5 us an entry.
    return ts.replace(tzinfo=None).isoformat(" ", "microseconds") + " UTC"


def parse_zone(name: str) -> tzinfo:
    """A zoneinfo zone by name (``Europe/Berlin``, ``UTC``); a bad name is a usage error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise LogsleuthError(
            f"unknown time zone {name!r}",
            "give a zoneinfo name such as UTC, Europe/Berlin or America/New_York",
        ) from None


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Options every reader accepts."""

    year: int | None = None
    """Year for yearless (RFC 3164) timestamps; None infers it from the file's mtime."""
    since: datetime | None = None
    """Skip records before this time (readers that can seek do so)."""
    until: datetime | None = None
    """Skip records after this time."""
    tz: tzinfo | None = None
    """Zone of times written without an offset (``--tz``); None: this machine's zone."""
    plain: bool = False
    """Take the plain path: every header through the general expressions, every message
    tried against the catalogue entries in order. Same records and events, slower: the
    reference the fast paths are tested against."""


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
