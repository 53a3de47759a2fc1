"""The per-line model types keep the dataclass contract with their quicker constructor."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from datetime import UTC, datetime

import pytest

from logsleuth.model import Connection, Event, Evidence, PatternId, Record, quick_init

TS = datetime(2026, 11, 30, 3, 10, 2, tzinfo=UTC)


def _record() -> Record:
    return Record(TS, "web01", "sshd", 42, "Connection closed by 10.0.0.1 port 22", "auth.log", 7)


@pytest.mark.parametrize("cls", [Record, Event, Evidence, Connection])
def test_signature_is_the_dataclass_one(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [f.name for f in dataclasses.fields(cls)]
    for p, f in zip(params, dataclasses.fields(cls), strict=True):
        missing = f.default is dataclasses.MISSING
        assert p.default is (inspect.Parameter.empty if missing else f.default)


def test_instances_are_frozen_equal_and_hashable() -> None:
    a, b = _record(), _record()
    assert a == b and hash(a) == hash(b) and a is not b
    assert (a.repeat, a.cursor, a.priority, a.flaws, a.stamp) == (1, None, None, (), None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.host = "db01"  # type: ignore[misc]
    moved = dataclasses.replace(a, line=8, flaws=("pid",))
    assert (moved.line, moved.flaws, moved.message) == (8, ("pid",), a.message)
    assert pickle.loads(pickle.dumps(moved)) == moved
    by_name = Record(
        ts=TS, host="web01", program="sshd", pid=42, message=a.message, source="auth.log", line=7
    )
    assert by_name == a


def test_nested_types() -> None:
    rec = _record()
    ev = Event(rec, PatternId("D101"), "client-disconnect", "c", "end", 10, {"ip": "10.0.0.1"})
    assert (ev.level, ev.phase, ev.postauth_family, ev.postauth_cause) == (None,) * 4
    c = Connection(1, "web01", "10.0.0.1", 22, None, False, None, TS, TS, "f", "c", None, ())
    assert c.direction == "inbound" and c.evidence == () and c.pids == ()
    assert Evidence("a", 1, "t") == Evidence(source="a", line=1, text="t")


def test_refuses_what_it_cannot_build() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    with pytest.raises(TypeError):
        quick_init(WithFactory)
