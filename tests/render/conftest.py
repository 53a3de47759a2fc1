"""Reports every renderer test uses: the samples through the pipeline, and a hostile one.

The hostile report is built by hand so that every string field a renderer prints holds
text that would be markup, a formula or a terminal control sequence if passed through.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from logsleuth import api
from logsleuth.model import (
    Advice,
    CauseCount,
    Connection,
    DurationStats,
    Evidence,
    FamilyTimeline,
    HostReport,
    HourCount,
    PatternId,
    Report,
    SourceInfo,
    UnmatchedShape,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

SCRIPT = "<script>window.__pwned=1</script>"
ATTR = '"onload="window.__pwned=2'
IMG = "<img src=x onerror=window.__pwned=3>"
SVG = "<svg onload=window.__pwned=4>"
ESC = "\x1b[31mred\x1b[0m\x1b]8;;http://evil/\x07link\x1b]8;;\x07"
HOSTILE = (
    SCRIPT,
    ATTR,
    IMG,
    SVG,
    ESC,
    "[/]",
    "[bold red]rich markup[/]",
    "[click](http://evil.example/)",
    '=HYPERLINK("http://evil")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "```` fence ````",
    "| not | a | column |",
    "*emph* _u_ ~~s~~ # h",
    "&amp; &lt;",
    "</code></pre></td></table>",
    "line\nbreak\r\nand\ttab",
)


def _sample(name: str) -> Report:
    old, old_tz = os.getcwd(), os.environ.get("TZ")
    os.chdir(ROOT)  # evidence cites sources by the path given: keep it relative
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        return api.scan([f"sample_logs/{name}"], year=2026)
    finally:
        os.chdir(old)
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


@pytest.fixture(scope="session")
def sample_report() -> Report:
    return _sample("auth.log")


def hostile_report() -> Report:
    t0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    conns = []
    for i, text in enumerate(HOSTILE, 1):
        ev = Evidence(f"logs/{text}", i, f"sshd[{i}]: Invalid user {text} from 192.0.2.{i}")
        conns.append(
            Connection(
                id=i,
                host="web01",
                client_ip=f"192.0.2.{i}",
                client_port=40000 + i,
                user=text,
                authenticated=False,
                method=None,
                start=t0 + timedelta(minutes=17 * i),
                end=t0 + timedelta(minutes=17 * i, seconds=3 * i),
                family="auth-failure",
                cause="auth-failure/invalid-user",
                pattern_id=PatternId("A107"),
                evidence=(ev,),
                note=text,
                decisive=ev,
            )
        )
    evidence = conns[0].evidence[0]
    causes = tuple(
        CauseCount(
            "auth-failure",
            "auth-failure/invalid-user",
            len(HOSTILE),
            "A107",
            c.evidence[0],
            ((f"192.0.2.{c.id}", 1),),
            ((str(c.user), 1),),
        )
        for c in conns
    )
    timeline = (
        FamilyTimeline(
            "auth-failure",
            tuple(HourCount(datetime(2026, 11, 3, 8 + i // 4, tzinfo=UTC), 1) for i in range(18)),
        ),
        FamilyTimeline(SCRIPT, (HourCount(datetime(2026, 11, 3, 9, tzinfo=UTC), 2),)),
    )
    host = HostReport(
        "web01",
        len(conns),
        0,
        {"auth-failure": len(conns)},
        causes,
        abnormal=0,
        abnormal_share=0.0,
        durations=(DurationStats("auth-failure", len(conns), 9.0, 16.0, 18.0),),
        timeline=timeline,
    )
    evil_host = HostReport(SCRIPT, 0, 0, {}, ())
    advice = tuple(
        Advice(
            id="hostile",
            host="web01",
            title=text,
            text=f"Users like {text} keep failing.",
            snippet=f"# sshd_config on web01\nDenyUsers {text}",
            because=(f"because {text}",),
            evidence=(evidence,),
        )
        for text in HOSTILE[:6]
    )
    return Report(
        sources=(SourceInfo(f"logs/{ATTR}", "syslog", 10, 9, 8, 1, None, None, ESC),),
        hosts=(host, evil_host),
        connections=tuple(conns),
        unmatched_count=len(HOSTILE),
        unmatched=tuple(UnmatchedShape(text, 1, text) for text in HOSTILE),
        advice=advice,
    )


@pytest.fixture(scope="session")
def hostile() -> Report:
    return hostile_report()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
