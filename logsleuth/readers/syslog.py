"""Syslog files: auth.log, secure, syslog, messages; plain, rotated or gzip; or stdin."""

from __future__ import annotations

import gzip
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from logsleuth.errors import SourceError
from logsleuth.model import Record
from logsleuth.readers.base import ReadOptions
from logsleuth.readers.syslog_header import parse_line

_REPEATED = re.compile(r"message repeated (\d+) times: \[ ?(.*?)\]$")


def open_binary(path: str) -> BinaryIO:
    """Open a path (``-`` is stdin) for reading bytes, transparently un-gzipping."""
    if path == "-":
        return sys.stdin.buffer
    fh: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    if fh.read(2) == b"\x1f\x8b":
        fh.seek(0)
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


def infer_year(path: str) -> int:
    """The year a yearless file was last written (gzip header mtime when set)."""
    if path == "-":
        return datetime.now(UTC).year
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head[:2] == b"\x1f\x8b":
            mtime = int.from_bytes(head[4:8], "little")
            if mtime:
                return datetime.fromtimestamp(mtime, UTC).year
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC).year
    except OSError:
        return datetime.now(UTC).year


class SyslogReader:
    """Reads RFC 3164 / RFC 3339 / RFC 5424 framed text files."""

    name = "syslog"

    def sniff(self, path: str, head: bytes) -> bool:
        """True when one of the first lines has a syslog header."""
        text = head.decode("utf-8", "replace")
        return any(parse_line(line, 2000) for line in text.splitlines()[:20])

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield every line as a record (unparsable lines get program "")."""
        year = options.year or infer_year(path)
        try:
            fh = open_binary(path)
        except FileNotFoundError:
            raise SourceError(path, "no such file", "check the path") from None
        except PermissionError:
            raise SourceError(path, "permission denied",
                              "run with sudo or add yourself to the adm group") from None
        try:
            for lineno, raw in enumerate(fh, 1):
                text = raw.decode("utf-8", "replace").replace("\x00", "").rstrip("\r\n")
                h = parse_line(text, year)
                if h is None:
                    yield Record(None, None, "", None, text, path, lineno)
                    continue
                msg, repeat = h.message, 1
                m = _REPEATED.match(msg) if msg.startswith("message repeated") else None
                if m:
                    repeat, msg = int(m.group(1)), m.group(2)
                yield Record(h.ts, h.host, h.program, h.pid, msg, path, lineno, repeat,
                             priority=h.priority)
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            raise SourceError(path, f"cannot read further ({exc})",
                              "the file may be truncated or corrupt") from None
        finally:
            if fh is not sys.stdin.buffer:
                fh.close()
