"""Journal exports read without any binding: ``journalctl -o json`` and ``-o export`` files.

Both formats carry the same fields as the journal itself, so this module also holds what
the journal readers share: which entries are sshd's (:func:`is_sshd_entry`) and how an
entry's fields become a :class:`~logsleuth.model.Record` (:func:`entry_record`).

Journal Export Format (systemd's "JOURNAL_EXPORT_FORMATS"): one ``KEY=value`` line per
field, or for values that are binary or contain a newline ``KEY`` followed by a
little-endian 64-bit length, the raw bytes and a newline; a blank line ends each entry.
``journalctl -o json`` writes one object per line; a value is a string, ``null`` (too
large), an array of byte values (not valid UTF-8) or an array of such values (a field
that occurs more than once).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
import struct
import sys
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import IO, BinaryIO, cast

from logsleuth.errors import SourceError
from logsleuth.limits import MAX_PID, MAX_USEC, MIN_USEC, bounded_int
from logsleuth.model import Record
from logsleuth.readers.base import BootWatch, ReadOptions, journal_stamp

#: SYSLOG_IDENTIFIER values of sshd's processes (OpenSSH <= 9.7, >= 9.8, >= 10.0, old PAM).
SSHD_IDENTIFIERS = ("sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)")
#: The sshd service under its Debian and Red Hat names.
SSHD_UNITS = ("ssh.service", "sshd.service")
#: Socket-activated per-connection instances: ``ssh@3-10.0.0.1:22-10.0.0.2:5555.service``.
_SOCKET_UNIT = re.compile(r"sshd?@[^/]*\.service\Z")

#: Every "nothing to report" SourceError of the journal readers starts with this reason.
NO_SSHD_ENTRIES = "no sshd entries"

#: The fields a record is built from (also what ``journalctl --output-fields`` asks for).
RECORD_FIELDS = (
    "MESSAGE",
    "_HOSTNAME",
    "_PID",
    "SYSLOG_PID",
    "SYSLOG_IDENTIFIER",
    "_COMM",
    "PRIORITY",
    "_BOOT_ID",
    "_SYSTEMD_UNIT",
    "_EXE",
    "_UID",
)

#: Every error of a damaged or hostile export starts with this reason.
CORRUPT = "corrupt journal export"
CORRUPT_HINT = (
    "the file was damaged or not written by journalctl; the entries before the damage were read"
)
#: A field (or JSON line) longer than this is not a journal entry: journald caps entries
#: far below it, and reading it would take unbounded memory.
MAX_FIELD = 16 << 20

# Trusted fields (journald fills them in; the sender cannot) of sshd's own entries.
_SSHD_COMMS = frozenset(SSHD_IDENTIFIERS)
_SSHD_EXES = frozenset({"sshd", "sshd-session", "sshd-auth"})
# Where a system's sshd lives; a non-root process running a binary from elsewhere (a home
# directory, /tmp) is not sshd whatever it is called.
_SYSTEM_DIRS = ("/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/opt/", "/nix/store/", "/snap/")

#: What the export readers keep of an entry (the rest is skipped undecoded).
_KEEP = frozenset(RECORD_FIELDS) | {"__REALTIME_TIMESTAMP", "__CURSOR"}
_KEEP_BYTES = frozenset(k.encode() for k in _KEEP)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIELD_LINE = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*=")


def is_sshd_unit(unit: str | None) -> bool:
    """Whether a ``_SYSTEMD_UNIT`` is the sshd service or one of its socket-activated units."""
    return unit is not None and (unit in SSHD_UNITS or _SOCKET_UNIT.match(unit) is not None)


def corrupt(source: str, what: str) -> SourceError:
    """The error for an export that cannot be a journal's (read up to the damage)."""
    return SourceError(source, f"{CORRUPT}: {what}", CORRUPT_HINT)


