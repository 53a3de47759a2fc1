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
import stat
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import IO, BinaryIO, Protocol

from logsleuth.errors import SourceError
from logsleuth.limits import MAX_REPEAT, MAX_TIME, MIN_TIME, bounded_int
from logsleuth.model import Record
from logsleuth.readers.base import ReadOptions
from logsleuth.readers.syslog_header import (
    _FAST3164,
    MONTHS,
    LocalClock,
    _pid,
    local_to_utc,
    parse_fields,
)

CHUNK = 1 << 18
"""Bytes read (and at most decompressed) per step."""
PACKED_CHUNK = 1 << 14
"""Bytes of compressed input read per step."""
MAX_EXPANSION = 100
"""Decompressed bytes allowed per compressed byte (beyond :data:`EXPANSION_SLACK`)."""
EXPANSION_SLACK = 1 << 20
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


def _raw(fh: _Readable, first: bytes, path: str, size: int = 0) -> Iterator[bytes]:
    if first:
        yield first
    while True:
        try:
            chunk = fh.read(size or CHUNK)
        except OSError as exc:
            raise SourceError(path, f"read error ({exc.strerror or exc})") from None
        if not chunk:
            return
        yield chunk


def _counted(chunks: Iterator[bytes], fed: list[int]) -> Iterator[bytes]:
    """Pass chunks through, adding their sizes to ``fed[0]``."""
    for chunk in chunks:
        fed[0] += len(chunk)
        yield chunk


def _bounded_expansion(out: Iterator[bytes], fed: list[int], path: str) -> Iterator[bytes]:
    """Stop a decompression bomb: logs compress about 10-fold, never 100-fold.

    A 1 MB gzip of empty lines would otherwise ask for a billion records.
    """
    produced = 0
    for chunk in out:
        produced += len(chunk)
        if produced > EXPANSION_SLACK and produced > MAX_EXPANSION * fed[0]:
            raise SourceError(
                path,
                f"compressed data expands more than {MAX_EXPANSION}-fold ({fed[0]} bytes gave "
                f"{produced}): not a log, or a decompression bomb",
                f"the lines before were read; to read it all: zcat {path} | logsleuth scan -",
            )
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
            more = fh.read(6 - len(first))
            if not more:
                break
            first += more
        if first.startswith((_GZIP, _BZ2, _XZ)):
            # Compressed input is read in small steps, so its expansion is checked often.
            fed = [0]
            raw = _counted(_raw(fh, first, path, PACKED_CHUNK), fed)
            if first.startswith(_GZIP):
                out = _gunzip(raw, path)
            elif first.startswith(_BZ2):
                out = _unpack(raw, bz2.BZ2Decompressor, path, "bzip2")
            else:
                out = _unpack(raw, lzma.LZMADecompressor, path, "xz")
            yield from _bounded_expansion(out, fed, path)
        else:
            yield from _raw(fh, first, path)
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
        return read_syslog_lines(iter_lines(path), path, options, YearGuess.of(path, options))

    @staticmethod
    def _unframed(
        text: str,
        path: str,
        lineno: int,
        last: Record | None,
        year: int,
        clock: LocalClock,
        flaws: list[str] | None = None,
    ) -> Record:
        """A line without a header; BSD's ``last message repeated N times`` repeats ``last``."""
        m = _LAST_REPEATED.match(text) if last is not None else None
        if m is None or last is None:
            return Record(None, None, "", None, text, path, lineno)
        ts = local_to_utc(
            year, MONTHS.get(m.group("mon"), 1), int(m.group("day")), m.group("time"), None, clock
        )
        repeat = bounded_int(m.group("n"), MAX_REPEAT)
        if repeat is None and flaws is not None:
            flaws.append("repeat count")
        stamp = text[m.start("mon") : m.end("time")]
        return replace(last, ts=ts or last.ts, line=lineno, repeat=repeat or 1, stamp=stamp)


_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class YearGuess:
    """What decides the year of yearless (RFC 3164) time stamps.

    With ``--year`` that year is the year of the first yearless line. Otherwise the year
    comes from the time the source was last written (``ref``): its last yearless line
    cannot be later than that (plus a day for zone differences), and its first line is
    in the same year unless the dates wrap from December to January in between. Later
    lines move to the next year only where the dates wrap, so time never runs backwards
    inside a file.
    """

    year: int
    """The given year, or the writer's year at ``ref``."""
    limit: datetime | None = None
    """Latest possible time of a line (``ref`` plus a day); None when the year was given."""
    tail: str | None = None
    """The last line with a yearless stamp, when it could be found cheaply."""

    @classmethod
    def of(cls, path: str, options: ReadOptions) -> YearGuess:
        """The guess for one source."""
        if options.year is not None:
            return cls(options.year)
        ref = reference_time(path)
        return cls(ref.astimezone(options.tz).year, ref + _DAY, last_stamped_line(path))

    def first_year(self, text: str, clock: LocalClock) -> int:
        """The year of the first yearless line ``text``."""
        if self.limit is None:
            return self.year
        if self.tail is not None:
            last = _latest_year(self.tail, self.year, self.limit, clock)
            if last is not None:
                y, end = last
                f = parse_fields(text, y, clock)
                # Only a wrap (December -> January) puts the first line after the last.
                if f is not None and f[0] is not None and f[0] <= end + _DAY:
                    return y
                return y - 1
        found = _latest_year(text, self.year, self.limit, clock)
        return found[0] if found is not None else self.year


