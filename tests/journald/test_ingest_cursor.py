"""Ingest from a journal resumes exactly after the saved cursor."""

from __future__ import annotations

from logsleuth import api
from logsleuth.store import Store


def test_journal_cursor_resumes_exactly(make_journal, binding, jx, tmp_path):
    entries = jx.scenario_entries()
    half = len(entries) // 2
    path = make_journal(entries[:half])
    db = tmp_path / "j.duckdb"
    first = api.ingest(journal_files=[str(path)], db=str(db))
    again = api.ingest(journal_files=[str(path)], db=str(db))
    assert again.run.lines == 0, "nothing new: nothing read"
    jx.write_journal(entries[half:], path)  # journald appends to the same file
    second = api.ingest(journal_files=[str(path)], db=str(db))
    whole = api.scan(journal_files=[str(path)])
    assert first.run.lines + second.run.lines == sum(s.lines for s in whole.sources)
    stored = api.report(str(db))
    assert [(c.id, c.family, c.cause, c.start, c.end) for c in stored.connections] == [
        (c.id, c.family, c.cause, c.start, c.end) for c in whole.connections
    ]
    store = Store(str(db))
    try:
        (cursor,) = store.con.execute('SELECT "cursor" FROM sources').fetchall()[0]
    finally:
        store.close()
    assert cursor and cursor.startswith("s=")
