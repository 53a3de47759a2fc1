"""`logsleuth sql`: read-only queries over a stored database, and the generated schema page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from logsleuth import api, schema_doc
from logsleuth.cli import app
from logsleuth.renderers.safe import has_raw_control
from logsleuth.store import Store
from tests.zone import utc_zone

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PAGE = ROOT / "docs" / "schema.md"
STABLE = ("connections", "sources")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("sql") / "ssh.duckdb"
    with utc_zone():
        api.ingest([str(ROOT / "sample_logs" / "auth.log")], year=2026, db=str(path))
        report = api.report(str(path))
    return path, report


def run(*args: str):
    return CliRunner().invoke(app, ["sql", *args])


def test_schema_page_is_generated_from_the_store(update_goldens):
    page = schema_doc.page()
    if update_goldens:
        SCHEMA_PAGE.write_text(page, encoding="utf-8")
    assert SCHEMA_PAGE.read_text(encoding="utf-8") == page, (
        "docs/schema.md is stale: run pytest tests/test_sql.py --update-goldens"
    )


def test_every_stored_column_is_described():
    store = Store()
    try:
        columns = store.columns()
    finally:
        store.close()
    tables = {c.table for c in columns}
    assert set(STABLE) <= tables
    missing = [f"{c.table}.{c.name}" for c in columns if not c.description]
    assert missing == [], f"add COMMENT ON COLUMN for {missing} (logsleuth/sql/comments.sql)"
    assert all(c.table_description for c in columns)


def test_text_table_counts_match_the_report(db):
    path, report = db
    result = run("--db", str(path), "SELECT count(*) AS n FROM connections")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].strip() == "n" and lines[2].strip() == str(len(report.connections))
    assert lines[-1] == "(1 row)"


def test_csv_json_and_markdown_give_the_same_rows(db):
    path, report = db
    q = (
        'SELECT host, family, count(*) AS n, max("end") AS last FROM connections '
        "WHERE direction = 'inbound' GROUP BY ALL ORDER BY host, family"
    )
    out = {f: run("--db", str(path), "-f", f, q) for f in ("csv", "json", "markdown")}
    assert all(r.exit_code == 0 for r in out.values()), {f: r.output for f, r in out.items()}
    rows = list(csv.DictReader(io.StringIO(out["csv"].output)))
    docs = json.loads(out["json"].output)
    md = [line for line in out["markdown"].output.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(docs) == len(md) > 0
    expected = {(h.host, f): n for h in report.hosts for f, n in h.families.items()}
    assert {(d["host"], d["family"]): d["n"] for d in docs} == expected
    assert [(r["host"], r["family"], int(r["n"])) for r in rows] == [
        (d["host"], d["family"], d["n"]) for d in docs
    ]
    assert all(d["last"].endswith("Z") for d in docs if d["family"] != "open")


def test_nested_values_come_out_as_json(db):
    path, _ = db
    q = "SELECT evidence FROM connections WHERE len(evidence) > 1 ORDER BY id LIMIT 1"
    (doc,) = json.loads(run("--db", str(path), "-f", "json", q).output)
    assert {"source", "line", "text"} == set(doc["evidence"][0])
    text = run("--db", str(path), q).output
    assert '"source":' in text.splitlines()[2]


def test_the_database_is_read_only_and_sees_no_other_file(db, tmp_path):
    path, report = db
    bad = run("--db", str(path), "DELETE FROM runs")
    assert bad.exit_code == 2 and "read-only" in bad.output and "Traceback" not in bad.output
    outside = tmp_path / "x.csv"
    outside.write_text("a\n1\n")
    denied = run("--db", str(path), f"SELECT * FROM read_csv('{outside}')")
    assert denied.exit_code == 2 and "query failed" in denied.output
    assert run("--db", str(path), "SELECT count(*) FROM connections").output.splitlines()[
        2
    ].strip() == str(len(report.connections))


def test_bad_input_is_one_clear_line(tmp_path):
    missing = run("--db", str(tmp_path / "none.duckdb"), "SELECT 1")
    assert missing.exit_code == 3 and "no database at" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    no_db = run("SELECT 1")
    assert no_db.exit_code == 2 and "--db" in no_db.output
    syntax = run("--db", str(tmp_path / "none.duckdb"))
    assert syntax.exit_code == 2


def test_control_characters_are_shown_not_sent(tmp_path):
    path = tmp_path / "h.duckdb"
    store = Store(str(path))
    store.con.execute(
        "INSERT INTO unmatched VALUES (1, 'x', 1, 'evil \x1b[2J\x1b]0;title\x07 end')"
    )
    store.close()
    out = run("--db", str(path), "SELECT example FROM unmatched").output
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_schema_option_prints_the_page():
    result = run("--schema")
    assert result.exit_code == 0 and result.output == schema_doc.page()


EVENTS_QUERY = (
    "SELECT host, coalesce(pattern_id, '(unclassified)') AS pattern, count(*) AS n "
    "FROM events GROUP BY ALL ORDER BY host, pattern"
)


def test_events_in_every_format(db):
    path, report = db
    out = {
        f: run("--db", str(path), "-f", f, EVENTS_QUERY)
        for f in ("text", "csv", "json", "markdown")
    }
    assert all(r.exit_code == 0 for r in out.values()), {f: r.output for f, r in out.items()}
    docs = json.loads(out["json"].output)
    rows = list(csv.DictReader(io.StringIO(out["csv"].output)))
    md = [line for line in out["markdown"].output.splitlines() if line.startswith("| ")][1:]
    text = out["text"].output.splitlines()
    assert len(docs) == len(rows) == len(md) == len(text) - 3 > 0
    assert text[-1] == f"({len(docs)} rows)"
    assert sum(d["n"] for d in docs) == sum(s.ssh_lines for s in report.sources)
    unclassified = sum(d["n"] for d in docs if d["pattern"] == "(unclassified)")
    assert unclassified == report.unmatched_count
    assert [(r["host"], r["pattern"], int(r["n"])) for r in rows] == [
        (d["host"], d["pattern"], d["n"]) for d in docs
    ]


def test_hostile_event_fields_are_escaped_in_every_format(tmp_path):
    from tests.hostile.test_escaping import HOSTILE_USERS, _log

    db = tmp_path / "h.duckdb"
    api.ingest([str(_log(tmp_path))], db=str(db), year=2026)
    q = 'SELECT "user", message FROM events WHERE "user" IS NOT NULL OR message IS NOT NULL'
    for fmt in ("text", "csv", "json", "markdown"):
        result = run("--db", str(db), "-f", fmt, q)
        assert result.exit_code == 0, result.output
        assert not has_raw_control(result.output), fmt
    users = {d["user"] for d in json.loads(run("--db", str(db), "-f", "json", q).output)}
    assert set(HOSTILE_USERS) <= users  # exact values, escaped only on the way out
    text = run("--db", str(db), q).output
    assert "[bold red]x[/bold red]" in text and "\\x1b]52;" in text
