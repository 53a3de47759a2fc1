"""JournaldReader on real journal files written by systemd-journal-remote."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from logsleuth.errors import SourceError
from logsleuth.readers import READERS, ReadOptions, detect, journald
from logsleuth.readers.journal_export import NO_SSHD_ENTRIES
from logsleuth.readers.journald import JournaldReader, local_journal_available

OPTS = ReadOptions()


def fields(records):
    return [(r.ts, r.host, r.program, r.pid, r.message, r.priority) for r in records]


def test_selects_sshd_entries_with_their_fields(make_journal, binding, jx):
    path = make_journal(jx.scenario_entries())
    records = list(JournaldReader().read(str(path), OPTS))
    expected = jx.sshd_lines()
    assert [(r.ts, r.program, r.pid, r.message) for r in records] == expected
    assert {r.host for r in records} == {"web01"}
    assert {r.priority for r in records} == {6}
    assert [r.line for r in records] == list(range(1, len(expected) + 1))
    assert all(r.source == str(path) for r in records)
    assert all(r.cursor and r.cursor.startswith("s=") for r in records)
    assert len({r.cursor for r in records}) == len(records)
    # microseconds survive: the scenario has sub-second times
    assert records[2].ts == jx.T0 + timedelta(seconds=1.2)


def test_selects_by_unit_including_socket_activated(make_journal, binding, jx):
    t = jx.T0
    path = make_journal(
        [
            jx.entry(t, "by identifier, no unit", "sshd", unit=None),
            jx.entry(
                t + timedelta(seconds=1),
                "socket unit",
                "sshd-keys",
                unit="ssh@3-10.0.0.1:22-203.0.113.5:50022.service",
            ),
            jx.entry(t + timedelta(seconds=2), "red hat unit", "helper", unit="sshd.service"),
            jx.entry(t + timedelta(seconds=3), "other unit", "helper", unit="sshguard.service"),
            jx.entry(t + timedelta(seconds=4), "old pam", "sshd(pam_unix)", unit=None),
            jx.entry(t + timedelta(seconds=5), "not ssh", "sshdx", unit="sshdx.service"),
        ]
    )
    got = [r.message for r in JournaldReader().read(str(path), OPTS)]
    assert got == ["by identifier, no unit", "socket unit", "red hat unit", "old pam"]


def test_binary_and_multiline_messages_never_crash(make_journal, binding, jx):
    path = make_journal(
        [
            jx.entry(jx.T0, b"Invalid user \xff\xfeadmin from 192.0.2.1 port 22"),
            jx.entry(jx.T0 + timedelta(seconds=1), "first line\nsecond line"),
            jx.entry(jx.T0 + timedelta(seconds=2), "nul\x00byte"),
        ]
    )
    got = [r.message for r in JournaldReader().read(str(path), OPTS)]
    assert got == [
        "Invalid user \ufffd\ufffdadmin from 192.0.2.1 port 22",
        "first line\nsecond line",
        "nulbyte",
    ]


def test_since_until_window(make_journal, binding, jx):
    path = make_journal(jx.scenario_entries())
    since, until = jx.T0 + timedelta(seconds=40), jx.T0 + timedelta(seconds=103)
    got = list(JournaldReader().read(str(path), ReadOptions(since=since, until=until)))
    expected = [line for line in jx.sshd_lines() if since <= line[0] <= until]
    assert [(r.ts, r.message) for r in got] == [(e[0], e[3]) for e in expected]
    assert got[0].line == 1


def test_no_sshd_entries_is_an_error_not_an_empty_result(make_journal, binding, jx):
    path = make_journal([jx.entry(jx.T0, "cron ran", "CRON", unit="cron.service")])
    with pytest.raises(SourceError) as err:
        list(JournaldReader().read(str(path), OPTS))
    assert err.value.reason.startswith(NO_SSHD_ENTRIES)
    full = make_journal(jx.scenario_entries(), name="full.journal")
    later = ReadOptions(since=jx.T0 + timedelta(days=1))
    with pytest.raises(SourceError) as err:
        list(JournaldReader().read(str(full), later))
    assert err.value.reason.startswith(NO_SSHD_ENTRIES)
    assert "between" in err.value.reason


def test_read_after_cursor_resumes_and_skips_the_saved_entry(make_journal, binding, jx):
    entries = jx.scenario_entries()
    path = make_journal(entries)
    reader = JournaldReader()
    first = list(reader.read(str(path), OPTS))
    assert list(reader.read_after(str(path), first[-1].cursor, OPTS)) == []
    middle = first[5]
    rest = list(reader.read_after(str(path), middle.cursor, OPTS))
    assert [r.cursor for r in rest] == [r.cursor for r in first[6:]]
    # journald appends; an ingest that saved the last cursor sees only the new entry
    new = jx.entry(
        jx.T0 + timedelta(seconds=300), "Connection closed by 192.0.2.1 port 4 [preauth]"
    )
    jx.write_journal([new], path)
    resumed = list(reader.read_after(str(path), first[-1].cursor, OPTS))
    assert [r.message for r in resumed] == [new["MESSAGE"]]


@pytest.mark.parametrize("backend", ["binding", "journalctl"])
def test_read_after_a_damaged_cursor_is_a_source_error(
    make_journal, binding, journalctl, jx, backend
):
    path = make_journal(jx.scenario_entries())
    with pytest.raises(SourceError):
        list(JournaldReader(backend).read_after(str(path), "garbage", OPTS))


def test_rotated_directory_is_read_whole(make_journal, binding, jx, tmp_path):
    # Enough distinct data objects to make journal-remote rotate its output file.
    n = 45_000

    def numbered(i):
        e = jx.entry(
            jx.T0 + timedelta(milliseconds=i),
            f"Connection closed by 192.0.2.{i % 250} port {1024 + i} [preauth]",
            "sshd-session",
            pid=10_000 + i,
        )
        e["_SOURCE_REALTIME_TIMESTAMP"] = e["__REALTIME_TIMESTAMP"] - 17
        return e

    entries = (numbered(i) for i in range(n))
    directory = tmp_path / "journal"
    make_journal(entries, directory=directory)
    files = sorted(p.name for p in directory.iterdir())
    assert len(files) >= 2 and any("@" in f for f in files), files
    records = list(JournaldReader().read(str(directory), OPTS))
    assert len(records) == n
    assert records[0].pid == 10_000 and records[-1].pid == 10_000 + n - 1
    assert all(a.ts < b.ts for a, b in zip(records, records[1:], strict=False))
    assert {r.source for r in records} == {str(directory)}


def test_glob_of_rotated_files(make_journal, binding, jx, tmp_path):
    a = make_journal(jx.scenario_entries()[:10], name="sshd.journal")
    b = make_journal(jx.scenario_entries()[10:], name="sshd@0001.journal")
    assert a.exists() and b.exists()
    got = list(JournaldReader().read(str(tmp_path / "sshd*.journal"), OPTS))
    assert [r.message for r in got] == [line[3] for line in jx.sshd_lines()]


def test_journalctl_fallback_gives_the_same_records(make_journal, binding, journalctl, jx):
    path = make_journal(jx.scenario_entries())
    window = ReadOptions(since=jx.T0 + timedelta(seconds=1.2), until=jx.T0 + timedelta(seconds=120))
    for options in (OPTS, window):
        via_binding = list(JournaldReader("binding").read(str(path), options))
        via_cli = list(JournaldReader("journalctl").read(str(path), options))
        assert via_cli == via_binding
    first = list(JournaldReader("journalctl").read(str(path), OPTS))
    rest = list(JournaldReader("journalctl").read_after(str(path), first[3].cursor, OPTS))
    assert [r.cursor for r in rest] == [r.cursor for r in first[4:]]


def test_without_binding_uses_journalctl(make_journal, journalctl, jx, monkeypatch):
    path = make_journal(jx.scenario_entries())
    monkeypatch.setattr(journald, "_binding", lambda: None)
    got = list(JournaldReader().read(str(path), OPTS))
    assert [r.message for r in got] == [line[3] for line in jx.sshd_lines()]


def test_without_binding_or_journalctl_says_how_to_install(make_journal, jx, monkeypatch):
    path = make_journal(jx.scenario_entries())
    monkeypatch.setattr(journald, "_binding", lambda: None)
    monkeypatch.setattr(journald, "_journalctl", lambda: None)
    with pytest.raises(SourceError) as err:
        list(JournaldReader().read(str(path), OPTS))
    assert "pip install 'logsleuth[journald]'" in str(err.value.hint)
    assert "apt-get install libsystemd-dev pkg-config" in str(err.value.hint)


def test_journalctl_error_is_a_source_error(make_journal, journalctl, jx, tmp_path):
    path = make_journal(jx.scenario_entries())
    broken = tmp_path / "broken.journal"
    data = bytearray(path.read_bytes())
    data[8:200] = b"\xff" * 192  # a journal magic with a garbage header
    broken.write_bytes(bytes(data))
    for backend in ("journalctl", "auto"):
        with pytest.raises(SourceError):
            list(JournaldReader(backend).read(str(broken), OPTS))


def test_bad_paths_are_source_errors(tmp_path, jx):
    reader = JournaldReader()
    with pytest.raises(SourceError, match="no such file"):
        list(reader.read(str(tmp_path / "missing.journal"), OPTS))
    text = tmp_path / "auth.log"
    text.write_text("Nov 21 19:15:01 web01 sshd[1]: Server listening on :: port 22.\n")
    with pytest.raises(SourceError, match="not a journal file"):
        list(reader.read(str(text), OPTS))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no journal files"):
        list(reader.read(str(tmp_path / "empty"), OPTS))


def test_unreadable_journal_says_permission(make_journal, jx, monkeypatch):
    path = make_journal(jx.scenario_entries())
    # Root reads every file, so stand in for an unprivileged user's access check.
    monkeypatch.setattr(journald.os, "access", lambda p, mode: False)
    with pytest.raises(SourceError, match="permission denied") as err:
        list(JournaldReader().read(str(path.parent), OPTS))
    assert "systemd-journal" in str(err.value.hint)
    if os.geteuid() != 0:
        path.chmod(0)
        with pytest.raises(SourceError, match="permission denied"):
            list(JournaldReader().read(str(path), OPTS))


def test_sniff_and_registry_order(make_journal, jx, tmp_path):
    path = make_journal(jx.scenario_entries())
    head = path.read_bytes()[:65536]
    found = detect(str(path), head)
    assert found is not None and found.name == "journald"
    assert list(READERS).index("journald") < list(READERS).index("syslog")
    assert not JournaldReader().sniff("auth.log", b"Nov 21 19:15:01 web01 sshd[1]: x\n")


def test_local_journal_detection(make_journal, jx, tmp_path, monkeypatch):
    run, var = tmp_path / "run", tmp_path / "var"
    monkeypatch.setattr(journald, "LOCAL_JOURNAL_DIRS", (str(run), str(var)))
    monkeypatch.setattr(journald, "_binding", lambda: None)
    assert not local_journal_available()
    make_journal(jx.scenario_entries(), name="system.journal", directory=var / jx.BOOT_ID)
    assert local_journal_available()
    assert journald.local_journal_files() == [str(var / jx.BOOT_ID / "system.journal")]


def test_missing_local_journal_is_reported(binding, monkeypatch, tmp_path):
    if journald.local_journal_files():
        pytest.skip("this machine has a local journal")
    with pytest.raises(SourceError) as err:
        list(JournaldReader().read("journal", OPTS))
    assert err.value.path == "journal"
    assert "no journal files found" in err.value.reason


def test_local_journal_source_name(make_journal, binding, jx, monkeypatch, tmp_path):
    # Stand the local journal in with a directory: the records say "journal".
    path = make_journal(jx.scenario_entries())
    monkeypatch.setattr(journald, "_open_reader", lambda mod, target: mod.Reader(files=[str(path)]))
    monkeypatch.setattr(journald, "LOCAL_JOURNAL_DIRS", (str(Path(path).parent),))
    got = list(JournaldReader().read("journal", OPTS))
    assert got and {r.source for r in got} == {"journal"}