def forged_by(fields: Mapping[str, str]) -> str | None:
    """Who wrote an entry that claims to be sshd's, when its trusted fields say it was not
    sshd (``logger -t sshd`` as any user); None when nothing contradicts the identifier.

    SYSLOG_IDENTIFIER is the sender's choice; ``_COMM``, ``_EXE``, ``_UID`` and
    ``_SYSTEMD_UNIT`` are added by journald. sshd's user child runs as the user (a non-zero
    ``_UID`` in the user's session scope), so a uid alone proves nothing; a non-root
    process that is not a system sshd binary, or runs in another service, does.
    """
    if fields.get("SYSLOG_IDENTIFIER") not in SSHD_IDENTIFIERS:
        return None
    comm, exe, uid, unit = (fields.get(k) for k in ("_COMM", "_EXE", "_UID", "_SYSTEMD_UNIT"))
    if exe is not None:
        exe = exe.removesuffix(" (deleted)")  # sshd still running after an upgrade
    root = uid is None or uid.strip() == "0"
    if (
        (comm is not None and comm not in _SSHD_COMMS)
        or (exe is not None and exe.rpartition("/")[2] not in _SSHD_EXES)
        or (not root and exe is not None and not exe.startswith(_SYSTEM_DIRS))
        or (not root and unit is not None and unit.endswith(".service") and not is_sshd_unit(unit))
    ):
        shown = (f"{k}={v}" for k, v in (("_COMM", comm), ("_EXE", exe), ("_UID", uid)) if v)
        return "forged: " + " ".join(shown)
    return None


def is_sshd_entry(identifier: str | None, unit: str | None) -> bool:
    """Whether an entry is sshd's: by SYSLOG_IDENTIFIER or by the unit that logged it."""
    return identifier in SSHD_IDENTIFIERS or is_sshd_unit(unit)


def usec_to_datetime(usec: int) -> datetime:
    """Microseconds since the epoch (journal timestamps) as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=usec)


def datetime_to_usec(ts: datetime) -> int:
    """An aware datetime (naive means UTC) as microseconds since the epoch."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    delta = ts - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    return bounded_int(value.strip())


def entry_record(
    fields: Mapping[str, str], usec: int | None, cursor: str | None, source: str, line: int
) -> Record:
    """Build a record from an entry's decoded fields (see :data:`RECORD_FIELDS`)."""
    pid = _int(fields.get("_PID"))
    if pid is None:
        pid = _int(fields.get("SYSLOG_PID"))
    if pid is not None and pid > MAX_PID:
        pid = None
    message = fields.get("MESSAGE") or ""
    if "\x00" in message:
        message = message.replace("\x00", "")
    forged = forged_by(fields)
    ts = usec_to_datetime(usec) if usec is not None else None
    return Record(
        ts=ts,
        host=fields.get("_HOSTNAME") or None,
        program=fields.get("SYSLOG_IDENTIFIER") or fields.get("_COMM") or "",
        pid=pid,
        message=message.rstrip("\n"),
        source=source,
        line=line,
        cursor=cursor,
        priority=_int(fields.get("PRIORITY")),
        flaws=(forged,) if forged else (),
        stamp=journal_stamp(ts),
    )


def _window(options: ReadOptions) -> tuple[int | None, int | None]:
    since = datetime_to_usec(options.since) if options.since is not None else None
    until = datetime_to_usec(options.until) if options.until is not None else None
    return since, until


def no_entries_error(source: str, where: str, options: ReadOptions) -> SourceError:
    """The error for a source that holds no sshd entries (in the time window, if any)."""
    window = ""
    if options.since is not None or options.until is not None:
        since = options.since.isoformat() if options.since else "the start"
        until = options.until.isoformat() if options.until else "the end"
        window = f" between {since} and {until}"
    return SourceError(
        source,
        f"{NO_SSHD_ENTRIES} in {where}{window}",
        "sshd logs nothing there: check that this is the right journal, widen --since/--until, "
        "or scan the auth log, /var/log/auth.log or /var/log/secure, instead",
    )


