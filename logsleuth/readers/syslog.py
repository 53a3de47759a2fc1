"""Syslog files: auth.log, secure, syslog, messages; plain, rotated or compressed; or stdin.

Files are streamed in fixed-size chunks (never read whole); gzip (also bzip2 and xz) is
recognised by its magic bytes, not by the file name, so a pipe or a renamed file works.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import IO, BinaryIO, Protocol

from logsleuth.errors import SourceError
from logsleuth.model import Record
from logsleuth.readers.base import ReadOptions
from logsleuth.readers.syslog_header import MONTHS, LocalClock, local_to_utc, parse_fields

CHUNK = 1 << 18
"""Bytes read (and at most decompressed) per step."""
MAX_LINE = 1 << 20
"""Longer lines are cut here (the rest of the line is skipped), bounding memory."""

PERMISSION_HINT = "run with sudo, or add yourself to the adm group (sudo adduser $USER adm)"
_GZIP, _BZ2, _XZ = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"

_REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*)\]\s*$", re.DOTALL)
_LAST_REPEATED = re.compile(
    r"(?:<\d{1,3}>)?(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d)"
    r" (?:\S+ )?(?:--- )?last message repeated (?P<n>\d+) times?(?: ---)?\s*$"
)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class _TextAsBytes:
    """Byte view of a text stream without a ``.buffer`` (a replaced ``sys.stdin``)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def read(self, size: int = -1, /) -> bytes:
        return self._stream.read(size).encode("utf-8", "surrogateescape")

    def close(self) -> None:
        """Nothing to do: the stream belongs to the caller."""


def open_source(path: str) -> _Readable:
    """Open a path (``-`` is stdin) for reading bytes; failures become SourceError."""
    if path == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise SourceError("-", "standard input is closed", "pipe a log into it")
        buffer = getattr(sys.stdin, "buffer", None)
        return buffer if buffer is not None else _TextAsBytes(sys.stdin)
    try:
        return open(path, "rb")  # noqa: SIM115 (closed by iter_chunks)
    except FileNotFoundError:
        raise SourceError(path, "no such file or directory", "check the path") from None
    except PermissionError:
        raise SourceError(path, "permission denied", PERMISSION_HINT) from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory", "pass it as a source to read its logs") from None
    except OSError as exc:
        raise SourceError(path, f"cannot open ({exc.strerror})") from None


def open_binary(path: str) -> BinaryIO:
    """Open a path (``-`` is stdin) as a gzip-transparent binary file.

    For readers that want a file object; raises OSError subclasses unchanged. The syslog
    reader itself streams through :func:`iter_chunks`, which also reports truncation.
    """
    if path == "-":
        return sys.stdin.buffer
    fh: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    magic = fh.read(2)
    fh.seek(0)
    if magic == _GZIP:
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


def _raw(fh: _Readable, first: bytes, path: str) -> Iterator[bytes]:
    if first:
        yield first
    while True:
        try:
            chunk = fh.read(CHUNK)
        except OSError as exc:
            raise SourceError(path, f"read error ({exc.strerror or exc})") from None
        if not chunk:
            return
        yield chunk


def _gunzip(chunks: Iterator[bytes], path: str) -> Iterator[bytes]:
    """Decompress (possibly concatenated, zero-padded) gzip members chunk by chunk."""
    d = zlib.decompressobj(31)
    fed = False  # whether the current member has received any input
    try:
        for chunk in chunks:
            data = chunk
            while data:
                if not fed:
                    data = data.lstrip(b"\x00")  # padding between or after members
                    if not data:
                        break
                    fed = True
                out = d.decompress(data, CHUNK)
                if out:
                    yield out
                if d.eof:
                    data = d.unused_data
                    d, fed = zlib.decompressobj(31), False
                else:
                    data = d.unconsumed_tail
    except zlib.error as exc:
        raise SourceError(
            path, f"corrupt gzip data ({exc})", "the lines before the damage were read"
        ) from None
    if fed:
        tail = d.flush()
        if tail:
            yield tail
        raise SourceError(
            path,
            "truncated gzip: the compressed data ends before the end of the stream",
            "the lines before the cut were read; the file may have been copied while written",
        )


def _unpack(
    chunks: Iterator[bytes],
    factory: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor],
    path: str,
    kind: str,
) -> Iterator[bytes]:
    """Decompress bzip2 or xz streams (possibly concatenated) chunk by chunk."""
    d, fed = factory(), False
    try:
        for chunk in chunks:
            data = chunk
            while True:
                if not fed:
                    data = data.lstrip(b"\x00")
                    if not data:
                        break
                    fed = True
                out = d.decompress(data, CHUNK)
                data = b""
                if out:
                    yield out
                if d.eof:
                    data, d, fed = d.unused_data, factory(), False
                    continue
                if d.needs_input:
                    break
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise SourceError(path, f"corrupt {kind} data ({exc})") from None
    if fed:
        raise SourceError(
            path, f"truncated {kind}: the compressed data ends early", "the lines before were read"
        )