def _latest_year(
    text: str, year: int, limit: datetime, clock: LocalClock
) -> tuple[int, datetime] | None:
    """The latest year (from ``year`` back) in which a yearless line is not after ``limit``.

    A Feb 29 line may need up to 8 years to find a leap year.
    """
    for y in range(year, year - 9, -1):
        f = parse_fields(text, y, clock)
        if f is not None and f[0] is not None and f[0] <= limit:
            return y, f[0]
    return None


def last_stamped_line(path: str, span: int = 1 << 16) -> str | None:
    """The last line of a regular file that has a yearless (RFC 3164) stamp, if any.

    A plain file is read from its end; a compressed one is decompressed once (the cost of
    a decompression, without parsing). None for standard input and streams.
    """
    try:
        if path == "-" or not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            magic = fh.read(6)
            if magic.startswith((_GZIP, _BZ2, _XZ)):
                tail = b""
                for chunk in iter_chunks(path):
                    tail = (tail + chunk)[-span:]
            else:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - span))
                tail = fh.read(span)
    except (OSError, SourceError):
        return None
    for raw in reversed(tail.split(b"\n")[1:] if len(tail) >= span else tail.split(b"\n")):
        text = raw.replace(b"\x00", b"").decode("utf-8", "replace").rstrip("\r")
        f = parse_fields(text, 2000)
        if f is not None and f[6]:
            return text
    return None


def read_syslog_lines(
    lines: Iterable[bytes],
    path: str,
    options: ReadOptions,
    guess: YearGuess,
    first_line: int = 1,
) -> Iterator[Record]:
    """Syslog-framed lines as records, with the year rules of :class:`YearGuess`.

    Shared by the readers whose lines are syslog-framed text (syslog files, and the
    journal lines of journalctl and ``systemctl status`` output). ``first_line``: the
    line number of the first line given (an ingest reading on from a stored offset).
    """
    clock = LocalClock(options.tz)
    year = guess.year
    floor = _NEVER  # a yearless time before this starts a new year (or is the first)
    ceiling = _NEVER
    started = False
    last: Record | None = None
    flaws: list[str] = []
    fast = not options.plain
    # The everyday shape (`Mmm dd HH:MM:SS host prog[pid]: msg`) is parsed here, inline,
    # with one expression; the same second's stamp gives the same time without a lookup.
    fast_match = _FAST3164.match
    last_stamp: str | None = None
    last_year = year
    last_ts: datetime | None = None
    for lineno, raw in enumerate(lines, first_line):
        if b"\x00" in raw:
            raw = raw.replace(b"\x00", b"")
        text = raw.decode("utf-8", "replace")
        if text.endswith("\r"):
            text = text.rstrip("\r")
        m = fast_match(text) if fast and text[:3] in MONTHS else None
        if m is not None and not text.startswith("[ID ", m.start(5)):
            stamp, host, prog, pid_text, msg = m.groups()
            # \d also matches other scripts' digits, which are no pid: the general path.
            pid = int(pid_text) if len(pid_text) < 10 and pid_text.isascii() else None
            if pid is None:
                pid = _pid(pid_text, flaws)
            if stamp == last_stamp and year == last_year:
                ts = last_ts
            else:
                ts = clock.stamp(year, stamp)
                if ts is not None and not (MIN_TIME <= ts < MAX_TIME):
                    flaws.append("time")
                    ts = None
                last_stamp, last_year, last_ts = (stamp, year, ts) if ts else (None, year, None)
            priority: int | None = None
            yearless = True
        else:
            f = parse_fields(text, year, clock, flaws, not fast)
            if f is None:
                rec = SyslogReader._unframed(text, path, lineno, last, year, clock, flaws)
                if flaws:  # values out of range were left out: say so
                    rec = replace(rec, flaws=tuple(flaws))
                    flaws.clear()
                yield rec
                continue
            ts, host, prog, pid, msg, priority, yearless, stamp = f
        if yearless:
            if ts is None or ts < floor:
                moved = False
                if not started:
                    first = guess.first_year(text, clock)
                    if first != year:
                        year, ts = first, _stamp(text, first, clock)
                    started = moved = ts is not None
                elif ts is not None and ts < floor - _WEEK:
                    # The dates went back by more than a week: the year ended.
                    later = _stamp(text, year + 1, clock)
                    if later is not None:
                        year, ts, moved = year + 1, later, True
                if moved and ts is not None:
                    floor, ceiling = ts - _DAY, ts + _DAY
            elif ts > ceiling:
                floor, ceiling = ts - _DAY, ts + _DAY
        repeat = 1
        if msg.startswith("message repeated "):
            rm = _REPEATED.match(msg)
            if rm:
                repeat, msg = bounded_int(rm.group(1), MAX_REPEAT) or 1, rm.group(2)
                if repeat == 1 and rm.group(1) != "1":
                    flaws.append("repeat count")
        rec = Record(ts, host, prog, pid, msg, path, lineno, repeat, None, priority, (), stamp)
        last = rec
        if flaws:  # values out of range were left out: say so
            rec = replace(rec, flaws=tuple(flaws))
            flaws.clear()
        yield rec


def _stamp(text: str, year: int, clock: LocalClock) -> datetime | None:
    f = parse_fields(text, year, clock)
    return f[0] if f is not None else None