def select_records(
    entries: Iterator[tuple[Mapping[str, str], str | None]],
    source: str,
    options: ReadOptions,
    where: str,
) -> Iterator[Record]:
    """sshd records of decoded entries, in the time window; SourceError when there are none.

    ``Record.line`` is the entry's ordinal among all entries of the source.
    """
    since, until = _window(options)
    found = 0
    boots = BootWatch()
    for ordinal, (fields, cursor) in enumerate(entries, 1):
        if not is_sshd_entry(fields.get("SYSLOG_IDENTIFIER"), fields.get("_SYSTEMD_UNIT")):
            continue
        stamp = fields.get("__REALTIME_TIMESTAMP")
        usec = _int(stamp)
        if stamp is not None and (usec is None or not MIN_USEC <= usec < MAX_USEC):
            raise corrupt(source, f"entry {ordinal} has the time stamp {stamp[:40]!r}")
        if usec is not None and (
            (since is not None and usec < since) or (until is not None and usec > until)
        ):
            continue
        found += 1
        record = entry_record(fields, usec, cursor, source, ordinal)
        marker = boots.marker(fields.get("_BOOT_ID"), record)
        if marker is not None:
            yield marker
        yield record
    if not found:
        raise no_entries_error(source, where, options)


def _gunzip_head(head: bytes) -> bytes:
    if head[:2] != b"\x1f\x8b":
        return head
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
    except zlib.error:
        return b""


# --- journalctl -o json -------------------------------------------------------------------


def json_value(value: object) -> str | None:
    """A field value of ``journalctl -o json`` as text (first value of a repeated field)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if not value:
            return ""
        if isinstance(value[0], int):
            try:
                return bytes(value).decode("utf-8", "replace")
            except (TypeError, ValueError):
                return None
        return json_value(value[0])
    if value is None:
        return None
    return str(value)


def parse_json_line(raw: bytes) -> dict[str, str] | None:
    """Decode one ``journalctl -o json`` line (``json-seq`` separators allowed); None if not."""
    raw = raw.strip().lstrip(b"\x1e")
    if not raw.startswith(b"{"):
        return None
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested 100,000 deep
        return None
    if not isinstance(obj, dict):
        return None
    out: dict[str, str] = {}
    for key, value in obj.items():
        if key in _KEEP:
            text = value if isinstance(value, str) else json_value(value)
            if text is not None:
                out[key] = text
    if b"\\u" in raw:  # an escaped lone surrogate is no text journalctl writes
        try:
            "".join(out.values()).encode("utf-8")
        except UnicodeEncodeError:
            return None
    return out


def json_entries(fh: IO[bytes], source: str) -> Iterator[tuple[Mapping[str, str], str | None]]:
    """Entries of a ``journalctl -o json`` stream, with their cursors."""
    lineno = 0
    while True:
        raw = fh.readline(MAX_FIELD + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > MAX_FIELD:
            raise corrupt(source, f"line {lineno} is longer than {MAX_FIELD >> 20} MiB")
        fields = parse_json_line(raw)
        if fields is None:
            if raw.strip():
                raise corrupt(source, f"line {lineno} is not a journal JSON object")
            continue
        yield fields, fields.get("__CURSOR")


class JournalJsonReader:
    """Files written by ``journalctl -o json`` (one JSON object per entry and line)."""

    name = "journal-json"

    def sniff(self, path: str, head: bytes) -> bool:
        """True when the first line is a JSON object with journal fields."""
        head = _gunzip_head(head).lstrip(b"\x1e \t\r\n")
        if not head.startswith(b"{"):
            return False
        first, newline, _ = head.partition(b"\n")
        if newline:
            fields = parse_json_line(first)
            return fields is not None and ("__REALTIME_TIMESTAMP" in fields or "__CURSOR" in fields)
        # One huge first line: settle for the field names.
        return b'"__REALTIME_TIMESTAMP"' in head or b'"__CURSOR"' in head

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield the sshd entries; raise SourceError when there are none."""
        with _open(path) as fh:
            yield from _guard(path, select_records(json_entries(fh, path), path, options, path))


# --- journalctl -o export -----------------------------------------------------------------