def iter_chunks(path: str) -> Generator[bytes, None, None]:
    """The source's content, decompressed, in chunks of bounded size."""
    fh = open_source(path)
    try:
        first = b""
        while len(first) < 6:  # a pipe may deliver fewer bytes per read
            more = fh.read(CHUNK)
            if not more:
                break
            first += more
        raw = _raw(fh, first, path)
        if first.startswith(_GZIP):
            yield from _gunzip(raw, path)
        elif first.startswith(_BZ2):
            yield from _unpack(raw, bz2.BZ2Decompressor, path, "bzip2")
        elif first.startswith(_XZ):
            yield from _unpack(raw, lzma.LZMADecompressor, path, "xz")
        else:
            yield from raw
    except OSError as exc:
        raise SourceError(path, f"read error ({exc.strerror or exc})") from None
    finally:
        if path != "-":
            fh.close()


def iter_lines(path: str) -> Iterator[bytes]:
    """The source's lines without their ``\\n``; a cut-off last line is still yielded."""
    rest = b""
    skipping = False  # inside an over-long line whose head was already yielded
    try:
        for chunk in iter_chunks(path):
            if skipping:
                cut = chunk.find(b"\n")
                if cut < 0:
                    continue
                chunk, skipping = chunk[cut + 1 :], False
            parts = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
            rest = parts.pop()
            yield from parts
            if len(rest) > MAX_LINE:
                yield rest[:MAX_LINE]
                rest, skipping = b"", True
    except SourceError:
        if rest:  # truncated input: keep the cut-off line, then report
            yield rest
        raise
    if rest:
        yield rest


def read_head(path: str, size: int = 65536) -> bytes:
    """Up to ``size`` bytes from the start of the (decompressed) content."""
    got = b""
    chunks = iter_chunks(path)
    try:
        for chunk in chunks:
            got += chunk
            if len(got) >= size:
                break
    except SourceError as exc:
        if not got or ("truncated" not in exc.reason and "corrupt" not in exc.reason):
            raise
    finally:
        chunks.close()
    return got[:size]


def reference_time(path: str) -> datetime:
    """When the source was last written: the gzip header's mtime when set, else the file's."""
    if path != "-":
        try:
            with open(path, "rb") as fh:
                head = fh.read(8)
            if head[:2] == _GZIP and int.from_bytes(head[4:8], "little"):
                return datetime.fromtimestamp(int.from_bytes(head[4:8], "little"), UTC)
            return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
        except OSError:
            pass
    return datetime.now(UTC)


class SyslogReader:
    """Reads RFC 3164 / RFC 3339 / RFC 5424 framed text, one record per line."""

    name = "syslog"

    def sniff(self, path: str, head: bytes) -> bool:
        """True when most of the first (up to 20) non-empty lines have a syslog header.

        ``head`` is the start of the decompressed content.
        """
        lines = head.split(b"\n")
        if len(head) >= 4096 and len(lines) > 1:
            lines.pop()  # probably cut mid-line
        seen = parsed = 0
        for raw in lines:
            text = raw.replace(b"\x00", b"").decode("utf-8", "replace").rstrip("\r")
            if not text.strip():
                continue
            seen += 1
            if parse_fields(text, 2000) is not None or _LAST_REPEATED.match(text):
                parsed += 1
            if seen == 20:
                break
        return parsed > 0 and 2 * parsed >= seen

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield every line as a record (unparsable lines get program "" and the line).

        Every line is yielded, whatever its program or time: ``since``/``until`` are left
        to the caller, so that the count of lines read stays the file's.
        """
        clock = LocalClock()
        if options.year is not None:
            year, limit = options.year, None
        else:
            ref = reference_time(path)
            year = ref.astimezone().year  # the writer's wall-clock year
            limit = ref + timedelta(days=1)
        last: Record | None = None
        for lineno, raw in enumerate(iter_lines(path), 1):
            if b"\x00" in raw:
                raw = raw.replace(b"\x00", b"")
            text = raw.decode("utf-8", "replace")
            if text.endswith("\r"):
                text = text.rstrip("\r")
            f = parse_fields(text, year, clock)
            if f is None:
                rec = self._unframed(text, path, lineno, last, year, clock)
            else:
                ts, host, prog, pid, msg, priority, yearless = f
                if yearless and limit is not None and (ts is None or ts > limit):
                    ts = _walk_back(text, ts, year, limit, clock)
                repeat = 1
                if msg.startswith("message repeated "):
                    m = _REPEATED.match(msg)
                    if m:
                        repeat, msg = int(m.group(1)), m.group(2)
                rec = Record(ts, host, prog, pid, msg, path, lineno, repeat, priority=priority)
                last = rec
            yield rec

    @staticmethod
    def _unframed(
        text: str, path: str, lineno: int, last: Record | None, year: int, clock: LocalClock
    ) -> Record:
        """A line without a header; BSD's ``last message repeated N times`` repeats ``last``."""
        m = _LAST_REPEATED.match(text) if last is not None else None
        if m is None or last is None:
            return Record(None, None, "", None, text, path, lineno)
        ts = local_to_utc(
            year, MONTHS.get(m.group("mon"), 1), int(m.group("day")), m.group("time"), None, clock
        )
        return replace(last, ts=ts or last.ts, line=lineno, repeat=int(m.group("n")))


def _walk_back(
    text: str, ts: datetime | None, year: int, limit: datetime, clock: LocalClock
) -> datetime | None:
    """Move a yearless time into the past: it cannot be later than the file (plus a day)."""
    for back in range(1, 9):  # a Feb 29 line may need up to 8 years to find a leap year
        if ts is not None and ts <= limit:
            return ts
        f = parse_fields(text, year - back, clock)
        ts = f[0] if f else None
    return ts
