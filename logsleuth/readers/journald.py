"""The systemd journal: the local journal, a directory of journal files, or single files.

Reads through systemd-python (the ``logsleuth[journald]`` extra, imported lazily). Without
it, ``journalctl -o json`` is run instead; without either, a SourceError says how to install
the binding. Only sshd's entries are read, selected inside the journal by matches on
SYSLOG_IDENTIFIER and _SYSTEMD_UNIT; ``--since``/``--until`` seek instead of filtering.

A path is ``journal`` (the local system journal), a directory (every ``*.journal`` file in
it, rotated ones included, and in its machine-id subdirectories), a journal file, or a glob
of journal files. Records carry the entry's cursor; :meth:`JournaldReader.read_after`
resumes after a saved cursor.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

from logsleuth.errors import SourceError
from logsleuth.limits import MAX_PID, MAX_USEC, MIN_USEC, bounded_int
from logsleuth.model import Record
from logsleuth.readers.base import BootWatch, ReadOptions, journal_stamp
from logsleuth.readers.journal_export import (
    NO_SSHD_ENTRIES,
    RECORD_FIELDS,
    SSHD_IDENTIFIERS,
    SSHD_UNITS,
    datetime_to_usec,
    forged_by,
    is_sshd_unit,
    json_entries,
    no_entries_error,
    select_records,
    usec_to_datetime,
)

#: The first bytes of every journal file.
MAGIC = b"LPKSHHRH"
#: Where journald keeps the local journal (volatile, persistent).
LOCAL_JOURNAL_DIRS = ("/run/log/journal", "/var/log/journal")
#: The path that means the local system journal.
LOCAL = "journal"

INSTALL_HINT = (
    "install the journal binding with `pip install 'logsleuth[journald]'` (it builds against "
    "libsystemd: first `apt-get install libsystemd-dev pkg-config` on Debian/Ubuntu, "
    "`dnf install systemd-devel pkgconf` on Fedora/RHEL), or install journalctl"
)
PERMISSION_HINT = (
    "run with sudo or add yourself to the systemd-journal (or adm) group to read the journal"
)


def _binding() -> ModuleType | None:
    """systemd.journal when systemd-python is installed (imported on first use)."""
    try:
        from systemd import journal
    except ImportError:
        return None
    return cast(ModuleType, journal)


def _journalctl() -> str | None:
    """The journalctl executable, if installed."""
    return shutil.which("journalctl")


def _journal_files(directory: str) -> list[str]:
    """``*.journal``/``*.journal~`` files in a directory and its immediate subdirectories."""
    found = glob.glob(os.path.join(glob.escape(directory), "*.journal*"))
    found += glob.glob(os.path.join(glob.escape(directory), "*", "*.journal*"))
    return sorted(f for f in found if f.endswith((".journal", ".journal~")) and os.path.isfile(f))


def local_journal_files() -> list[str]:
    """The journal files of the local journal (readable or not)."""
    return [f for d in LOCAL_JOURNAL_DIRS for f in _journal_files(d)]


def local_journal_available() -> bool:
    """Whether this machine has a local journal to read (files, or entries the binding sees)."""
    if local_journal_files():
        return True
    journal = _binding()
    if journal is None:
        return False
    try:
        with journal.Reader() as reader:
            return bool(reader._next())
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class _Target:
    """What a path names: the local journal, a directory, or files."""

    kind: str  # "local" | "dir" | "files"
    paths: tuple[str, ...]


def _check_readable(path: str, files: Sequence[str]) -> None:
    if files and not any(os.access(f, os.R_OK) for f in files):
        raise SourceError(path, "permission denied", PERMISSION_HINT)


def _resolve(path: str) -> _Target:
    """Decide what a path names and check that it can be read."""
    if path == LOCAL:
        _check_readable(path, local_journal_files())
        return _Target("local", ())
    if os.path.isdir(path):
        files = _journal_files(path)
        if not files:
            raise SourceError(
                path,
                "no journal files (*.journal) in this directory",
                "point --journal-dir at the directory that holds *.journal files",
            )
        _check_readable(path, files)
        return _Target("dir", (path,))
    files = [path] if os.path.exists(path) else sorted(glob.glob(path))
    if not files:
        raise SourceError(path, "no such file", "check the path")
    for f in files:
        try:
            with open(f, "rb") as fh:
                magic = fh.read(len(MAGIC))
        except PermissionError:
            raise SourceError(f, "permission denied", PERMISSION_HINT) from None
        except OSError as exc:
            raise SourceError(f, f"cannot open ({exc.strerror})", "check the path") from None
        if magic != MAGIC:
            raise SourceError(
                f,
                "not a journal file",
                "journal exports (journalctl -o json/export) are read by `logsleuth scan FILE`",
            )
    return _Target("files", tuple(files))


def _where(path: str, target: _Target) -> str:
    return "the journal" if target.kind == "local" else path


class JournaldReader:
    """sshd's entries of the systemd journal (binding, else ``journalctl -o json``)."""

    name = "journald"

    def __init__(self, backend: str = "auto") -> None:
        """``backend``: ``auto`` (binding, else journalctl), ``binding`` or ``journalctl``."""
        if backend not in ("auto", "binding", "journalctl"):
            raise ValueError(f"unknown journal backend {backend!r}")
        self.backend = backend

    def sniff(self, path: str, head: bytes) -> bool:
        """True for journal files (they start with the journal magic)."""
        return head.startswith(MAGIC)

    def read(self, path: str, options: ReadOptions) -> Iterator[Record]:
        """Yield sshd's entries in journal order.

        Raises SourceError when the journal cannot be read, and a SourceError whose reason
        starts with :data:`~logsleuth.readers.journal_export.NO_SSHD_ENTRIES` when it holds
        no sshd entries (in the window), so that an empty journal never reads as "no problems".
        """
        return self._read(path, options, None)

    def read_after(self, path: str, cursor: str, options: ReadOptions) -> Iterator[Record]:
        """Yield sshd's entries that follow the entry with ``cursor`` (for incremental ingest).

        Yields nothing (no error) when no entries are newer.
        """
        return self._read(path, options, cursor)

    def _read(self, path: str, options: ReadOptions, after: str | None) -> Iterator[Record]:
        target = _resolve(path)
        journal = _binding() if self.backend != "journalctl" else None
        if journal is not None:
            records = _read_binding(journal, path, target, options, after)
        elif self.backend == "binding":
            raise SourceError(
                path, "the journal binding (systemd-python) is not installed", INSTALL_HINT
            )
        else:
            exe = _journalctl()
            if exe is None:
                raise SourceError(
                    path,
                    "cannot read the journal: neither systemd-python nor journalctl is installed",
                    INSTALL_HINT,
                )
            records = _read_journalctl(exe, path, target, options, after)
        return _require_entries(records, path, target, options, after)


