"""A split scan: other processes read the same sources and each takes some of the hosts.

A connection never spans hosts: each host's lines are sessionized on their own, so a
scan of a log with several hosts (a log server's, a fleet's) can be shared out by host.
Every process reads every line (the header says whose it is) and keeps its own hosts.
The hosts of samples of each file are given out before the processes start
(:func:`plan_hosts`); a host the samples missed goes to the process that has taken the
fewest lines so far, and since every process reads the same records in the same order,
each works that out the same without talking to the others. A helper process writes the
connections that
settle as the store's load lines into a spool folder, and hands back its counts,
unmatched lines, host facts and the connections still open at its end; the main process
loads and merges them into its own run before the report, which is then built once, as
for a scan in one process. The report is the same either way (``tests/test_split.py``).

Helpers are forked before the main process opens its database, so that no DuckDB
thread exists when they start; they never open one.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from logsleuth.classify import SSH_CLIENT_PROGRAMS, SSH_PROGRAMS
from logsleuth.errors import LogsleuthError
from logsleuth.model import Connection
from logsleuth.positions import Position
from logsleuth.readers.sources import Source
from logsleuth.readers.syslog_header import parse_fields
from logsleuth.sessionize import NO_HOST
from logsleuth.store_columns import connection_line, write_lines

if TYPE_CHECKING:
    from logsleuth.ingest import IngestRun, PartResult
    from logsleuth.store import Store

MAX_JOBS = 8
"""The most processes a scan is split into."""
MIN_BYTES = 16 << 20
"""Inputs smaller than this (about 150,000 lines) are scanned in one process unless told
otherwise: a helper costs a fork, its memory and a merge, and pays only on a few seconds
of work."""
PACKED = (".gz", ".bz2", ".xz")
PACKING = 10
"""About how much a compressed log expands (the size a split is decided on)."""

_SSH = SSH_PROGRAMS | SSH_CLIENT_PROGRAMS
#: Host names that the sessionizer or the host facts file under one key: one process.
_SAME_HOST: dict[str | None, str | None] = {"-": None, NO_HOST: None}


class HostSplit:
    """Which of ``parts`` processes takes each host, as seen from process ``mine``."""

    def __init__(self, parts: int, mine: int, plan: Mapping[str | None, int] | None = None) -> None:
        """``parts`` processes in all; this one is number ``mine`` (0: the main one);
        ``plan``: hosts already given out (:func:`plan_hosts`), the same in every process."""
        if not 0 <= mine < parts:
            raise ValueError(f"process {mine} of {parts}")
        self._parts, self._mine = parts, mine
        self._owner: dict[str | None, int] = dict(plan or {})
        self._lines = [0] * parts

    def owns(self, host: str | None) -> bool:
        """Whether this process takes the line of ``host`` (called once per line, in
        read order: a host the plan did not give out goes to the process that has taken
        the fewest lines so far)."""
        owner = self._owner.get(host)
        if owner is None:
            key = _SAME_HOST.get(host, host)
            owner = self._owner.get(key)
            if owner is None:
                lines = self._lines
                owner = lines.index(min(lines))
                self._owner[key] = owner
            self._owner[host] = owner
        self._lines[owner] += 1
        return owner == self._mine


SAMPLES = 16
"""Places in a log file where :func:`plan_hosts` reads a window of lines."""
SAMPLE_BYTES = 1 << 17
"""Bytes read at each place."""
MAIN_SHARE = 0.75
"""The main process's share of ssh lines, relative to a helper's: it also loads every
helper's connections into the store (while the helpers still read, when it is done
first) before the report."""
WAIT = 0.05
"""Seconds the main process waits for a helper's result between two looks at its spool."""


def choose(sources: Sequence[Source], jobs: int | None) -> tuple[int, dict[str | None, int]]:
    """How many processes (:func:`jobs_for`) and which takes which sampled host
    (:func:`plan_hosts`). Unless ``jobs`` is given, a log whose every source was sampled
    and showed one host is read in one process: a helper would only read it again."""
    parts = jobs_for(sources, jobs)
    if parts == 1:
        return 1, {}
    plan = plan_hosts(sources, parts)
    if jobs is None and len(plan) < 2 and all(map(_sampled, sources)):
        return 1, {}
    return parts, plan


def _sampled(source: Source) -> bool:
    return source.reader == "syslog" and not source.path.endswith(PACKED)


