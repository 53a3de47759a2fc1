"""Source expansion: files, directories, globs, stdin, rotated sets and every problem."""

from __future__ import annotations

import builtins
import gzip
import io
import os
import sys
from pathlib import Path

import pytest

from logsleuth.errors import LogsleuthError
from logsleuth.readers import READERS, sources
from logsleuth.readers.sources import Source, default_sources, expand, rotation_key

LOG = "Jun  1 10:00:00 web1 sshd[1]: Connection closed by 192.0.2.1 port 4 [preauth]\n"


def make(path: Path, text: str = LOG) -> Path:
    path.write_text(text)
    return path


def make_gz(path: Path, text: str = LOG) -> Path:
    path.write_bytes(gzip.compress(text.encode()))
    return path


def names(found: list[Source]) -> list[str]:
    return [os.path.basename(s.path) for s in found]


def reasons(errors) -> dict[str, str]:
    return {os.path.basename(e.path.rstrip("/")): e.reason for e in errors}


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    d = tmp_path / "log"
    d.mkdir()
    make(d / "auth.log")
    make(d / "auth.log.1")
    make_gz(d / "auth.log.2.gz")
    make_gz(d / "auth.log.3.gz")
    make(d / "syslog")
    make(d / "kern.log")  # not named like an auth log, but in syslog format
    (d / "wtmp").write_bytes(b"\x00\x01\x02\x03" * 100)  # binary: skipped
    make(d / "notes.txt", "some prose\nthat is not a log\n")  # unrelated: skipped
    (d / "empty.dat").write_bytes(b"")  # empty and unrelated: skipped
    (d / "journal").mkdir()  # subdirectories are not searched
    make(d / "journal" / "auth.log")
    return d


def test_plain_file(tmp_path):
    path = make(tmp_path / "auth.log")
    assert expand([str(path)]) == ([Source(str(path), "syslog")], [])


def test_missing_file(tmp_path):
    found, errors = expand([str(tmp_path / "nope.log")])
    assert found == []
    assert [e.reason for e in errors] == ["no such file or directory"]


def test_directory_reads_its_logs_rotated_oldest_first(logdir):
    found, errors = expand([str(logdir)])
    assert errors == []
    assert names(found) == [
        "auth.log.3.gz",
        "auth.log.2.gz",
        "auth.log.1",
        "auth.log",
        "syslog",
        "kern.log",
    ]
    assert {s.reader for s in found} == {"syslog"}


def test_directory_without_logs(tmp_path):
    d = tmp_path / "stuff"
    d.mkdir()
    make(d / "readme.txt", "nothing here\n")
    found, errors = expand([str(d)])
    assert found == []
    assert [e.reason for e in errors] == ["no logs in this directory"]
    assert errors[0].hint


def test_empty_auth_log_in_a_directory_is_reported(tmp_path):
    d = tmp_path / "log"
    d.mkdir()
    make(d / "auth.log", "")
    make(d / "auth.log.1")
    found, errors = expand([str(d)])
    assert names(found) == ["auth.log.1"]
    assert reasons(errors) == {"auth.log": "empty: nothing to read"}


def test_dated_rotation_is_ordered_oldest_first(tmp_path):
    for name in ("secure", "secure-20240108", "secure-20240101.gz", "secure-20240115"):
        if name.endswith(".gz"):
            make_gz(tmp_path / name)
        else:
            make(tmp_path / name)
    found, _ = expand([str(tmp_path)])
    assert names(found) == ["secure-20240101.gz", "secure-20240108", "secure-20240115", "secure"]


def test_numbered_rotation_sorts_numerically(tmp_path):
    for n in (1, 2, 9, 10, 11):
        make(tmp_path / f"messages.{n}")
    make(tmp_path / "messages")
    found, _ = expand([str(tmp_path)])
    assert names(found) == [
        "messages.11",
        "messages.10",
        "messages.9",
        "messages.2",
        "messages.1",
        "messages",
    ]


