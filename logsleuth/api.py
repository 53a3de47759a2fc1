"""The pipeline: readers -> classify -> sessionize -> store -> report.

``ingest`` reads what is new into a database, ``report`` reads a window out of it, and
``scan`` is ingest into a temporary database followed by report: one path. None of them
prints; a source that cannot be read is recorded in the report instead of stopping the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from logsleuth import catalogue as catalogue_mod
from logsleuth.advice import advice_catalogue
from logsleuth.catalogue import Catalogue
from logsleuth.collector import tuned_collector
from logsleuth.errors import SourceError, StoreError
from logsleuth.hostfacts import FactCollector
from logsleuth.ingest import IngestRun, PartResult, pending_connections
from logsleuth.model import Connection, Coverage, Report, SourceInfo
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.base import parse_zone
from logsleuth.readers.sources import Source, default_sources, expand
from logsleuth.report import build_report
from logsleuth.sessionize import Sessionizer
from logsleuth.split import Helpers, HostSplit, Spool, choose, helpers
from logsleuth.sshd_config import SshdSettings, load_host_configs
from logsleuth.store import RunRecord, Store, Window, memory_guard

if TYPE_CHECKING:  # the lake is for `export` and `report --lake` only: imported there
    from logsleuth.lakestore import ExportResult


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
        from logsleuth import lakestore

        return lakestore.export(store, lake)
    finally:
        store.close()


def report_lake(
    lake: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    sshd_config: str | Sequence[str] | None = None,
) -> Report:
    """The report over a Parquet lake's connections that started between since and until."""
    configs, _ = _configs(sshd_config)
    from logsleuth import lakestore

    store = lakestore.load(lake, since, until)
    try:
        return build_report(store, configs)
    finally:
        store.close()


def _configs(
    sshd_config: str | Sequence[str] | None,
) -> tuple[dict[str, SshdSettings], SshdSettings | None]:
    """``--sshd-config`` (a file for every host, or ``HOST=FILE`` items) per host, and the
    one the sessionizer uses (LoginGraceTime is one value: the file for every host, or
    the only one)."""
    specs = [sshd_config] if isinstance(sshd_config, str) else list(sshd_config or ())
    configs = load_host_configs(specs)
    one = configs.get("*") or (next(iter(configs.values())) if len(configs) == 1 else None)
    return configs, one


def _sessionizer(settings: SshdSettings | None) -> Sessionizer:
    if settings is None:
        return Sessionizer()
    return Sessionizer(settings.login_grace_time, grace_from_config=True)


