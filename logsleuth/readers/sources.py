"""Turn what a user names (files, directories, globs, ``-``) into sources to read.

Each source gets a reader (auto-detected from its first bytes by the registered readers,
never guessed silently); every problem becomes a :class:`~logsleuth.errors.SourceError`
with a hint, so that a missing, unreadable or empty log is reported, not read as "no
problems". Rotated sets are put in time order, oldest first (``auth.log.3.gz``,
``auth.log.2.gz``, ``auth.log.1``, ``auth.log``), and a file named twice is read once.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from logsleuth.errors import LogsleuthError, SourceError
from logsleuth.readers import READERS, detect
from logsleuth.readers.syslog import PERMISSION_HINT, read_head

DEFAULT_AUTH_LOGS: tuple[str, ...] = ("/var/log/auth.log", "/var/log/secure")
"""Where the system's auth log lives (Debian/Ubuntu, then RHEL/Fedora/SUSE)."""

LOG_NAME = re.compile(r"(?:auth\.log|secure|syslog|messages)(?:[.-].*)?")
"""Base names that are logs by name: read even when their first lines look odd."""

HEAD_SIZE = 65536
_COMPRESSION = re.compile(r"\.(?:gz|bz2|xz)$")
_ROTATION = re.compile(r"(?P<base>.+?)(?:\.(?P<n>\d+)|-(?P<date>\d{8}(?:\d{2})?))")
_GLOB_CHARS = re.compile(r"[*?\[]")

EMPTY_HINT = "the log may have just been rotated: read the rotated files too (e.g. auth.log.1)"
MISSING_HINT = "check the path"


@dataclass(frozen=True)
class Source:
    """One thing to read, and the reader that reads it."""

    path: str
    """A file path, or ``-`` for standard input."""
    reader: str
    """Name of the reader in :data:`logsleuth.readers.READERS`."""
    note: str | None = None
    """Anything worth telling about it (e.g. "default auth log")."""


def label_of(path: str) -> str:
    """How a path is shown and stored: the path itself, or, for a name that is not valid
    UTF-8 (the bytes Python carries as lone surrogates), the same name with each such
    byte written as ``\\xNN``. Text columns and reports hold only valid UTF-8; the file
    is still opened by its real name."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = path.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return path.encode("utf-8", "backslashreplace").decode("ascii", "replace")
        return raw.decode("utf-8", "backslashreplace")
    return path


def expand(paths: Sequence[str], reader: str = "auto") -> tuple[list[Source], list[SourceError]]:
    """The sources named by ``paths``, and the problems found with them.

    ``reader`` is ``"auto"`` (detect each file's format) or a registered reader name,
    which is then used without sniffing.
    """
    if reader != "auto" and reader not in READERS:
        raise LogsleuthError(
            f"unknown reader {reader!r}", f"choose one of: auto, {', '.join(READERS)}"
        )
    found: list[Source] = []
    errors: list[SourceError] = []
    for path in paths:
        if path == "-":
            _add(_stdin(reader), found, errors)
        elif _GLOB_CHARS.search(path) and not os.path.lexists(path):
            _expand_glob(path, reader, found, errors)
        elif os.path.isdir(path):
            _expand_dir(path, reader, found, errors)
        else:
            _add(_check_file(path, reader, strict=True), found, errors)
    return order_rotated(_dedupe(found)), errors


def default_sources(
    candidates: Sequence[str] | None = None,
) -> tuple[list[Source], list[SourceError]]:
    """The system's auth log (the first of ``candidates`` that exists), else the journal."""
    names = tuple(candidates) if candidates is not None else DEFAULT_AUTH_LOGS
    for path in names:
        if os.path.lexists(path):
            found, errors = expand([path])
            return [replace(s, note="default auth log") for s in found], errors
    fallback = journal_fallback()
    if fallback is not None:
        return [fallback], []
    return [], [
        SourceError(
            names[0] if names else "(default)",
            f"no auth log: neither {' nor '.join(names)} exists",
            "name the log files or directories to read, or --journal-dir/--journal-file "
            "for copied journal files",
        )
    ]


def journal_fallback() -> Source | None:
    """The system journal as a source when there is no auth log file; None when unavailable.

    Debian 12 and later ship without rsyslog: there the journal is the only log.
    """
    from logsleuth.readers.journald import local_journal_available

    if not local_journal_available():
        return None
    return Source("journal", "journald", "no auth.log or secure here: read the system journal")


def rotation_key(path: str) -> tuple[tuple[str, str], tuple[int, int]]:
    """(rotation set, position in it): sorting by position puts the oldest file first.

    ``auth.log.2.gz`` and ``auth.log.1`` (numbered: higher is older), ``secure-20240101``
    (dated) and ``auth.log`` (the live file, newest) share the set ``(dir, "auth.log")``.
    """
    folder, name = os.path.split(path)
    bare = _COMPRESSION.sub("", name)
    m = _ROTATION.fullmatch(bare)
    if m is None:
        return (folder, bare), (2, 0)
    if m.group("n") is not None:
        return (folder, m.group("base")), (1, -int(m.group("n")))
    return (folder, m.group("base")), (0, int(m.group("date")))


def order_rotated(sources: Sequence[Source]) -> list[Source]:
    """Put each rotated set oldest first, where the set's first member stood."""
    groups: dict[tuple[str, str], list[Source]] = {}
    for src in sources:
        key = ("", src.path) if src.path == "-" else rotation_key(src.path)[0]
        groups.setdefault(key, []).append(src)
    out: list[Source] = []
    for members in groups.values():
        members.sort(key=lambda s: rotation_key(s.path)[1] if s.path != "-" else (2, 0))
        out.extend(members)
    return out


def is_binary(head: bytes) -> bool:
    """Whether the start of a file looks like binary data rather than text."""
    sample = head[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27)) + sample.count(
        b"\x7f"
    )
    return control * 10 > len(sample)


