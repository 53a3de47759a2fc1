"""The JSON renderer writes each connection directly; it must equal the contract's
dict form encoded by ``dumps`` byte for byte, whatever the strings hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsleuth import api
from logsleuth.model import Connection, Evidence, PatternId
from logsleuth.renderers.json_out import connection_dict, connection_json
from logsleuth.renderers.safe import dumps
from tests.test_corpora import YEAR
from tests.test_fast_path import READABLE

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "sample_logs").glob("*.log"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_connections_encode_as_the_dict_form(path: Path) -> None:
    rep = api.scan([str(path)])
    assert rep.connections
    for c in rep.connections:
        assert connection_json(c) == dumps(connection_dict(c))


@pytest.mark.skipif(not READABLE, reason="no corpora beside the repository")
def test_corpora_connections_encode_as_the_dict_form() -> None:
    n = 0
    for path in READABLE:  # every corpus file a reader takes as it is
        for c in api.scan([str(path)], year=YEAR).connections:
            assert connection_json(c) == dumps(connection_dict(c)), path.name
            n += 1
    assert n > 1000


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",))
    | st.sampled_from(list('"\\\x00\x1b\x7f\x85\u2028\u202e')),
    max_size=30,
)
_OPT = st.none() | _TEXT
_TIME = st.none() | st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    id_=st.integers(min_value=0, max_value=2**53),
    host=_TEXT,
    ip=_OPT,
    port=st.none() | st.integers(min_value=0, max_value=65535),
    user=_OPT,
    auth=st.booleans(),
    start=_TIME,
    seconds=st.none() | st.floats(min_value=0, max_value=1e7, allow_nan=False),
    family=_TEXT,
    pattern=st.none() | _TEXT,
    failures=st.integers(min_value=0, max_value=10**6),
    note=_OPT,
    evidence=st.lists(
        st.tuples(_TEXT, st.integers(min_value=0, max_value=2**40), _TEXT), max_size=4
    ),
    remote=_OPT,
)
def test_any_connection_encodes_as_the_dict_form(
    id_: int,
    host: str,
    ip: str | None,
    port: int | None,
    user: str | None,
    auth: bool,
    start: datetime | None,
    seconds: float | None,
    family: str,
    pattern: str | None,
    failures: int,
    note: str | None,
    evidence: list[tuple[str, int, str]],
    remote: str | None,
) -> None:
    end = start + timedelta(seconds=seconds) if start and seconds is not None else None
    c = Connection(
        id=id_,
        host=host,
        client_ip=ip,
        client_port=port,
        user=user,
        authenticated=auth,
        method=user,
        start=start,
        end=end,
        family=family,
        cause=family + "/x",
        pattern_id=PatternId(pattern) if pattern is not None else None,
        evidence=tuple(Evidence(*e) for e in evidence),
        failures=failures,
        note=note,
        remote_host=remote,
    )
    assert connection_json(c) == dumps(connection_dict(c))


def test_a_time_in_another_zone_encodes_as_the_dict_form() -> None:
    t = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    c = Connection(1, "h", None, None, None, False, None, t, t, "open", "open/x", None, ())
    assert connection_json(c) == dumps(connection_dict(c))