def default_db() -> str:
    """Where ``ingest`` and ``report`` keep their database by default.

    ``/var/lib/logsleuth/`` for root, else ``$XDG_STATE_HOME/logsleuth/`` (by default
    ``~/.local/state/logsleuth/``).
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        folder = "/var/lib/logsleuth"
    else:
        state = os.environ.get("XDG_STATE_HOME") or os.path.join(
            os.path.expanduser("~"), ".local", "state"
        )
        folder = os.path.join(state, "logsleuth")
    return os.path.join(folder, "logsleuth.duckdb")


def _open_store(db: str, wait: float) -> Store:
    """The database ``db`` names; ``:memory:`` (a scan's store) is a database file in a
    private temporary directory instead, so that DuckDB can spill to disk and memory
    stays bounded whatever the input (it is removed when closed)."""
    if db == ":memory:":
        return Store.scratch()
    folder = os.path.dirname(os.path.abspath(db))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create {folder}: {exc.strerror or exc}",
            "choose another --db, or run as a user who may write there",
        ) from None
    return Store(db, wait=wait)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest run read and stored."""

    run: RunRecord
    sources: tuple[SourceInfo, ...]
    pending: int = 0
    """Connections still open, or closed too recently to be settled, at the end of the
    run: kept for the next run, and shown by ``report`` meanwhile."""


def overlaps(conn: Connection, since: datetime | None, until: datetime | None) -> bool:
    """Whether a connection was alive at some time in the window (an open one still is);
    the same rule as the store's report window."""
    end = conn.end if conn.family != "open" else None
    if until is not None and conn.start is not None and conn.start > until:
        return False
    return not (since is not None and end is not None and end < since)


def _ingest_into(
    store: Store,
    sources: Sequence[Source],
    errors: Sequence[SourceError],
    *,
    cat: Catalogue,
    settings: SshdSettings | None,
    options: ReadOptions,
    incremental: bool,
    window: tuple[datetime | None, datetime | None] = (None, None),
    facts: FactCollector | None = None,
    progress: Callable[[str, int], None] | None = None,
    helpers: Helpers | None = None,
    plan: Mapping[str | None, int] | None = None,
) -> tuple[IngestResult, IngestRun]:
    if facts is None:
        facts = FactCollector(cat, advice_catalogue().facts)
    parts = helpers.parts if helpers is not None else 1
    run = IngestRun(
        store,
        cat,
        options,
        new_sessionizer=lambda: _sessionizer(settings),
        whole_lines=incremental,
        follow_rotation=incremental,
        window=window,
        facts=facts,
        progress=progress,
        # A scan (a temporary store) reports and forgets: only a database that outlives
        # the run keeps every line (the report never reads them).
        events=store.path != ":memory:" and not store.temporary,
        owns=HostSplit(parts, 0, plan).owns if parts > 1 else None,
    )
    record = run.run(
        sources, errors, helpers.merge_into if helpers is not None and parts > 1 else None
    )
    return IngestResult(record, tuple(run.infos), run.pending), run


def ingest(
    paths: Sequence[str] = (),
    *,
    db: str | None = None,
    year: int | None = None,
    patterns_dirs: Sequence[str] = (),
    catalogue: Catalogue | None = None,
    journal: bool = False,
    journal_dirs: Sequence[str] = (),
    journal_files: Sequence[str] = (),
    sshd_config: str | Sequence[str] | None = None,
    reader: str = "auto",
    tz: str | None = None,
    wait: float = 60.0,
) -> IngestResult:
    """Read what is new in the sources into a database, in one transaction.

    Only lines after each source's stored read position are read (files by content
    fingerprint and offset, so rotation neither loses nor doubles a line; the journal by
    cursor). Connections still open are kept in the database and continued by the next
    run. ``wait``: seconds to wait for another ingest or report holding the database.
    """
    zone = parse_zone(tz) if tz else None
    cat = catalogue or load_catalogue(patterns_dirs)
    configs, settings = _configs(sshd_config)
    store = _open_store(db or default_db(), wait)
    try:
        with memory_guard(), tuned_collector():
            store.begin()
            sources, errors = resolve_sources(
                paths,
                journal=journal,
                journal_dirs=journal_dirs,
                journal_files=journal_files,
                reader=reader,
            )
            result, _ = _ingest_into(
                store,
                sources,
                errors,
                cat=cat,
                settings=settings,
                options=ReadOptions(year=year, tz=zone),
                incremental=True,
            )
            store.commit()
            return result
    finally:
        store.close()  # without a commit, the run's writes are rolled back


def _report_from(
    store: Store,
    window: Window,
    configs: dict[str, SshdSettings],
    settings: SshdSettings | None,
    *,
    stored: bool,
    facts: FactCollector | None = None,
    extra_pending: Sequence[Connection] = (),
) -> Report:
    pending = pending_connections(store, lambda: _sessionizer(settings))
    store.open_window(window, [*pending, *extra_pending])
    first_run = store.first_run(window.since) if stored else 1
    coverage = None
    if stored:
        runs, first, last = store.coverage(first_run)
        first_line, last_line = store.line_span()
        silent = tuple(s.path for s in store.sources(first_run) if s.lines == 0 and s.error is None)
        coverage = Coverage(runs, first, last, first_line, last_line, silent)
    return build_report(
        store,
        configs,
        store.connection_pages(),
        coverage,
        first_run,
        facts=(facts or _stored_facts(store)).facts(),
    )


def _stored_facts(store: Store) -> FactCollector:
    """The host facts the runs into this store gathered (empty when none were saved)."""
    # Restoring and summing up needs no catalogue: a report does not load one.
    facts = FactCollector(None, advice_catalogue().facts)
    saved = store.facts_state()
    if saved is not None:
        facts.restore_state(saved)
    return facts


@contextmanager
def open_report(
    db: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    host: str | Sequence[str] | None = None,
    sshd_config: str | Sequence[str] | None = None,
    wait: float = 60.0,
) -> Iterator[Report]:
    """The report over a database's stored window; its connections are read from the
    database page by page while the context is open (so memory does not grow with them).

    Verdicts that depend on the end of the input (``open``, "sshd stopped after the last
    line") are computed now, from the stored live state, and not stored. ``host``: only
    the connections of this host (or these hosts).
    """
    path = db or default_db()
    if not os.path.isfile(path):
        raise StoreError(f"no database at {path}", "run `logsleuth ingest` first, or give --db")
    configs, settings = _configs(sshd_config)
    hosts = (host,) if isinstance(host, str) else tuple(dict.fromkeys(host or ()))
    store = Store(path, wait=wait)
    try:
        window = Window(since, until, hosts or None)
        with memory_guard(), tuned_collector():
            yield _report_from(store, window, configs, settings, stored=True)
    finally:
        store.close()


def stored_hosts(db: str | None = None, *, wait: float = 60.0) -> list[str]:
    """Every host a database holds connections of (whatever the time window)."""
    path = db or default_db()
    if not os.path.isfile(path):
        raise StoreError(f"no database at {path}", "run `logsleuth ingest` first, or give --db")
    store = Store(path, wait=wait)
    try:
        return store.hosts()
    finally:
        store.close()


def report(
    db: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    host: str | Sequence[str] | None = None,
    sshd_config: str | Sequence[str] | None = None,
    wait: float = 60.0,
) -> Report:
    """:func:`open_report` with every connection read into memory."""
    with open_report(
        db, since=since, until=until, host=host, sshd_config=sshd_config, wait=wait
    ) as rep:
        return replace(rep, connections=tuple(rep.connections))


@contextmanager
def open_scan(
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
    sshd_config: str | Sequence[str] | None = None,
    reader: str = "auto",
    tz: str | None = None,
    db: str = ":memory:",
    progress: Callable[[str, int], None] | None = None,
    plain: bool = False,
    jobs: int | None = None,
) -> Iterator[Report]:
    """Scan = ingest into a temporary store, then report: one path.

    The connections of the report are read from the store page by page while the context
    is open. ``since``/``until`` select the connections alive in that window: every line
    is still read and sessionized, so a connection is whole. ``db``: a database file to
    keep instead (written as one run that reads every source whole). ``progress(source,
    lines)`` is called now and then while reading, and with ``lines=-1`` when done.
    ``plain``: the reference path (every header through the general parser, every message
    tried against each catalogue entry in order): the same report, slower. ``jobs``:
    processes to share the hosts among (:mod:`logsleuth.split`; default: two for 16 MiB
    or more of several hosts' logs while a CPU is idle, else one); the same report
    whatever the number.
    """
    zone = parse_zone(tz) if tz else None
    cat = catalogue or load_catalogue(patterns_dirs)
    configs, settings = _configs(sshd_config)
    options = ReadOptions(year=year, tz=zone, plain=plain)
    sources, errors = resolve_sources(
        paths,
        journal=journal,
        journal_dirs=journal_dirs,
        journal_files=journal_files,
        reader=reader,
    )
    # Split by host only into a temporary store; the reference path stays in one process.
    parts, plan = (1, {}) if db != ":memory:" or plain else choose(sources, jobs)

    def helper(k: int, spool: Spool) -> PartResult:
        run = IngestRun(
            spool,
            cat,
            options,
            new_sessionizer=lambda: _sessionizer(settings),
            whole_lines=False,
            follow_rotation=False,
            window=(since, until),
            facts=FactCollector(cat, advice_catalogue().facts),
            events=False,
            owns=HostSplit(parts, k, plan).owns,
        )
        run.read_all(sources)
        return run.part_result()

    with memory_guard(), tuned_collector(), helpers(helper, parts) as split:
        # The helpers are forked before the store opens: no DuckDB thread is copied.
        facts = FactCollector(cat, advice_catalogue().facts)
        store = _open_store(db, 0.0)
        try:
            if db != ":memory:":
                store.begin()
            _, run = _ingest_into(
                store,
                sources,
                errors,
                cat=cat,
                settings=settings,
                options=options,
                incremental=False,
                window=(since, until),
                facts=facts,
                progress=progress,
                helpers=split,
                plan=plan,
            )
            if progress is not None:
                progress("", -1)
            if db != ":memory:":
                store.commit()
            yield _report_from(
                store,
                Window(since, until),
                configs,
                settings,
                stored=False,
                facts=facts,
                extra_pending=run.extra_pending,
            )
        finally:
            store.close()


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
    sshd_config: str | Sequence[str] | None = None,
    reader: str = "auto",
    tz: str | None = None,
    db: str = ":memory:",
    progress: Callable[[str, int], None] | None = None,
    plain: bool = False,
    jobs: int | None = None,
) -> Report:
    """Read the sources, classify and sessionize their ssh lines, and build the report.

    ``reader`` names the format of the paths (default: detected per file); ``tz`` is the
    zone (a zoneinfo name) of times written without an offset, such as RFC 3164 lines.
    Every connection is read into memory; :func:`open_scan` streams them instead.
    """
    with open_scan(
        paths,
        year=year,
        patterns_dirs=patterns_dirs,
        catalogue=catalogue,
        journal=journal,
        journal_dirs=journal_dirs,
        journal_files=journal_files,
        since=since,
        until=until,
        sshd_config=sshd_config,
        reader=reader,
        tz=tz,
        db=db,
        progress=progress,
        plain=plain,
        jobs=jobs,
    ) as rep:
        return replace(rep, connections=tuple(rep.connections))
