"""One ingest run: read what is new in each source into the store, in one transaction.

Readers -> classify -> sessionize as in every run; what this module adds is *where to
start*: each source's stored read position (:mod:`logsleuth.positions`; the journal's
cursor), the sessionizer's live state from the previous run (so a connection opened in
one run and closed in the next is one connection), and the rotated files a stream moved
to since the last run. Finished connections stream to the store as they settle; the
positions, the live state and the run's row are written at the end, and the whole run
commits at once: a run killed half-way leaves the database as it was.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from logsleuth.catalogue import Catalogue
from logsleuth.classify import (
    HOST_PROGRAMS,
    SSH_CLIENT_PROGRAMS,
    SSH_PROGRAMS,
    Classifier,
    classify_host_record,
    shape_of,
)
from logsleuth.collector import tuned_collector
from logsleuth.errors import SourceError
from logsleuth.event_rows import EventLog
from logsleuth.hostfacts import FactCollector
from logsleuth.keys import with_stable_id
from logsleuth.limits import MAX_MESSAGE
from logsleuth.model import Connection, Record, SourceInfo, UnmatchedShape
from logsleuth.positions import FileState, Position, Tail, file_state, same_stream, unchanged
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.sources import Source, label_of, order_rotated, rotation_key
from logsleuth.readers.syslog import YearGuess, read_syslog_lines
from logsleuth.session_state import dump_state, load_state
from logsleuth.sessionize import Sessionizer
from logsleuth.store import RunRecord, Store

MAX_SHAPES = 5000
#: With a time window, how far before ``since`` the system journal is read, so that
#: connections begun before the window are whole (files are always read whole). A
#: connection older than this shows up as begun before the log.
JOURNAL_MARGIN = timedelta(days=7)
#: Finished connections written to the store at a time. Each waits in memory as Python
#: objects (~2 KB with its evidence): 20,000 of them held ~50 MB more at the peak than
#: 4,000, for no gain in speed (a bulk load costs ~1 ms plus its rows).
BATCH = 4_000
#: A file not written for this long is not in the middle of a line.
SETTLED_NS = 10 * 1_000_000_000


@dataclass
class Unmatched:
    """Unmatched ssh messages counted by shape (bounded: rare shapes beyond the cap are
    counted together)."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    other: int = 0
    firsts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Where each shape's example was read: (source number in the run, line)."""

    def add(self, message: str, where: tuple[int, int] = (0, 0)) -> None:
        """Count one unmatched message, read at ``where`` (source number, line)."""
        shape = shape_of(message)
        if shape in self.counts or len(self.counts) < MAX_SHAPES:
            self.counts[shape] += 1
            if shape not in self.examples:
                self.examples[shape] = message[:MAX_MESSAGE]  # bounded per shape
                self.firsts[shape] = where
        else:
            self.other += 1

    def merge(self, other: Unmatched) -> None:
        """Add the counts of another part of the same sources (another process's hosts).

        Each shape keeps the example read first; past the cap, the shapes read first
        are kept. A shape one part kept and the other had to count with the rest (only
        when both saw more than :data:`MAX_SHAPES` shapes) keeps only the first part's
        count: the total is right either way.
        """
        shapes = {*self.counts, *other.counts}
        first = {s: min(self.firsts.get(s, _LAST), other.firsts.get(s, _LAST)) for s in shapes}
        order = sorted(shapes, key=first.__getitem__)
        kept, rest = order[:MAX_SHAPES], order[MAX_SHAPES:]
        counts: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for s in kept:
            counts[s] = self.counts.get(s, 0) + other.counts.get(s, 0)
            mine = self.firsts.get(s, _LAST) <= other.firsts.get(s, _LAST)
            examples[s] = self.examples[s] if mine else other.examples[s]
        self.other += other.other + sum(self.counts[s] + other.counts[s] for s in rest)
        self.counts, self.examples = counts, examples
        self.firsts = {s: first[s] for s in kept}

    def shapes(self) -> list[UnmatchedShape]:
        """Every shape with its count and an example."""
        out = [UnmatchedShape(s, n, self.examples[s]) for s, n in self.counts.items()]
        if self.other:
            out.append(UnmatchedShape("(other shapes)", self.other, ""))
        return out


