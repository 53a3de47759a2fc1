"""End to end: each sample log through the whole pipeline against its golden report."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.families import FAMILIES
from logsleuth.renderers import render

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SAMPLES = ["auth.log", "auth-precise.log"]


@pytest.fixture(scope="module")
def reports():
    old, old_tz = os.getcwd(), os.environ.get("TZ")
    os.chdir(ROOT)  # evidence cites sources by the path given: keep it relative
    os.environ["TZ"] = "UTC"  # RFC 3164 stamps are local time
    time.tzset()
    try:
        return {s: api.scan([f"sample_logs/{s}"], year=2026) for s in SAMPLES}
    finally:
        os.chdir(old)
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_report_matches_golden(reports, sample, fmt, update_goldens):
    got = render(reports[sample], fmt, color=False, width=100)
    path = GOLDEN / f"{sample}.{'txt' if fmt == 'text' else 'json'}"
    if update_goldens or not path.exists():
        path.write_text(got, encoding="utf-8")
        if not update_goldens:
            pytest.fail(f"{path.name} did not exist; written, check it in")
    assert got == path.read_text(encoding="utf-8"), (
        f"{path.name} differs: run pytest --update-goldens and review the diff"
    )


@pytest.mark.parametrize("sample", SAMPLES)
def test_json_validates_against_the_contract(reports, sample):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    doc = json.loads(render(reports[sample], "json"))
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert doc["schema"] == "logsleuth.report/1"
    (src,) = doc["sources"]
    assert src["matched"] + src["unmatched"] == src["ssh_lines"] > 0
    assert doc["unmatched"]["count"] == src["unmatched"]
    for host in doc["hosts"]:
        conns = [
            c
            for c in doc["connections"]
            if c["host"] == host["host"] and c["direction"] == "inbound"
        ]
        assert host["connections"] == len(conns) == sum(host["families"].values())


def test_every_family_appears_in_the_sample_report(reports):
    report = reports["auth.log"]
    seen = {c.family for c in report.connections}
    assert set(FAMILIES) <= seen, set(FAMILIES) - seen
    text = render(report, "text")
    for family in FAMILIES:
        assert family in text


def test_both_framings_give_the_same_connections(reports):
    def key(r):
        return sorted(
            (
                c.host,
                c.client_ip or "",
                c.client_port or 0,
                c.family,
                c.cause,
                c.user or "",
                c.authenticated,
            )
            for c in r.connections
        )

    assert key(reports["auth.log"]) == key(reports["auth-precise.log"])


def _objects(node, path="$"):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield path, node
        for k, v in node.items():
            yield from _objects(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _objects(v, f"{path}[{i}]")


def test_the_contract_is_closed():
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    objects = list(_objects(schema))
    assert len(objects) > 10
    for path, node in objects:
        assert node.get("additionalProperties") is False, f"{path} is open"


def test_every_key_of_a_full_report_is_in_the_contract(reports):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    doc = json.loads(render(reports["auth.log"], "json"))
    assert doc["advice"] and doc["findings"]
    ids = {c["id"] for c in doc["connections"]}
    assert len(ids) == len(doc["connections"])
    for f in doc["findings"]:
        assert set(f["connection_ids"]) <= ids
    doc["connections"][0]["unexpected"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