def test_explicit_files_of_one_set_are_put_in_time_order(logdir):
    paths = [str(logdir / n) for n in ("auth.log", "kern.log", "auth.log.1", "auth.log.2.gz")]
    found, _ = expand(paths)
    assert names(found) == ["auth.log.2.gz", "auth.log.1", "auth.log", "kern.log"]


@pytest.mark.parametrize(
    ("key_of", "expected"),
    [
        ("/l/auth.log", (("/l", "auth.log"), (2, 0))),
        ("/l/auth.log.4.gz", (("/l", "auth.log"), (1, -4))),
        ("/l/secure-20240101.gz", (("/l", "secure"), (0, 20240101))),
        ("/l/kern.log.1", (("/l", "kern.log"), (1, -1))),
    ],
)
def test_rotation_key(key_of, expected):
    assert rotation_key(key_of) == expected


def test_glob(logdir):
    found, errors = expand([str(logdir / "auth.log*")])
    assert errors == []
    assert names(found) == ["auth.log.3.gz", "auth.log.2.gz", "auth.log.1", "auth.log"]


def test_glob_matching_nothing(tmp_path):
    found, errors = expand([str(tmp_path / "auth.log*")])
    assert found == []
    assert [e.reason for e in errors] == ["no file matches this pattern"]


def test_glob_matching_only_unrelated_files(logdir):
    make(logdir / "more.txt", "more prose\n")
    found, errors = expand([str(logdir / "*.txt")])
    assert found == []
    assert len(errors) == 1 and "no logs among the 2 files" in errors[0].reason


def test_glob_matching_one_file_checks_it_like_a_named_file(logdir):
    found, errors = expand([str(logdir / "*.txt")])
    assert found == [] and "not a recognised log" in errors[0].reason


def test_stdin(monkeypatch):
    pipe = io.BufferedReader(io.BytesIO(LOG.encode()))  # peekable, like a real pipe
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(pipe))
    found, errors = expand(["-"])
    assert (found, errors) == ([Source("-", "syslog", "standard input")], [])
    assert sys.stdin.buffer.read() == LOG.encode()  # sniffing consumed nothing


