"""A run's ssh lines on their way to the ``events`` table, each with its connection's id.

The ingest loop hands over every classified ssh line with the sessionizer's connection
it joined (:attr:`Sessionizer.last_conn`); rows are written in batches through Arrow.
Batches are staged as Parquet files in a temporary folder next to the database and loaded
in one statement when the run ends, so memory stays flat however long the run (rows
appended batch by batch would stay in memory until the transaction commits); a run killed
before it commits leaves only that folder behind.

A connection's stable id (:mod:`logsleuth.keys`) hangs on its first line, its address
and its port, and the last two may be learnt after some of its lines were written: a
line is stored with the id its connection has at that moment (for a connection still
open at the end of the run, the id ``open_connections`` shows), and when the id turns out
different later, in this run or in a later one, the rows already stored are moved to the
new id (:meth:`EventLog.finish`). So at the end of every run, each stored line carries the
id of its connection as the database shows it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from logsleuth.model import Event
from logsleuth.sessionize import Sessionizer, connection_id, id_is_final
from logsleuth.store import Store
from logsleuth.store_columns import EventBatch

#: Events per bulk insert: large enough that the insert's fixed cost vanishes, small
#: enough that the held lines stay a few megabytes.
EVENT_BATCH = 20_000


class EventLog:
    """Collects one run's events and writes them to the store in batches."""

    def __init__(self, store: Store, sess: Sessionizer, run: int) -> None:
        self.store, self.sess, self.run = store, sess, run
        self._folder: str | None = None
        self._staged: list[str] = []
        self.events: list[Event] = []
        self.conns: list[Any] = []
        self.stored = 0
        #: Connections whose lines are stored while their id may still change (no address
        #: or port yet): id(conn) -> (conn, the id their lines carry).
        self._watch: dict[int, tuple[Any, int]] = {}
        self._moves: list[tuple[int, int]] = []
        for c in sess.live_connections():  # what earlier runs stored for them
            if not id_is_final(c):
                self._watch[id(c)] = (c, connection_id(c))

    def add(self, ev: Event, conn: object) -> None:
        """One ssh line and the connection it joined (None: none)."""
        self.events.append(ev)
        self.conns.append(conn)
        if len(self.events) >= EVENT_BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the events collected so far."""
        if not self.events:
            return
        sess, watch, moves = self.sess, self._watch, self._moves
        ids: list[int | None] = []
        known: dict[int, int] = {}
        for c in self.conns:
            if c is None:
                ids.append(None)
                continue
            cid = known.get(id(c))
            if cid is None:
                cid = known[id(c)] = connection_id(c)
                if not id_is_final(c) and sess.is_live(c):
                    seen = watch.get(id(c))
                    if seen is not None and seen[1] != cid:
                        moves.append((seen[1], cid))
                    watch[id(c)] = (c, cid)
            ids.append(cid)
        self._settle()
        if self._folder is None:
            near = os.path.dirname(os.path.abspath(self.store.path))
            where = near if self.store.path != ":memory:" and os.access(near, os.W_OK) else None
            self._folder = tempfile.mkdtemp(prefix=".logsleuth-events-", dir=where)
        path = os.path.join(self._folder, f"{len(self._staged):06d}.parquet")
        self.store.stage_events(EventBatch(self.run, self.events, ids), path)
        self._staged.append(path)
        self.events, self.conns = [], []

    def _settle(self) -> None:
        """Connections that stopped changing: their final id, if not the one stored."""
        for key, (c, stored) in list(self._watch.items()):
            if not self.sess.is_live(c):
                final = connection_id(c)
                if final != stored:
                    self._moves.append((stored, final))
                del self._watch[key]

    def finish(self) -> int:
        """Store every event of the run and move rows whose connection's id changed;
        the rows stored."""
        try:
            self.flush()
            for key, (c, stored) in list(self._watch.items()):
                now = connection_id(c)  # still open: the id open_connections gets
                if now != stored:
                    self._moves.append((stored, now))
                    self._watch[key] = (c, now)
            self._settle()
            self.stored += self.store.add_events(self._staged)
            self.store.relink_events(self._moves)
            self._moves.clear()
        finally:
            self.discard()
        return self.stored

    def discard(self) -> None:
        """Remove the staged files (after loading them, or when the run fails)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder, self._staged = None, []