def plan_hosts(sources: Sequence[Source], parts: int) -> dict[str | None, int]:
    """Give out the hosts of the sources' sampled lines, largest first, each to the
    process with the least work (ssh lines; others' lines cost almost nothing to skip).

    Uncompressed syslog files are sampled at :data:`SAMPLES` places; hosts of other
    sources, and hosts the samples missed, are given out as they come (``HostSplit``).
    """
    weight: dict[str | None, float] = {}
    for source in sources:
        for line in _sampled_lines(source):
            f = parse_fields(line, 2000)
            if f is not None:
                key = _SAME_HOST.get(f[1], f[1])
                weight[key] = weight.get(key, 0.0) + (1.0 if f[2] in _SSH else 0.02)
    loads = [0.0] * parts
    plan: dict[str | None, int] = {}
    for host, w in sorted(weight.items(), key=lambda hw: (-hw[1], str(hw[0]))):
        costs = [(loads[k] + w) / (MAIN_SHARE if k == 0 else 1.0) for k in range(parts)]
        k = costs.index(min(costs))
        loads[k] += w
        plan[host] = k
    return plan


def _sampled_lines(source: Source) -> Iterator[str]:
    if source.reader != "syslog":
        return
    try:
        with open(source.path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if fh.read(6).startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
                return  # compressed: given out as the hosts come
            places = SAMPLES if size > SAMPLES * SAMPLE_BYTES else 1
            for n in range(places):
                at = size * n // places
                fh.seek(at)
                chunk = fh.read(SAMPLE_BYTES if places > 1 else SAMPLES * SAMPLE_BYTES)
                lines = chunk.split(b"\n")
                for raw in lines[1 if at else 0 : -1]:  # whole lines only
                    yield raw.decode("utf-8", "replace")
    except OSError:
        return


class Spool:
    """A helper's store: settled connections, as the store's load lines, in numbered
    files of ``folder`` (written under a temporary name, then renamed)."""

    def __init__(self, folder: str) -> None:
        """Write into ``folder`` (which exists)."""
        self.folder = folder
        self.files: list[str] = []

    def positions(self) -> list[Position]:
        """A scan continues from nothing."""
        return []

    def live_state(self) -> bytes | None:
        """A scan continues from nothing."""
        return None

    def facts_state(self) -> bytes | None:
        """A scan continues from nothing."""
        return None

    def add_connections(self, conns: Iterable[Connection]) -> int:
        """Write a batch of settled connections to a new file; how many."""
        path = os.path.join(self.folder, f"{len(self.files):06d}.ndjson")
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            n = write_lines(fh, map(connection_line, conns))
        os.rename(path + ".tmp", path)
        self.files.append(path)
        return n


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def jobs_for(sources: Sequence[Source], jobs: int | None) -> int:
    """How many processes to scan ``sources`` with: ``jobs`` when given (1: no split),
    else 2 for logs of :data:`MIN_BYTES` or more on a machine with 2 CPUs or more of which
    at least one is idle (by the load average), in a program with no other thread.

    Standard input is read once, so it is never split; nor, unless asked, is the local
    journal, which grows while it is read (each process would read to another end).
    """
    if any(s.path == "-" for s in sources):
        return 1
    if jobs is not None:
        return max(1, min(jobs, MAX_JOBS))
    cpus = usable_cpus()
    if cpus < 2 or any(s.reader == "journald" and s.path == "journal" for s in sources):
        return 1
    if threading.active_count() > 1:
        return 1  # a fork copies only this thread: leave programs with threads alone
    if _load() > cpus - 1:
        return 1  # the other CPUs are busy: a helper would only compete with the main process
    return 2 if sum(map(_size, sources)) >= MIN_BYTES else 1


def _load() -> float:
    """Processes running or waiting for a CPU, averaged over the last minute."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def _size(source: Source) -> int:
    """About how many bytes of log a source holds (a folder: its files')."""
    path = source.path
    try:
        if os.path.isdir(path):
            return sum(
                os.path.getsize(os.path.join(folder, name))
                for folder, _, names in os.walk(path)
                for name in names
            )
        return os.path.getsize(path) * (PACKING if path.endswith(PACKED) else 1)
    except OSError:
        return 0


class _Helper:
    def __init__(self, pid: int, pipe: int, folder: str) -> None:
        self.pid, self.pipe, self.folder = pid, pipe, folder
        self.pipe_open = True
        """Whether the read end of its result pipe is still ours to close."""
        self.reaped = False
        """Whether it was waited for (its pid may then belong to another process)."""


class Helpers:
    """The helper processes of one split scan (none: a scan in one process)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._helpers: list[_Helper] = []

    @property
    def parts(self) -> int:
        """Processes in all, the main one included."""
        return len(self._helpers) + 1

    def start(self, work: Callable[[int, Spool], PartResult], parts: int) -> None:
        """Fork ``parts - 1`` helpers; helper ``k`` runs ``work(k, spool)``."""
        for k in range(1, parts):
            folder = os.path.join(self.folder, f"part-{k}")
            os.mkdir(folder)
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover (runs in the helper; its results are tested)
                os.close(read_end)
                _helper_main(work, k, folder, write_end)
            os.close(write_end)
            self._helpers.append(_Helper(pid, read_end, folder))

    def merge_into(self, run: IngestRun) -> None:
        """Load each helper's connections into ``run``'s store as its spool files are
        written (while it still reads), then merge what it read into ``run``."""
        store = run.store
        if store is None:
            raise TypeError("a split scan merges into a run with a store")
        while self._helpers:
            helper = self._helpers[0]  # left in the list until done: stop() ends it
            stored = 0
            while not select.select([helper.pipe], [], [], WAIT)[0]:
                stored += _load_spool(store, helper.folder)  # the files written so far
            part = _result(helper)
            stored += _load_spool(store, helper.folder)
            self._helpers.pop(0)
            shutil.rmtree(helper.folder, ignore_errors=True)
            if stored != part.stored:
                raise LogsleuthError(
                    f"a scan helper wrote {part.stored} connections, {stored} were loaded",
                    "run again with --jobs 1",
                )
            run.merge_part(part, stored)

    def stop(self) -> None:
        """End helpers still running (the main process failed or was interrupted) and
        remove the spool."""
        for helper in self._helpers:
            if not helper.reaped:
                with contextlib.suppress(OSError):
                    os.kill(helper.pid, signal.SIGTERM)
            if helper.pipe_open:
                helper.pipe_open = False
                with contextlib.suppress(OSError):
                    os.close(helper.pipe)
            if not helper.reaped:
                helper.reaped = True
                with contextlib.suppress(OSError):
                    os.waitpid(helper.pid, 0)
        self._helpers.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def helpers(work: Callable[[int, Spool], PartResult], parts: int) -> Iterator[Helpers]:
    """Start ``parts - 1`` helper processes (none when ``parts`` is 1); they are ended
    and their spool removed when the block ends."""
    h = Helpers(tempfile.mkdtemp(prefix="logsleuth-split-"))
    try:
        if parts > 1:
            h.start(work, parts)
        yield h
    finally:
        h.stop()


def _helper_main(
    work: Callable[[int, Spool], PartResult], k: int, folder: str, pipe: int
) -> None:  # pragma: no cover (runs in the helper)
    """A helper's whole life: run, send the result (or the error), exit at once."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    status = 0
    try:
        data = pickle.dumps(("ok", work(k, Spool(folder))), pickle.HIGHEST_PROTOCOL)
    except LogsleuthError as exc:
        data = pickle.dumps(("error", str(exc)))
    except BaseException as exc:  # reported by the main process
        data = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
    try:
        with os.fdopen(pipe, "wb") as fh:
            fh.write(data)
    except BaseException:
        status = 1
    os._exit(status)  # no exit handlers: they belong to the main process


def _load_spool(store: Store, folder: str) -> int:
    """Load the spool files written whole so far (renamed from ``.tmp``), then remove them."""
    files = sorted(
        os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".ndjson")
    )
    stored = store.add_connection_files(files)
    for path in files:
        os.unlink(path)
    return stored


def _result(helper: _Helper) -> PartResult:
    """Read a helper's result (waiting for it to end) and reap it."""
    helper.pipe_open = False  # the file object closes it
    with os.fdopen(helper.pipe, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(helper.pid, 0)
    helper.reaped = True
    if not data:
        how = (
            f"killed by signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"exit status {os.waitstatus_to_exitcode(status)}"
        )
        raise LogsleuthError(
            f"a scan helper process ended without its result ({how})",
            "run again with --jobs 1 (one process; it may need more memory or time)",
        )
    message = pickle.loads(data)  # noqa: S301 (written by our own fork)
    if message[0] == "ok":
        part: PartResult = message[1]
        return part
    raise LogsleuthError(f"a scan helper process failed: {message[1]}", "run again with --jobs 1")