def test_stdin_closed(monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    found, errors = expand(["-"])
    assert found == [] and [e.reason for e in errors] == ["standard input is closed"]


def test_the_same_file_twice_is_read_once(logdir, tmp_path):
    link = tmp_path / "link-to-auth.log"
    link.symlink_to(logdir / "auth.log")
    found, _ = expand([str(logdir / "auth.log"), str(logdir / "auth.log"), str(link), str(logdir)])
    assert [s.path for s in found].count(str(logdir / "auth.log")) == 1
    assert str(link) not in [s.path for s in found]
    assert len(found) == 6


def test_permission_denied(tmp_path, monkeypatch):
    path = make(tmp_path / "auth.log")
    real_open = builtins.open

    def guarded(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    found, errors = expand([str(path)])
    assert found == []
    assert [e.reason for e in errors] == ["permission denied"]
    assert "sudo" in errors[0].hint and "adm" in errors[0].hint


def test_directory_of_unreadable_files_says_permission_denied(tmp_path, monkeypatch):
    d = tmp_path / "log"
    d.mkdir()
    make(d / "kern.log")
    make(d / "daemon.log")
    real_open = builtins.open

    def guarded(file, *args, **kwargs):
        if str(file).startswith(str(d)):
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    found, errors = expand([str(d)])
    assert found == []
    assert [e.reason for e in errors] == ["no readable logs: 2 file(s) permission denied"]
    assert "sudo" in errors[0].hint


def test_binary_file(tmp_path):
    path = tmp_path / "wtmp"
    path.write_bytes(bytes(range(256)) * 4)
    _, errors = expand([str(path)])
    assert [e.reason for e in errors] == ["binary file (not a text log)"]


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_empty_file(tmp_path, compressed):
    path = tmp_path / ("auth.log.1.gz" if compressed else "auth.log")
    path.write_bytes(gzip.compress(b"") if compressed else b"")
    found, errors = expand([str(path)])
    assert found == []
    assert [e.reason for e in errors] == ["empty: nothing to read"]
    assert errors[0].hint


def test_text_that_is_not_a_log(tmp_path):
    path = make(tmp_path / "notes.txt", "just prose\nno headers\n")
    found, errors = expand([str(path)])
    assert found == [] and "not a recognised log" in errors[0].reason
    # Named explicitly as syslog, it is read anyway.
    assert expand([str(path)], reader="syslog") == ([Source(str(path), "syslog")], [])


def test_a_file_named_like_an_auth_log_is_read_even_if_its_head_is_odd(tmp_path):
    path = make(tmp_path / "auth.log", "odd first line\nanother\n")
    found, errors = expand([str(path)])
    assert errors == [] and found[0].reader == "syslog" and found[0].note


def test_unknown_reader_is_a_usage_error(tmp_path):
    with pytest.raises(LogsleuthError, match="unknown reader"):
        expand([str(make(tmp_path / "auth.log"))], reader="nope")


def test_a_pipe_is_not_sniffed(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    found, errors = expand([str(fifo)])  # opening it to sniff would block
    assert errors == [] and found[0].path == str(fifo) and found[0].reader == "syslog"


def test_detection_goes_through_the_reader_registry(tmp_path, monkeypatch):
    class FakeReader:
        name = "fake"

        def sniff(self, path, head):
            return head.startswith(b"FAKE")

        def read(self, path, options):
            return iter(())

    monkeypatch.setitem(READERS, "fake", FakeReader)
    d = tmp_path / "d"
    d.mkdir()
    make(d / "thing.bin", "FAKE format\n")
    make(d / "auth.log")
    found, errors = expand([str(d)])
    assert errors == []
    assert {(os.path.basename(s.path), s.reader) for s in found} == {
        ("auth.log", "syslog"),
        ("thing.bin", "fake"),
    }


# --- the default source ------------------------------------------------------------------


def test_default_is_auth_log(tmp_path):
    auth, secure = make(tmp_path / "auth.log"), make(tmp_path / "secure")
    found, errors = default_sources([str(auth), str(secure)])
    assert errors == []
    assert found == [Source(str(auth), "syslog", "default auth log")]


def test_default_falls_back_to_secure(tmp_path):
    secure = make(tmp_path / "secure")
    found, errors = default_sources([str(tmp_path / "auth.log"), str(secure)])
    assert (found, errors) == ([Source(str(secure), "syslog", "default auth log")], [])


def test_default_reports_an_unreadable_auth_log(tmp_path):
    auth = make(tmp_path / "auth.log", "")
    found, errors = default_sources([str(auth)])
    assert found == [] and [e.reason for e in errors] == ["empty: nothing to read"]


def test_default_with_neither_log(tmp_path, monkeypatch):
    candidates = [str(tmp_path / "auth.log"), str(tmp_path / "secure")]
    monkeypatch.setattr(sources, "journal_fallback", lambda: None)
    found, errors = default_sources(candidates)
    assert found == []
    assert len(errors) == 1
    assert all(c in errors[0].reason for c in candidates)

    journal = Source("journal", "journald", "the local journal")
    monkeypatch.setattr(sources, "journal_fallback", lambda: journal)
    assert default_sources(candidates) == ([journal], [])


def test_default_candidates_are_overridable_module_wide(tmp_path, monkeypatch):
    secure = make(tmp_path / "secure")
    monkeypatch.setattr(sources, "DEFAULT_AUTH_LOGS", (str(tmp_path / "auth.log"), str(secure)))
    assert default_sources()[0] == [Source(str(secure), "syslog", "default auth log")]


def test_journal_fallback_follows_the_local_journal(tmp_path, monkeypatch):
    from logsleuth.readers import journald

    monkeypatch.setattr(journald, "LOCAL_JOURNAL_DIRS", (str(tmp_path),))
    monkeypatch.setattr(journald, "_binding", lambda: None)
    assert sources.journal_fallback() is None
    (tmp_path / "system.journal").write_bytes(b"LPKSHHRH" + bytes(300))
    fallback = sources.journal_fallback()
    assert fallback is not None and (fallback.path, fallback.reader) == ("journal", "journald")
    assert "journal" in (fallback.note or "")
