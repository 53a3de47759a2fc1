"""The classifier's memo gives every record the event classify_record gives it."""

from __future__ import annotations

from datetime import UTC, datetime

from logsleuth.api import load_catalogue
from logsleuth.classify import MEMO, Classifier, classify_record
from logsleuth.model import Record

CAT = load_catalogue(())
TS = datetime(2026, 11, 30, 3, 10, 2, tzinfo=UTC)
MESSAGES = [
    "Failed password for root from 203.0.113.5 port 52344 ssh2",
    "Connection closed by 203.0.113.5 port 52344 [preauth]",
    "error: kex_exchange_identification: Connection closed by remote host",
    "Failed password for root from 203.0.113.5 port 99999999 ssh2",  # port out of range
    "this is no sshd message",
    "x" * 5000,  # longer than any sshd message: never remembered
]


def _rec(message: str, line: int, flaws: tuple[str, ...] = ()) -> Record:
    return Record(TS, "web01", "sshd", 100 + line, message, "auth.log", line, flaws=flaws)


def test_repeats_get_the_same_events_as_classify_record() -> None:
    classifier = Classifier(CAT)
    for round_ in range(3):
        for n, message in enumerate(MESSAGES):
            for side in ("server", "client"):
                flaws = ("pid",) if round_ == 2 else ()
                rec = _rec(message, 10 * round_ + n, flaws)
                assert classifier.classify(rec, side) == classify_record(rec, CAT, side)


def test_an_out_of_range_field_is_noted_on_every_repeat() -> None:
    classifier = Classifier(CAT)
    for line in (1, 2):
        ev = classifier.classify(_rec(MESSAGES[3], line))
        assert ev.record.flaws == ("port",) and "port" not in ev.fields
        assert ev.record.line == line


def test_the_memo_is_bounded_and_the_plain_path_keeps_none() -> None:
    classifier = Classifier(CAT)
    for n in range(MEMO + 10):
        classifier.classify(_rec(f"Connection closed by 10.0.{n // 256}.{n % 256} port 22", n))
    assert 0 < sum(len(m) for m in classifier._memo.values()) <= MEMO
    plain = Classifier(CAT, plain=True)
    plain.classify(_rec(MESSAGES[0], 1))
    assert not any(plain._memo.values())
