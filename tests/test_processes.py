"""The process table (patterns/processes.toml) loads and is checked against the catalogue."""

from __future__ import annotations

import pytest

from logsleuth import catalogue, processes
from logsleuth.errors import CatalogueError

CAT = catalogue.load()


def test_builtin_table_loads_and_says_who_writes_what():
    t = processes.load()
    assert t.of("S201").listener  # Server listening
    assert t.of("L112").listener  # the 9.8+ LoginGraceTime line naming the pid
    assert t.of("A107").processes == {"monitor"}  # Invalid user
    assert not t.of("A107").may_be_child
    assert t.of("D103").may_be_child and t.of("D103").exits  # Received disconnect
    assert not t.of("S104").exits  # Starting session
    assert not t.of("J104").client_address  # a forwarding originator's address
    assert t.of(None).processes == {"monitor"}  # an unmatched line
    assert t.of("Z999", "end") == processes.ENDING  # a user's own entry
    assert t.of("Z999", "drop").listener


def _w(patterns, process="monitor", versions="all", **extra):
    return {
        "what": "x",
        "patterns": patterns,
        "processes": [{"versions": versions, "process": process}],
        **extra,
    }


@pytest.mark.parametrize(
    ("writer", "problem"),
    [
        (_w(["Q999"]), "no catalogue entry Q999"),
        (_w(["A107"], process="daemon"), "process must be one of"),
        (_w(["A107"], versions="soon"), "is not a version range"),
        (_w(["S201"]), "disagrees with the writer"),
        (_w(["A107"], what=""), "`what` must say"),
        (_w(["A107"], exit=True), "unknown key(s) exit"),
    ],
)
def test_table_problems_are_reported(writer, problem):
    with pytest.raises(CatalogueError) as err:
        processes.parse({"writer": [writer]}, CAT)
    assert problem in str(err.value)


def test_an_entry_listed_twice_is_a_problem():
    w = {
        "what": "x",
        "patterns": ["A107"],
        "processes": [{"versions": "all", "process": "monitor"}],
    }
    with pytest.raises(CatalogueError, match="listed twice"):
        processes.parse({"writer": [w, w]}, CAT)