_LAST = (1 << 62, 1 << 62)


@dataclass
class Tally:
    """What reading one source counted (merged across the processes of a split scan)."""

    lines: int = 0
    """Every line read (each process reads them all: counted once)."""
    ssh: int = 0
    """ssh lines in the window."""
    matched: int = 0
    flawed: int = 0
    forged: int = 0
    total: int = 0
    """ssh lines, in the window or not."""
    first: datetime | None = None
    last: datetime | None = None
    forger: tuple[int, str] | None = None
    """The first forged line: its line number and program."""
    flaws: set[str] = field(default_factory=set)
    error: SourceError | None = None

    def merge(self, other: Tally) -> None:
        """Add another process's counts of the same source (other hosts' lines)."""
        self.ssh += other.ssh
        self.matched += other.matched
        self.flawed += other.flawed
        self.forged += other.forged
        self.total += other.total
        for ts in (other.first, other.last):
            if ts is not None:
                self.first = ts if self.first is None or ts < self.first else self.first
                self.last = ts if self.last is None or ts > self.last else self.last
        if other.forger is not None and (self.forger is None or other.forger < self.forger):
            self.forger = other.forger
        self.flaws |= other.flaws
        if self.error is None:
            self.error = other.error


class Sink(Protocol):
    """Where a run's settled connections go, and what it continues from: a
    :class:`Store`, or a split scan's second process's spool (which continues nothing)."""

    def positions(self) -> list[Position]:
        """Each stream's read position from earlier runs."""
        ...

    def live_state(self) -> bytes | None:
        """The sessionizer state an earlier run left, if any."""
        ...

    def facts_state(self) -> bytes | None:
        """The host facts an earlier run left, if any."""
        ...

    def add_connections(self, conns: Iterable[Connection]) -> int:
        """Keep finished connections; how many."""
        ...


@dataclass
class PartResult:
    """What a split scan's other process read: its hosts' counts, unmatched lines, host
    facts and the connections still open at the end (its settled connections went to
    its spool)."""

    tallies: list[Tally]
    unmatched: Unmatched
    facts: bytes | None
    pending: list[Connection]
    stored: int


@dataclass
class _Plan:
    """One source of this run and where to start reading it."""

    source: Source
    pos: Position | None = None
    state: FileState | None = None
    skip: bool = False
    note: str | None = None


def _in_window(rec: Record, since: datetime | None, until: datetime | None) -> bool:
    if rec.ts is None:
        return True
    return not ((since and rec.ts < since) or (until and rec.ts > until))