def _add(src: Source | SourceError | None, found: list[Source], errors: list[SourceError]) -> None:
    if isinstance(src, Source):
        found.append(src)
    elif src is not None:
        errors.append(src)


def _dedupe(sources: list[Source]) -> list[Source]:
    seen: set[object] = set()
    out: list[Source] = []
    for src in sources:
        try:
            st = os.stat(src.path) if src.path != "-" else None
            ident: object = (st.st_dev, st.st_ino) if st else "-"
        except OSError:
            ident = os.path.abspath(src.path)
        if ident not in seen:
            seen.add(ident)
            out.append(src)
    return out


def _stdin(reader: str) -> Source | SourceError:
    if sys.stdin is None or sys.stdin.closed:
        return SourceError("-", "standard input is closed", "pipe a log into it")
    if reader != "auto":
        return Source("-", reader, "standard input")
    name = "syslog"
    buffer = getattr(sys.stdin, "buffer", None)
    peek = getattr(buffer, "peek", None)
    if peek is not None and not sys.stdin.isatty():
        head = peek(HEAD_SIZE)[:HEAD_SIZE]
        if head[:2] == b"\x1f\x8b":  # peek at what a compressed stream holds
            with contextlib.suppress(zlib.error):
                head = zlib.decompressobj(31).decompress(head, HEAD_SIZE)
        found = detect("-", head) if head else None
        if found is not None:
            name = found.name
    return Source("-", name, "standard input")


