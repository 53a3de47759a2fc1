"""Each check of the advice lint: an item it flags, and the corrected near case it passes."""

from __future__ import annotations

from logsleuth.model import Advice, Evidence
from tests.advice.lint import lint_config, lint_item

FACTS = {"h": {"version_min": "9.2", "version_max": "9.9", "systemd": False}}


def item(**kw) -> Advice:
    base = {
        "id": "x",
        "host": "h",
        "title": "t",
        "text": "t",
        "snippet": None,
        "because": (),
        "hosts": ("h",),
    }
    base.update(kw)
    return Advice(**base)


def test_unfilled_values_and_old_durations():
    assert lint_item(item(title="raise it above the peak of ?"), FACTS)
    assert lint_item(item(text="cut after ~9 min"), FACTS)
    assert lint_item(item(text="peak {peak}"), FACTS)
    assert lint_item(item(title="raise it above the peak of 14", text="14 were open"), FACTS) == []


def test_title_numbers_must_be_in_the_text():
    assert lint_item(item(title="about 9m00s", text="sessions lasted 15m02s"), FACTS)
    assert lint_item(item(title="about 15m00s", text="idle for about 15m00s"), FACTS) == []


def test_zero_attempts():
    assert lint_item(item(text="tried 0 times over 771 connections"), FACTS)
    assert lint_item(item(text="tried 771 times over 771 connections"), FACTS) == []


def test_maxstartups_above_the_drop_count_and_the_configured_value():
    ev = (Evidence("a", 1, "drop connection #10 from [192.0.2.1]:1 on [10.0.0.1]:22 x"),)
    bad = item(id="maxstartups", title="from 10:30:100 to 10:30:100", evidence=ev, text="10")
    assert lint_item(bad, FACTS)
    good = item(
        id="maxstartups",
        title="from 10:30:100 to 15:30:100",
        evidence=ev,
        text="10:30:100 15:30:100",
    )
    assert lint_item(good, FACTS) == []


def test_keepalive_below_the_idle_limit():
    bad = item(id="path-idle-limit", title="every 10m00s to h: about 5m00s", text="10m00s 5m00s")
    assert lint_item(bad, FACTS)
    good = item(id="path-idle-limit", title="every 2m00s to h: about 5m00s", text="2m00s 5m00s")
    assert lint_item(good, FACTS) == []


def test_gated_options_and_placeholders_in_sshd_config():
    head = "# /etc/ssh/sshd_config on h\n"
    assert lint_config("x", head + "PerSourcePenalties authfail:30s\n", FACTS)
    assert lint_config("x", head + "# PerSourcePenalties authfail:30s\n", FACTS) == []
    assert lint_config("x", head + "PerSourcePenaltyExemptList <your-monitor-cidr>\n", FACTS)
    assert lint_config("x", head + "AllowUsers x@192.0.2.0/24\n", FACTS)
    assert (
        lint_config("x", head + "# PerSourcePenaltyExemptList <your-monitor-cidr>\n", FACTS) == []
    )


def test_a_weaker_value_than_configured():
    head = "# /etc/ssh/sshd_config on h\n"
    assert lint_config(
        "x", head + "# ClientAliveInterval: was 60\nClientAliveInterval 300\n", FACTS
    )
    assert (
        lint_config("x", head + "# ClientAliveInterval: was 600\nClientAliveInterval 300\n", FACTS)
        == []
    )
    assert lint_config("x", head + "# MaxStartups: was 30:30:100\nMaxStartups 20:30:100\n", FACTS)


def test_systemd_only_where_evident_and_no_public_exemptions():
    assert lint_item(item(systemd="[Service]\nKillMode=process"), FACTS)
    facts = {"h": {**FACTS["h"], "systemd": True}}
    assert lint_item(item(systemd="[Service]\nKillMode=process"), facts) == []
    assert lint_item(item(snippet="ignoreip = 127.0.0.1/8 ::1 203.0.113.99"), FACTS)
    assert lint_item(item(snippet="# ignoreip = 127.0.0.1/8 ::1 203.0.113.99"), FACTS) == []
    assert lint_item(item(snippet="ignoreip = 127.0.0.1/8 ::1 10.0.5.4"), FACTS) == []