class IngestRun:
    """Reads sources into a store; one instance per run."""

    def __init__(
        self,
        store: Sink,
        cat: Catalogue,
        options: ReadOptions,
        *,
        new_sessionizer: Callable[[], Sessionizer],
        whole_lines: bool = True,
        follow_rotation: bool = True,
        window: tuple[datetime | None, datetime | None] = (None, None),
        facts: FactCollector | None = None,
        progress: Callable[[str, int], None] | None = None,
        events: bool = True,
        owns: Callable[[str | None], bool] | None = None,
    ) -> None:
        """``whole_lines``: leave a last line without its newline for the next run (files
        that may still be written); ``follow_rotation``: look for rotated siblings of
        streams not among the sources; ``window``: (since, until) of a report: every line
        is still sessionized (so connections are whole), the counts are the window's;
        ``events``: keep every ssh line read in the ``events`` table; ``owns(host)``:
        whether a host's lines are this process's (a split scan; default: every host)."""
        self.sink, self.cat, self.options = store, cat, options
        self.store = store if isinstance(store, Store) else None
        self.owns = owns
        self.tallies: list[tuple[_Plan, Tally]] = []
        #: Connections still open at the end of a split scan's other processes, ended
        #: there: the report adds them to those of this run's live state.
        self.extra_pending: list[Connection] = []
        self.classifier = Classifier(cat, options.plain)
        self.window = window
        self.whole_lines, self.follow_rotation = whole_lines, follow_rotation
        self.positions = {p.stream: p for p in store.positions()}
        self._next_stream = max(self.positions, default=0) + 1
        state = store.live_state()
        self._fresh = new_sessionizer
        self.sess = load_state(state, new_sessionizer()) if state is not None else new_sessionizer()
        self.sess.stable_ids = True  # what with_stable_id gives, without a copy of each
        self.unmatched = Unmatched()
        self.infos: list[SourceInfo] = []
        self.lines = self.ssh = self.stored = 0
        #: Connections still open (or not yet settled) at the end of the run, kept in the
        #: live state for the next run; counted only for a database that outlives the run.
        self.pending = 0
        self._batch: list[Connection] = []
        self.events = (
            EventLog(self.store, self.sess, self.store.new_run_id())
            if events and self.store is not None
            else None
        )
        # What each host's own lines say about it (release, systemd, sshd's counts),
        # continued from what earlier runs into this store gathered.
        self.facts, self.progress = facts, progress
        saved_facts = store.facts_state()
        if facts is not None and saved_facts is not None:
            facts.restore_state(saved_facts)

    # -- planning ---------------------------------------------------------------------
    def _match(self, state: FileState, taken: set[int]) -> Position | None:
        best = None
        for p in self.positions.values():
            if p.stream in taken or p.cursor is not None or not same_stream(state.head, p.head):
                continue
            if best is None or (p.device, p.inode) == (state.device, state.inode):
                best = p
        return best

    def _plans(self, sources: Sequence[Source]) -> list[_Plan]:
        plans: list[_Plan] = []
        taken: set[int] = set()
        for src in sources:
            plan = _Plan(src)
            if src.reader == "journald":
                plan.pos = next(
                    (
                        p
                        for p in self.positions.values()
                        if p.cursor is not None and p.path == label_of(src.path)
                    ),
                    None,
                )
            elif src.path != "-":
                try:
                    plan.state = file_state(src.path)
                except OSError:
                    plan.state = None  # the reader reports why it cannot be read
                if plan.state is not None:
                    plan.pos = self._match(plan.state, taken)
                    if plan.pos is not None and unchanged(plan.state, plan.pos):
                        plan.skip = True
            if plan.pos is not None:
                taken.add(plan.pos.stream)
            plans.append(plan)
        if self.follow_rotation:
            plans.extend(self._rotated(sources, taken))
        by_path = {p.source.path: p for p in plans}
        return [by_path[s.path] for s in order_rotated([p.source for p in plans])]

    def _rotated(self, sources: Sequence[Source], taken: set[int]) -> Iterator[_Plan]:
        """Streams read before but not among the sources: where rotation moved them."""
        given = {os.path.abspath(s.path) for s in sources if s.path != "-"}
        for p in list(self.positions.values()):
            if p.stream in taken or p.cursor is not None or p.path == "-":
                continue
            folder, name = os.path.split(os.path.abspath(p.path))
            base = rotation_key(p.path)[0][1]
            try:
                names = os.listdir(folder or ".")
            except OSError:
                continue
            for other in sorted(names):
                path = os.path.join(folder, other)
                if path in given or other == name or not other.startswith(base):
                    continue
                try:
                    state = file_state(path)
                except OSError:
                    continue
                if state is not None and same_stream(state.head, p.head):
                    taken.add(p.stream)
                    yield _Plan(
                        Source(path, p.reader),
                        p,
                        state,
                        skip=unchanged(state, p),
                        note=f"rotated from {p.path}: read on from where it stopped",
                    )
                    break

    # -- reading ----------------------------------------------------------------------
    def _records(self, plan: _Plan, counter: list[int]) -> tuple[Iterator[Record], object]:
        """The plan's records from its start, and the object whose offset advances; a
        file name that is not valid UTF-8 is replaced by its label in every record."""
        recs, tail = self._raw_records(plan, counter)
        label = label_of(plan.source.path)
        if label != plan.source.path:
            recs = (replace(r, source=label) for r in recs)
        return recs, tail

    def _raw_records(self, plan: _Plan, counter: list[int]) -> tuple[Iterator[Record], object]:
        src, pos = plan.source, plan.pos
        if src.reader == "journald" and pos is not None and pos.cursor:
            reader = READERS["journald"]()
            read_after = getattr(reader, "read_after")  # noqa: B009 (journald only)
            return read_after(src.path, pos.cursor, self.options), None
        if src.reader == "syslog" and src.path != "-" and plan.state is not None:
            start = pos.offset if pos is not None else 0
            if not plan.state.compressed and start > plan.state.size:
                start = 0  # truncated and written again under the same head
            base = pos.lines if pos is not None and start else 0
            # A last line without its newline is held back while the file may still be
            # written; a file left alone for a while ends in a whole line that lacks it.
            settled = time.time_ns() - plan.state.mtime_ns > SETTLED_NS
            tail = Tail(
                src.path,
                start,
                compressed=plan.state.compressed,
                whole_lines=self.whole_lines and not settled,
            )
            recs = read_syslog_lines(
                tail, src.path, self.options, YearGuess.of(src.path, self.options), base + 1
            )
            counter[0] = base
            return recs, tail
        options = self.options
        if src.reader == "journald" and self.window[0] is not None:
            options = replace(options, since=self.window[0] - JOURNAL_MARGIN)
        recs = READERS[src.reader]().read(src.path, options)
        if pos is not None and pos.lines:
            skip = pos.lines
            counter[0] = skip
            recs = (r for r in recs if r.line > skip)
        return recs, None

    def _emit(self, conns: Iterable[Connection]) -> None:
        self._batch.extend(conns)  # with their stable ids (``stable_ids``)
        if len(self._batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the connections finished so far."""
        if self._batch:
            self.stored += self.sink.add_connections(self._batch)
            self._batch.clear()

    def read(self, plan: _Plan) -> None:
        """Read one source to its end (or its first error)."""
        src = plan.source
        tally = Tally()
        lines = ssh = matched = flawed = forged = total = 0
        first: datetime | None = None
        last: datetime | None = None
        forger: tuple[int, str] | None = None
        flaws = tally.flaws
        counter = [0]
        tail: object = None
        last_cursor: str | None = plan.pos.cursor if plan.pos else None
        since, until = self.window
        cat, sess, unmatched = self.cat, self.sess, self.unmatched
        facts, progress = self.facts, self.progress
        event_log = self.events
        journal = src.reader.startswith("journal")
        plain = self.options.plain
        classify = self.classifier.classify
        owns = self.owns
        number = len(self.tallies)
        try:
            if not plan.skip:
                recs, tail = self._records(plan, counter)
                for rec in recs:
                    lines += 1
                    if rec.cursor is not None:
                        last_cursor = rec.cursor
                    if progress is not None and not lines & 0xFFFF:
                        progress(label_of(src.path), lines)
                    if owns is not None and not owns(rec.host):
                        continue  # another process's host (a split scan)
                    if rec.flaws:
                        if rec.flaws[0].startswith("forged"):
                            # Tagged sshd by another program: counted and shown, never used.
                            forged += 1
                            if forger is None:
                                forger = (rec.line, rec.flaws[0].removeprefix("forged: "))
                            continue
                        flawed += 1
                        flaws.update(rec.flaws)
                    prog = rec.program
                    if prog in HOST_PROGRAMS:  # reboots and boot markers end what they killed
                        host_ev = classify_host_record(rec, cat, plain)
                        if host_ev is not None:
                            self._emit(sess.feed(host_ev))
                        if facts is not None:
                            facts.record(rec)
                        continue
                    client = prog in SSH_CLIENT_PROGRAMS
                    if prog not in SSH_PROGRAMS and not client:
                        if facts is not None:
                            facts.record(rec)
                        continue
                    total += 1
                    ts = rec.ts
                    if ts is not None:
                        first = ts if first is None or ts < first else first
                        last = ts if last is None or ts > last else last
                    if facts is not None and journal:
                        facts.source(rec.host, src.reader)
                    ev = classify(rec, "client" if client else "server")
                    if ev.record.flaws is not rec.flaws:
                        flawed += 0 if rec.flaws else 1
                        flaws.update(ev.record.flaws[len(rec.flaws) :])
                    # Every line is sessionized; only the window's lines are counted.
                    if not (since or until) or _in_window(rec, since, until):
                        ssh += 1
                        if ev.pattern_id is None:
                            unmatched.add(rec.message, (number, rec.line))
                        else:
                            matched += 1
                    if client:
                        sess.feed_outbound(ev)
                    else:
                        if facts is not None:
                            facts.event(ev)
                        done = sess.feed(ev)
                        if done:  # most lines settle no connection
                            self._emit(done)
                    if event_log is not None:
                        event_log.add(ev, sess.last_conn)
        except SourceError as exc:
            tally.error = exc
        tally.lines, tally.ssh, tally.matched, tally.total = lines, ssh, matched, total
        tally.flawed, tally.forged, tally.forger = flawed, forged, forger
        tally.first, tally.last = first, last
        self.tallies.append((plan, tally))
        self._remember(plan, counter[0] + lines, tail, last_cursor)

    def _info(self, plan: _Plan, tally: Tally) -> SourceInfo:
        """What one source gave, as the report shows it."""
        src, err = plan.source, tally.error
        lines, ssh, total = tally.lines, tally.ssh, tally.total
        note = plan.note or src.note
        if err is None and lines == 0:
            note = (
                "no new lines since the last run"
                if plan.pos is not None
                else ("empty: nothing to read")
            )
        elif err is None and total == 0:
            note = "no ssh lines in this source"
        elif err is None and ssh == 0:
            note = _window_note(src, total, *self.window, tally.first, tally.last)
        if tally.flawed:
            left_out = (
                f"{tally.flawed} line(s) with values out of range "
                f"({', '.join(sorted(tally.flaws))}): those values were left out"
            )
            note = f"{note}; {left_out}" if note else left_out
        if tally.forged:
            forger = tally.forger[1] if tally.forger else None
            forged_note = (
                f"{tally.forged} forged sshd entries (tagged sshd by another program, first "
                f"{forger}): not used"
            )
            note = f"{note}; {forged_note}" if note else forged_note
        return SourceInfo(
            label_of(src.path),
            src.reader,
            lines,
            ssh,
            tally.matched,
            ssh - tally.matched,
            err.reason if err else None,
            err.hint if err else None,
            note,
        )

    def _remember(self, plan: _Plan, total: int, tail: object, cursor: str | None) -> None:
        src, pos = plan.source, plan.pos
        if src.path == "-":
            return
        stream = pos.stream if pos is not None else self._next_stream
        if pos is None:
            self._next_stream += 1
        if src.reader == "journald":
            if cursor is not None:
                self.positions[stream] = Position(
                    stream, label_of(src.path), src.reader, cursor=cursor
                )
            return
        state = plan.state
        if state is None:
            return
        offset = tail.offset if isinstance(tail, Tail) else (pos.offset if pos else 0)
        if not isinstance(tail, Tail) and not plan.skip:
            offset = state.size  # whole-file readers: read to the end
        self.positions[stream] = Position(
            stream,
            label_of(src.path),
            src.reader,
            state.device,
            state.inode,
            state.size,
            state.mtime_ns,
            state.head
            if len(state.head) >= len(pos.head if pos else b"")
            else pos.head
            if pos
            else state.head,
            offset,
            total if not plan.skip else (pos.lines if pos else 0),
        )

    # -- the run ----------------------------------------------------------------------
    def read_all(self, sources: Sequence[Source]) -> None:
        """Read every source (the reading part of :meth:`run`)."""
        with tuned_collector():
            for plan in self._plans(sources):
                self.read(plan)

    def part_result(self) -> PartResult:
        """A split scan's other process, after :meth:`read_all`: what it read, with its
        settled connections written and its open ones ended (as :func:`pending_connections`
        ends the main process's)."""
        self.flush()
        pending = [with_stable_id(c) for c in self.sess.finish()]
        tallies = [replace(t, error=None) for _, t in self.tallies]  # the main one has them
        facts = self.facts.export_state() if self.facts is not None else None
        return PartResult(tallies, self.unmatched, facts, pending, self.stored)

    def merge_part(self, part: PartResult, stored: int) -> None:
        """Add what another process of a split scan read (the same sources, other hosts);
        ``stored``: its settled connections, loaded into this run's store."""
        if len(part.tallies) != len(self.tallies):
            raise RuntimeError("the processes of a split scan read different sources")
        for (_, mine), theirs in zip(self.tallies, part.tallies, strict=True):
            mine.merge(theirs)
        self.unmatched.merge(part.unmatched)
        if self.facts is not None and part.facts is not None:
            self.facts.restore_state(part.facts)  # other hosts: nothing is overwritten
        self.extra_pending.extend(part.pending)
        self.stored += stored

    def run(
        self,
        sources: Sequence[Source],
        errors: Sequence[SourceError],
        parts: Callable[[IngestRun], None] | None = None,
    ) -> RunRecord:
        """Read every source, store what settled, save positions and state; not committed.

        ``parts``: called after this process read its hosts, to merge what the other
        processes of a split scan read (:meth:`merge_part`)."""
        store = self.store
        if store is None:
            raise TypeError("a run without a store only reads (read_all, part_result)")
        started = datetime.now(UTC)
        infos: list[SourceInfo] = []
        for err in errors:
            if self.whole_lines and err.reason.startswith("empty"):
                # Just rotated, most often: flagged as silent in reports, not a failed run.
                infos.append(SourceInfo(label_of(err.path), "-", note=err.reason))
            else:
                infos.append(SourceInfo(label_of(err.path), "-", error=err.reason, hint=err.hint))
        try:
            self.read_all(sources)
        except BaseException:
            if self.events is not None:
                self.events.discard()  # the staged lines of a run that will not commit
            raise
        if parts is not None:
            parts(self)
        self.flush()
        if self.events is not None:
            self.events.finish()
        for plan, tally in self.tallies:
            self.lines += tally.lines
            self.ssh += tally.ssh
            infos.append(self._info(plan, tally))
        self.infos.extend(infos)
        run = store.new_run_id()
        for info in self.infos:
            store.add_source(info, run)
        store.add_unmatched(self.unmatched.shapes(), run)
        store.save_positions(list(self.positions.values()), run)
        state = dump_state(self.sess)
        store.save_live_state(state, run)
        if self.facts is not None:
            store.save_facts_state(self.facts.export_state(), run)
        if self.whole_lines:  # a database that outlives the run: queries see open ones too
            # What `report` computes from the state just saved (a restored copy, ended):
            # this run's sessionizer ends the same connections the same way, and the
            # run is over, so it ends them itself instead of restoring that copy.
            pending = [with_stable_id(c) for c in self.sess.finish()]
            store.save_open_connections(pending)
            self.pending = len(pending)
        record = RunRecord(
            run,
            started,
            datetime.now(UTC),
            self.lines,
            self.ssh,
            self.stored,
        )
        store.add_run(record)
        return record


def _stamp(ts: datetime) -> str:
    if ts.tzinfo is None:
        return ts.strftime("%Y-%m-%d %H:%M:%S")
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _window_note(
    src: Source,
    total: int,
    since: datetime | None,
    until: datetime | None,
    first: datetime | None,
    last: datetime | None,
) -> str:
    """What a source holds when none of its ssh lines fall in the window."""
    parts = []
    if since is not None:
        parts.append(f"--since {_stamp(since)}")
    if until is not None:
        parts.append(f"--until {_stamp(until)}")
    covers = ""
    if first is not None and last is not None:
        kind = "journal" if src.reader.startswith("journal") else "file"
        covers = f" (the {kind} covers {_stamp(first)} to {_stamp(last)})"
    return f"0 of {total} ssh lines fall in {' '.join(parts)}{covers}"


def pending_connections(
    store: Store, new_sessionizer: Callable[[], Sessionizer] = Sessionizer
) -> list[Connection]:
    """Connections still held by the stored live state, with end-of-input verdicts.

    Computed at report time from a copy of the state: the stored state is unchanged, so
    the next ingest continues those connections where they are.
    """
    state = store.live_state()
    if state is None:
        return []
    return [with_stable_id(c) for c in load_state(state, new_sessionizer()).finish()]