def _check_file(path: str, reader: str, *, strict: bool) -> Source | SourceError | None:
    """A file as a source, or why not; None for a file to skip quietly (``strict`` off)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return SourceError(path, "no such file or directory", MISSING_HINT)
    except PermissionError:
        return SourceError(path, "permission denied", PERMISSION_HINT)
    except OSError as exc:
        return SourceError(path, f"cannot open ({exc.strerror})", MISSING_HINT)
    named = LOG_NAME.fullmatch(os.path.basename(path)) is not None
    strict_named = strict  # named by the user, not found in a directory
    strict = strict or named
    if not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode) or not strict_named:
            # In a directory or a glob: a FIFO would block, a device (a link to /dev/zero)
            # never end. Skipped quietly, like any file that is not a log.
            return None
        if not stat.S_ISFIFO(st.st_mode):
            kind = "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
            return SourceError(
                path,
                f"is {kind}, not a log file",
                f"name a log file; to read it anyway: cat {path} | logsleuth scan -",
            )
        # A pipe named on purpose (e.g. `<(zcat ...)`): sniffing would consume it.
        name = "syslog" if reader == "auto" else reader
        return Source(path, name, "a stream: read without checking its format first")
    if st.st_size == 0:
        return SourceError(path, "empty: nothing to read", EMPTY_HINT) if strict else None
    try:
        head = read_head(path, HEAD_SIZE)
    except SourceError as exc:
        # Unreadable files are returned even when not strict: a directory whose files are
        # all unreadable must say so, not "no logs".
        return exc if strict or exc.reason == "permission denied" else None
    if not head:
        return SourceError(path, "empty: nothing to read", EMPTY_HINT) if strict else None
    if reader != "auto":
        if strict or READERS[reader]().sniff(path, head):
            return Source(path, reader)
        return None
    found = detect(path, head)
    if found is not None:
        return Source(path, found.name)
    if is_binary(head):
        if not strict:
            return None
        return SourceError(
            path, "binary file (not a text log)", "name a text log such as /var/log/auth.log"
        )
    if named:
        return Source(path, "syslog", "no syslog header in its first lines")
    if not strict:
        return None
    return SourceError(
        path,
        "not a recognised log: no syslog header in its first lines",
        f"check that it is a log; to read it anyway, name its format with --reader "
        f"({', '.join(READERS)})",
    )


def _expand_dir(path: str, reader: str, found: list[Source], errors: list[SourceError]) -> None:
    """The logs at the top level of a directory; other files are skipped quietly."""
    try:
        names = sorted(os.listdir(path))
    except PermissionError:
        errors.append(SourceError(path, "permission denied", PERMISSION_HINT))
        return
    except OSError as exc:
        errors.append(SourceError(path, f"cannot list ({exc.strerror})"))
        return
    before = (len(found), len(errors))
    denied = 0
    # Auth logs first, then the general logs, then whatever else sniffs as a log.
    for name in sorted(names, key=lambda n: (_rank(n), n)):
        src = _check_file(os.path.join(path, name), reader, strict=False)
        if _quiet_denial(src, name):
            denied += 1
        else:
            _add(src, found, errors)
    if (len(found), len(errors)) == before:
        errors.append(
            _nothing_read(
                path,
                denied,
                "no logs in this directory",
                "it has no auth.log*, secure*, syslog* or messages* file, nor any other "
                "file in a known log format (subdirectories are not searched)",
            )
        )


def _nothing_read(path: str, denied: int, reason: str, hint: str) -> SourceError:
    """The error for a directory or glob that yielded no source."""
    if denied:
        return SourceError(
            path, f"no readable logs: {denied} file(s) permission denied", PERMISSION_HINT
        )
    return SourceError(path, reason, hint)


def _quiet_denial(src: Source | SourceError | None, name: str) -> bool:
    """An unreadable file that is not named like a log: counted, not reported one by one."""
    return (
        isinstance(src, SourceError)
        and src.reason == "permission denied"
        and LOG_NAME.fullmatch(name) is None
    )


def _rank(name: str) -> int:
    for i, prefix in enumerate(("auth.log", "secure", "syslog", "messages")):
        if name.startswith(prefix):
            return i
    return 4


def _expand_glob(pattern: str, reader: str, found: list[Source], errors: list[SourceError]) -> None:
    matches = sorted(glob.glob(pattern))
    if not matches:
        errors.append(
            SourceError(pattern, "no file matches this pattern", "check the pattern and path")
        )
        return
    before = (len(found), len(errors))
    denied = 0
    for match in matches:
        if os.path.isdir(match):
            _expand_dir(match, reader, found, errors)
            continue
        src = _check_file(match, reader, strict=len(matches) == 1)
        if len(matches) > 1 and _quiet_denial(src, os.path.basename(match)):
            denied += 1
        else:
            _add(src, found, errors)
    if (len(found), len(errors)) == before:
        errors.append(
            _nothing_read(
                pattern,
                denied,
                f"no logs among the {len(matches)} files matching this pattern",
                "the matching files are empty, binary or not in a known log format",
            )
        )