def _require_entries(
    records: Iterator[Record], path: str, target: _Target, options: ReadOptions, after: str | None
) -> Iterator[Record]:
    count = 0
    for record in records:
        count += 1
        yield record
    if count or after is not None:
        return
    if target.kind == "local" and not local_journal_files():
        raise SourceError(
            LOCAL,
            "no journal files found in " + " or ".join(LOCAL_JOURNAL_DIRS),
            "journald may not run, or keeps no files with Storage=none; "
            "scan the auth log, /var/log/auth.log or /var/log/secure, instead",
        )
    raise no_entries_error(path, _where(path, target), options)


# --- systemd-python -----------------------------------------------------------------------


def _open_reader(journal: ModuleType, target: _Target) -> Any:
    if target.kind == "local":
        return journal.Reader()
    if target.kind == "dir":
        return journal.Reader(path=target.paths[0])
    return journal.Reader(files=list(target.paths))


def _add_matches(reader: Any, units: Sequence[str]) -> None:
    # Values of one field OR together; add_disjunction() ORs the unit matches with them.
    for ident in SSHD_IDENTIFIERS:
        reader.add_match(SYSLOG_IDENTIFIER=ident)
    reader.add_disjunction()
    for unit in units:
        reader.add_match(_SYSTEMD_UNIT=unit)


def _sshd_units(unique: Sequence[str]) -> list[str]:
    """The sshd units: the service names plus the socket-activated instances present."""
    return list(SSHD_UNITS) + sorted(u for u in unique if u not in SSHD_UNITS and is_sshd_unit(u))


def _first(value: bytes | list[bytes] | None) -> bytes | None:
    """A field's value; the first one when the field occurs more than once."""
    if isinstance(value, list):
        return value[0] if value else b""
    return value


def _binding_record(raw: dict[str, Any], usec: int, cursor: str, source: str, line: int) -> Record:
    """A record straight from the binding's raw fields (bytes), decoded with replacement."""
    get = raw.get
    message = (_first(get("MESSAGE")) or b"").decode("utf-8", "replace")
    if "\x00" in message:
        message = message.replace("\x00", "")
    pid = _first(get("_PID"))
    if pid is None or not pid.isdigit():
        pid = _first(get("SYSLOG_PID"))
    program = _first(get("SYSLOG_IDENTIFIER")) or _first(get("_COMM")) or b""
    host = _first(get("_HOSTNAME"))
    priority = _first(get("PRIORITY"))
    trusted = {
        k: v.decode("utf-8", "replace")
        for k in ("SYSLOG_IDENTIFIER", "_COMM", "_EXE", "_UID", "_SYSTEMD_UNIT")
        if (v := _first(get(k))) is not None
    }
    forged = forged_by(trusted)
    ts = usec_to_datetime(usec) if MIN_USEC <= usec < MAX_USEC else None
    return Record(
        ts=ts,
        host=host.decode("utf-8", "replace") if host else None,
        program=program.decode("utf-8", "replace"),
        pid=bounded_int(pid.decode("ascii", "replace"), MAX_PID) if pid else None,
        message=message.rstrip("\n"),
        source=source,
        line=line,
        cursor=cursor,
        priority=int(priority) if priority and priority.isdigit() and len(priority) < 3 else None,
        flaws=(forged,) if forged else (),
        stamp=journal_stamp(ts),
    )


