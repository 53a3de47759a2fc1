"""Read positions: where each log stream stopped, so the next ingest reads only new lines.

A *stream* is the content of one log file, wherever it moves: ``auth.log`` renamed to
``auth.log.1`` and later compressed to ``auth.log.2.gz`` is one stream. A stream is
recognised by its first bytes (the *head*, up to :data:`HEAD` bytes of the decompressed
content, which start with a time-stamped line), not by its name; the device and inode
only tell that an unchanged compressed file need not be opened again. So:

* a file that grew is read from the stored offset;
* rotation by rename: the old stream is found under its new name (``auth.log.1``) and
  read on from its offset, the new ``auth.log`` is a new stream read from the start;
* copytruncate: the copy (``auth.log.1``) has the old head and is read on from the
  offset; the truncated ``auth.log`` has a new head and is read from the start;
* compression (``.1`` -> ``.2.gz``): the decompressed head is the same, so the stream is
  skipped up to its offset.

Only whole lines are read from a file that may still be written: a line without its
newline is left for the next run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from logsleuth.errors import SourceError
from logsleuth.readers.syslog import CHUNK, MAX_LINE, iter_chunks, read_head

HEAD = 1024
"""Bytes of a stream's start kept as its fingerprint."""
_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


@dataclass(frozen=True, slots=True)
class Position:
    """How far one stream has been read."""

    stream: int
    path: str
    reader: str
    device: int = 0
    inode: int = 0
    size: int = 0
    mtime_ns: int = 0
    head: bytes = b""
    offset: int = 0
    """Bytes of the decompressed content read (whole lines only)."""
    lines: int = 0
    """Lines read; the next line's number is ``lines + 1``."""
    cursor: str | None = None
    """Journal cursor of the last entry read."""


@dataclass(frozen=True, slots=True)
class FileState:
    """What a file looks like now."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    compressed: bool
    head: bytes


def file_state(path: str) -> FileState | None:
    """The identity, size and head of a regular file; None for anything else (a pipe or
    a device is read as a stream, with no position). OSError when it cannot be read."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        return None
    with open(path, "rb") as fh:
        magic = fh.read(6)
    compressed = magic.startswith(_MAGIC)
    try:
        head = read_head(path, HEAD)
    except SourceError:
        head = b""
    return FileState(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, compressed, head)


def same_stream(head: bytes, stored: bytes) -> bool:
    """Whether two heads are the start of one stream.

    They must agree over their common length, and that common part must hold a whole
    line (its time stamp, host and message): two logs never start with the same line.
    """
    n = min(len(head), len(stored))
    return n > 0 and head[:n] == stored[:n] and b"\n" in head[:n]


def unchanged(state: FileState, pos: Position) -> bool:
    """Whether a compressed file is exactly the one already read to its end."""
    return state.compressed and (state.device, state.inode, state.size, state.mtime_ns) == (
        pos.device,
        pos.inode,
        pos.size,
        pos.mtime_ns,
    )


class Tail:
    """The lines of a file from a byte offset of its (decompressed) content.

    ``offset`` advances past each line as it is handed out, so after (or during) the
    iteration it is where the next run starts. ``whole_lines`` leaves a last line without
    its newline unread (the writer may be in the middle of it).
    """

    def __init__(self, path: str, start: int, *, compressed: bool, whole_lines: bool) -> None:
        self.path = path
        self.offset = start
        self._compressed = compressed
        self._whole = whole_lines and not compressed

    def _chunks(self) -> Iterator[bytes]:
        if self._compressed:
            skip = self.offset
            for chunk in iter_chunks(self.path):
                if skip >= len(chunk):
                    skip -= len(chunk)
                    continue
                yield chunk[skip:]
                skip = 0
            return
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise SourceError(self.path, f"cannot open ({exc.strerror or exc})") from None
        with fh:
            fh.seek(self.offset)
            while chunk := fh.read(CHUNK):
                yield chunk

    def __iter__(self) -> Iterator[bytes]:
        rest = b""
        skipping = False  # inside an over-long line whose head was already handed out
        for chunk in self._chunks():
            lines = (rest + chunk if rest else chunk).split(b"\n")
            rest = lines.pop()  # after the last newline: the start of the next line
            for line in lines:
                self.offset += len(line) + 1
                if skipping:
                    skipping = False
                    continue
                yield line
            if len(rest) > MAX_LINE and not skipping:
                self.offset += len(rest)
                yield rest[:MAX_LINE]
                rest, skipping = b"", True
            elif skipping:
                self.offset += len(rest)
                rest = b""
        if rest and not self._whole:
            self.offset += len(rest)
            if not skipping:
                yield rest
