"""The pipeline: readers -> classify -> sessionize -> store -> report.

``scan`` wires the stages and holds no I/O policy of its own: it never prints, and a
source that cannot be read is recorded in the report instead of stopping the run.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from logsleuth import catalogue as catalogue_mod
from logsleuth import lakestore
from logsleuth.catalogue import Catalogue
from logsleuth.classify import SSH_CLIENT_PROGRAMS, SSH_PROGRAMS, classify_record, shape_of
from logsleuth.errors import SourceError, StoreError
from logsleuth.keys import with_stable_id
from logsleuth.lakestore import ExportResult
from logsleuth.model import Connection, Record, Report, SourceInfo, UnmatchedShape
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.base import parse_zone
from logsleuth.readers.sources import Source, default_sources, expand
from logsleuth.report import build_report
from logsleuth.sessionize import Sessionizer
from logsleuth.sshd_config import load_sshd_config
from logsleuth.store import Store

MAX_SHAPES = 5000


@dataclass
class _Unmatched:
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    other: int = 0

    def add(self, message: str) -> None:
        shape = shape_of(message)
        if shape in self.counts or len(self.counts) < MAX_SHAPES:
            self.counts[shape] += 1
            self.examples.setdefault(shape, message)
        else:
            self.other += 1

    def shapes(self) -> list[UnmatchedShape]:
        out = [UnmatchedShape(s, n, self.examples[s]) for s, n in self.counts.items()]
        if self.other:
            out.append(UnmatchedShape("(other shapes)", self.other, ""))
        return out


def load_catalogue(patterns_dirs: Sequence[str] = ()) -> Catalogue:
    """The built-in catalogue plus any user pattern directories, validated."""
    return catalogue_mod.load(patterns_dirs)


def resolve_sources(
    paths: Sequence[str],
    *,
    journal: bool = False,
    journal_dirs: Sequence[str] = (),
    journal_files: Sequence[str] = (),
    reader: str = "auto",
) -> tuple[list[Source], list[SourceError]]:
    """The sources a scan reads: the paths given, the journal options, else the default.

    ``reader`` is ``auto`` (each file's format is detected from its content) or the name
    of a reader in :data:`~logsleuth.readers.READERS`, used for every path given.
    """
    sources: list[Source] = []
    errors: list[SourceError] = []
    if reader != "auto" and reader not in READERS:
        expand([], reader)  # raises the usage error that lists the readers
    if paths:
        sources, errors = expand(paths, reader)
    if journal:
        sources.append(Source("journal", "journald", "the local journal"))
    sources.extend(Source(d, "journald") for d in journal_dirs)
    sources.extend(Source(f, "journald") for f in journal_files)
    if not paths and not (journal or journal_dirs or journal_files):
        sources, errors = default_sources()
    return sources, errors


def sql(query: str, db: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a read-only query over a stored database: the column names and the rows."""
    store = Store(db, read_only=True)
    try:
        return store.run(query)
    finally:
        store.close()


def export_parquet(db: str, lake: str) -> ExportResult:
    """Append a stored database's connections (and what was read) to a Parquet lake."""
    if not os.path.isfile(db):
        raise StoreError(f"no database at {db}", "give the --db that `logsleuth ingest` writes")
    store = Store(db)
    try:
        return lakestore.export(store, lake)
    finally:
        store.close()


def report_lake(
    lake: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    sshd_config: str | None = None,
) -> Report:
    """The report over a Parquet lake's connections that started between since and until."""
    settings = load_sshd_config(sshd_config) if sshd_config else None
    store = lakestore.load(lake, since, until)
    try:
        return build_report(store, settings)
    finally:
        store.close()


def _in_window(rec: Record, since: datetime | None, until: datetime | None) -> bool:
    if rec.ts is None:
        return True
    return not ((since and rec.ts < since) or (until and rec.ts > until))


def scan(
    paths: Sequence[str] = (),
    *,
    year: int | None = None,
    patterns_dirs: Sequence[str] = (),
    catalogue: Catalogue | None = None,
    journal: bool = False,
    journal_dirs: Sequence[str] = (),
    journal_files: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    sshd_config: str | None = None,
    db: str = ":memory:",
    reader: str = "auto",
    tz: str | None = None,
) -> Report:
    """Read the sources, classify and sessionize their ssh lines, and build the report.

    ``reader`` names the format of the paths (default: detected per file); ``tz`` is the
    zone (a zoneinfo name) of times written without an offset, such as RFC 3164 lines.
    """
    zone = parse_zone(tz) if tz else None
    cat = catalogue or load_catalogue(patterns_dirs)
    settings = load_sshd_config(sshd_config) if sshd_config else None
    sources, errors = resolve_sources(
        paths,
        journal=journal,
        journal_dirs=journal_dirs,
        journal_files=journal_files,
        reader=reader,
    )
    options = ReadOptions(year=year, since=since, until=until, tz=zone)
    store = Store(db)
    try:
        for err in errors:
            store.add_source(SourceInfo(err.path, "-", error=err.reason, hint=err.hint))
        sess = (
            Sessionizer(settings.login_grace_time, grace_from_config=True)
            if settings
            else Sessionizer()
        )
        unmatched = _Unmatched()
        batch: list[Connection] = []
        for source in sources:
            stats = _SourceRun(source, cat, sess, unmatched)
            try:
                for conn in stats.run(options):
                    batch.append(with_stable_id(conn))
                    if len(batch) >= 20_000:
                        store.add_connections(batch)
                        batch.clear()
                store.add_source(stats.info())
            except SourceError as exc:
                store.add_source(stats.info(exc))
        batch.extend(map(with_stable_id, sess.finish()))
        store.add_connections(batch)
        store.add_unmatched(unmatched.shapes())
        return build_report(store, settings)
    finally:
        store.close()


class _SourceRun:
    """Reads one source through classify into the shared sessionizer, counting lines."""

    def __init__(
        self, source: Source, cat: Catalogue, sess: Sessionizer, unmatched: _Unmatched
    ) -> None:
        self.source, self.cat, self.sess, self.unmatched = source, cat, sess, unmatched
        self.lines = self.ssh = self.matched = self.flawed = self.forged = 0
        self.forger: str | None = None
        self.flaws: set[str] = set()

    def run(self, options: ReadOptions) -> Iterator[Connection]:
        """Yield the connections that settle while this source is read."""
        reader = READERS[self.source.reader]()
        cat, sess, unmatched = self.cat, self.sess, self.unmatched
        for rec in reader.read(self.source.path, options):
            self.lines += 1
            if rec.flaws:
                if rec.flaws[0].startswith("forged"):
                    # Tagged sshd by another program: counted and shown, never used.
                    self.forged += 1
                    self.forger = self.forger or rec.flaws[0].removeprefix("forged: ")
                    continue
                self._flawed(rec.flaws)
            prog = rec.program
            client = prog in SSH_CLIENT_PROGRAMS
            if prog not in SSH_PROGRAMS and not client:
                continue
            if not _in_window(rec, options.since, options.until):
                continue
            self.ssh += 1
            ev = classify_record(rec, cat, "client" if client else "server")
            if ev.record.flaws is not rec.flaws:
                self._flawed(ev.record.flaws[len(rec.flaws) :], counted=bool(rec.flaws))
            if ev.pattern_id is None:
                unmatched.add(rec.message)
            else:
                self.matched += 1
            if client:
                sess.feed_outbound(ev)
            else:
                yield from sess.feed(ev)

    def _flawed(self, names: tuple[str, ...], counted: bool = False) -> None:
        self.flawed += 0 if counted else 1
        self.flaws.update(names)

    def info(self, err: SourceError | None = None) -> SourceInfo:
        """What was read, and why reading stopped early if it did."""
        note = self.source.note
        if err is None and self.lines == 0:
            note = "empty: nothing to read"
        elif err is None and self.ssh == 0:
            note = "no ssh lines in this source"
        if self.flawed:
            left_out = (
                f"{self.flawed} line(s) with values out of range "
                f"({', '.join(sorted(self.flaws))}): those values were left out"
            )
            note = f"{note}; {left_out}" if note else left_out
        if self.forged:
            forged = (
                f"{self.forged} forged sshd entries (tagged sshd by another program, first "
                f"{self.forger}): not used"
            )
            note = f"{note}; {forged}" if note else forged
        return SourceInfo(
            self.source.path,
            self.source.reader,
            self.lines,
            self.ssh,
            self.matched,
            self.ssh - self.matched,
            err.reason if err else None,
            err.hint if err else None,
            note,
        )