def _read_binding(
    journal: ModuleType, path: str, target: _Target, options: ReadOptions, after: str | None
) -> Iterator[Record]:
    try:
        reader = _open_reader(journal, target)
    except PermissionError:
        raise SourceError(path, "permission denied", PERMISSION_HINT) from None
    except OSError as exc:
        raise SourceError(
            path,
            f"cannot open the journal ({exc.strerror or exc})",
            "the journal file may be corrupt; try `journalctl --verify`",
        ) from None
    source = LOCAL if target.kind == "local" else path
    since = datetime_to_usec(options.since) if options.since is not None else None
    until = datetime_to_usec(options.until) if options.until is not None else None
    with reader:
        units = [
            u.decode("utf-8", "replace") if isinstance(u, bytes) else str(u)
            for u in reader.query_unique("_SYSTEMD_UNIT")
        ]
        _add_matches(reader, _sshd_units(units))
        pending = False
        if after is not None:
            try:
                reader.seek_cursor(after)
            except (ValueError, OSError):
                raise SourceError(
                    path,
                    f"invalid journal cursor {after!r}",
                    "the saved position is damaged: start a fresh ingest",
                ) from None
            # seek_cursor lands on the saved entry itself: skip it. If that entry is gone
            # (vacuumed), the entry we landed on is the first new one: keep it.
            pending = bool(reader._next()) and not reader.test_cursor(after)
        elif since is not None:
            reader.seek_realtime(since)
        else:
            reader.seek_head()
        get_all, realtime, cursor = reader._get_all, reader._get_realtime, reader._get_cursor
        line = 0
        boots = BootWatch()
        while pending or reader._next():
            pending = False
            usec = realtime()
            if until is not None and usec > until:
                break
            if since is not None and usec < since:
                continue
            line += 1
            raw = get_all()
            record = _binding_record(raw, usec, cursor(), source, line)
            boot = _first(raw.get("_BOOT_ID"))
            marker = boots.marker(boot.decode("ascii", "replace") if boot else None, record)
            if marker is not None:
                yield marker
            yield record


# --- journalctl fallback ------------------------------------------------------------------


def _target_args(target: _Target) -> list[str]:
    if target.kind == "dir":
        return ["-D", target.paths[0]]
    args: list[str] = []
    for f in target.paths:
        args += ["--file", f]
    return args


def _journalctl_units(exe: str, target: _Target) -> list[str]:
    done = subprocess.run(
        [exe, *_target_args(target), "-F", "_SYSTEMD_UNIT"], capture_output=True, check=False
    )
    return done.stdout.decode("utf-8", "replace").split() if done.returncode == 0 else []


def journalctl_command(
    exe: str,
    target_args: Sequence[str],
    options: ReadOptions,
    after: str | None,
    units: Sequence[str],
) -> list[str]:
    """The ``journalctl -o json`` command line that lists sshd's entries."""
    cmd = [
        exe,
        *target_args,
        "--no-pager",
        "-o",
        "json",
        "--output-fields=" + ",".join(RECORD_FIELDS),
    ]
    if after is not None:
        cmd.append("--after-cursor=" + after)
    if options.since is not None:
        cmd.append(f"--since=@{datetime_to_usec(options.since) / 1e6:.6f}")
    if options.until is not None:
        cmd.append(f"--until=@{datetime_to_usec(options.until) / 1e6:.6f}")
    cmd += [f"SYSLOG_IDENTIFIER={i}" for i in SSHD_IDENTIFIERS]
    cmd.append("+")
    cmd += [f"_SYSTEMD_UNIT={u}" for u in _sshd_units(units)]
    return cmd


def _read_journalctl(
    exe: str, path: str, target: _Target, options: ReadOptions, after: str | None
) -> Iterator[Record]:
    cmd = journalctl_command(
        exe, _target_args(target), options, after, _journalctl_units(exe, target)
    )
    source = LOCAL if target.kind == "local" else path
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        try:
            entries = json_entries(proc.stdout, source)
            # journalctl applied the matches and the window; select_records re-checks them.
            # Its "no entries" error is replaced by _require_entries' own.
            yield from select_records(entries, source, options, path)
        except SourceError as exc:
            if not exc.reason.startswith(NO_SSHD_ENTRIES):
                raise
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
        if proc.returncode not in (0, -9):
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip().splitlines()
            raise SourceError(
                path,
                f"journalctl failed: {text[-1] if text else proc.returncode}",
                "check the path; `journalctl --verify` checks journal files",
            )