def export_entries(fh: IO[bytes], source: str) -> Iterator[tuple[Mapping[str, str], str | None]]:
    """Entries of a Journal Export Format stream, with their cursors."""
    fields: dict[str, str] = {}
    readline, read = fh.readline, fh.read
    while True:
        line = readline(MAX_FIELD + 1)
        if len(line) > MAX_FIELD:
            raise corrupt(source, f"a line longer than {MAX_FIELD >> 20} MiB")
        if not line or line == b"\n":
            if fields:
                yield fields, fields.get("__CURSOR")
                fields = {}
            if not line:
                return
            continue
        key, eq, value = line.partition(b"=")
        if eq:
            if key in _KEEP_BYTES:
                name = key.decode("ascii")
                if name not in fields:  # a repeated field: keep the first value
                    fields[name] = value.rstrip(b"\n").decode("utf-8", "replace")
            continue
        # Binary-safe form: KEY\n <le64 length> <bytes> \n
        size = read(8)
        if len(size) != 8:
            raise SourceError(source, "truncated binary field", "is the export complete?")
        (length,) = struct.unpack("<Q", size)
        if length > MAX_FIELD:  # never allocate what a hostile length asks for (2^63)
            raise corrupt(source, f"a binary field declares {length} bytes")
        data = read(length)
        if len(data) != length or read(1) != b"\n":
            raise SourceError(source, "truncated binary field", "is the export complete?")
        key = line.rstrip(b"\n")
        if key in _KEEP_BYTES:
            name = key.decode("ascii")
            if name not in fields:
                fields[name] = data.decode("utf-8", "replace")


class JournalExportReader:
    """Files written by ``journalctl -o export`` (Journal Export Format)."""

    name = "journal-export"

    def sniff(self, path: str, head: bytes) -> bool:
        """True when the text starts with ``KEY=value`` lines and the first entry has a time."""
        head = _gunzip_head(head)
        if not _FIELD_LINE.match(head):
            return False
        first_entry = head.split(b"\n\n", 1)[0]
        return head.startswith(b"__REALTIME_TIMESTAMP=") or (
            b"\n__REALTIME_TIMESTAMP=" in first_entry
        )

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield the sshd entries; raise SourceError when there are none."""
        with _open(path) as fh:
            yield from _guard(path, select_records(export_entries(fh, path), path, options, path))


class _Closing:
    """Context manager that closes a file, but never stdin."""

    def __init__(self, fh: BinaryIO, raw: IO[bytes] | None = None) -> None:
        self.fh = fh
        self.raw = raw

    def __enter__(self) -> BinaryIO:
        return self.fh

    def __exit__(self, *exc: object) -> None:
        if self.fh is not sys.stdin.buffer:
            self.fh.close()
        if self.raw is not None:
            self.raw.close()


def _guard(path: str, records: Iterator[Record]) -> Iterator[Record]:
    """Turn read errors of a (possibly gzip) stream into SourceError."""
    try:
        yield from records
    except (EOFError, OSError) as exc:
        raise SourceError(
            path, f"cannot read further ({exc})", "the file may be truncated or corrupt"
        ) from None


def _open(path: str) -> _Closing:
    """Open a path (``-`` is stdin) for bytes, decompressing gzip, bzip2 and xz by magic."""
    if path == "-":
        return _Closing(sys.stdin.buffer)
    try:
        fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 (closed by _Closing)
    except FileNotFoundError:
        raise SourceError(path, "no such file", "check the path") from None
    except PermissionError:
        raise SourceError(
            path, "permission denied", "run with sudo or add yourself to the adm group"
        ) from None
    except OSError as exc:
        raise SourceError(path, f"cannot open ({exc.strerror})", "check the path") from None
    magic = fh.read(6)
    fh.seek(0)
    unpacked: IO[bytes] | None = None
    if magic.startswith(b"\x1f\x8b"):
        unpacked = cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb"))
    elif magic.startswith(b"BZh"):
        unpacked = cast(IO[bytes], bz2.BZ2File(fh))  # noqa: SIM115
    elif magic.startswith(b"\xfd7zXZ\x00"):
        unpacked = cast(IO[bytes], lzma.LZMAFile(fh))  # noqa: SIM115
    if unpacked is None:
        return _Closing(cast(BinaryIO, fh))
    return _Closing(cast(BinaryIO, unpacked), fh)
