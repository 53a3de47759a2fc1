"""Readers: one module per source kind, registered by name."""

from __future__ import annotations

from logsleuth.readers.base import Reader, ReadOptions
from logsleuth.readers.journal_export import JournalExportReader, JournalJsonReader
from logsleuth.readers.journal_text import JournalTextReader
from logsleuth.readers.journald import JournaldReader
from logsleuth.readers.macos_log import MacLogReader
from logsleuth.readers.syslog import SyslogReader

READERS: dict[str, type[Reader]] = {
    # Journal formats first: they are recognised exactly, syslog by a looser sniff.
    "journald": JournaldReader,
    "journal-json": JournalJsonReader,
    "journal-export": JournalExportReader,
    # Text formats with framing of their own before plain syslog, which they contain.
    "journalctl": JournalTextReader,
    "macos-log": MacLogReader,
    "syslog": SyslogReader,
}


def detect(path: str, head: bytes) -> Reader | None:
    """The first registered reader that recognises a source, if any."""
    for cls in READERS.values():
        reader = cls()
        if reader.sniff(path, head):
            return reader
    return None


__all__ = ["READERS", "ReadOptions", "Reader", "detect"]
