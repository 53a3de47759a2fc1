"""CSV: RFC 4180, one header row per table, formulas neutralised, controls shown."""

from __future__ import annotations

import csv
import io

import pytest

from logsleuth.renderers import render
from logsleuth.renderers.safe import visible
from logsleuth.renderers.tables import TABLES

from .conftest import ESC, HOSTILE


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_has_one_header_row_and_crlf_line_ends(sample_report, table):
    text = render(sample_report, "csv", table=table)
    rows = parse(text)
    header, body = rows[0], rows[1:]
    assert header[0] in ("id", "host", "rank")
    assert all(len(r) == len(header) for r in body)
    assert header not in body
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "") or '"' in text  # bare LF only inside quotes
    assert body, f"{table}: no rows from the sample"


def test_connections_table_has_one_row_per_connection(sample_report):
    rows = parse(render(sample_report, "csv", table="connections"))
    assert len(rows) - 1 == len(sample_report.connections)
    ids = [int(r[0]) for r in rows[1:]]
    assert ids == [c.id for c in sample_report.connections]


def test_hosts_table_adds_up(sample_report):
    header, *rows = parse(render(sample_report, "csv", table="hosts"))
    for row in rows:
        rec = dict(zip(header, row, strict=True))
        families = sum(int(rec[f]) for f in header[6:])
        assert families == int(rec["connections"])


def test_formula_prefixes_are_neutralised_and_text_survives(hostile):
    header, *rows = parse(render(hostile, "csv", table="connections"))
    users = [dict(zip(header, r, strict=True))["user"] for r in rows]
    for text, got in zip(HOSTILE, users, strict=True):
        if text.startswith(("=", "+", "-", "@")):
            assert got == "'" + text
        elif text == ESC:
            assert "\x1b" not in got and "\\x1b[31mred" in got
        else:
            # Quotes and commas round-trip through RFC 4180; line breaks and tabs are shown
            # as escapes, so that `cat` or `column` shows one record per line.
            assert got == visible(text)
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    # Numbers stay numbers, negative or not: only text is prefixed.
    assert all(r[header.index("client_port")].isdigit() for r in rows)


def test_no_control_character_reaches_the_file(hostile):
    for table in TABLES:
        text = render(hostile, "csv", table=table)
        assert not any(ch in text for ch in "\x1b\x07\x00"), table


def test_unknown_table_is_an_error(sample_report):
    with pytest.raises(ValueError, match="unknown table"):
        render(sample_report, "csv", table="nope")


def test_cli_writes_the_chosen_table(tmp_path):
    from typer.testing import CliRunner

    from logsleuth.cli import app

    from .conftest import ROOT

    out = tmp_path / "hosts.csv"
    args = ["scan", str(ROOT / "sample_logs" / "auth.log"), "--year", "2026"]
    result = CliRunner().invoke(app, [*args, "-f", "csv", "--table", "hosts", "-o", str(out)])
    assert result.exit_code == 0, result.output
    header, *rows = parse(out.read_text(encoding="utf-8"))
    assert header[:3] == ["host", "connections", "authenticated"]
    assert {r[0] for r in rows} == {"backup01", "bastion", "db01", "jump01", "web01"}
    bad = CliRunner().invoke(app, [*args, "-f", "csv", "--table", "nope"])
    assert bad.exit_code == 2
