"""Bounded resources: no input makes logsleuth hang, read forever or go quadratic."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from typer.testing import CliRunner

from logsleuth import api
from logsleuth.catalogue import load, split_envelope
from logsleuth.classify import classify_record
from logsleuth.limits import MAX_MESSAGE
from logsleuth.model import Record

runner = CliRunner()
CAT = load()
GOOD = "Nov 21 06:25:01 web02 sshd[77]: Accepted password for al from 192.0.2.1 port 4000 ssh2\n"


def _near_miss(body: str, size: int) -> str:
    """A message that starts like the sample and repeats it, so every regex has to work."""
    words = body.split(" ")
    head = " ".join(words[:2]) + " "
    filler = (" ".join(words[2:]) + " ") * (size // max(1, len(body)) + 1)
    return (head + filler)[:size] + "\x00"


@pytest.mark.parametrize("entry", list(CAT), ids=[p.id for p in CAT])
def test_a_1mb_near_miss_is_classified_in_bounded_time(entry):
    _, body, _ = split_envelope(entry.samples[0].line)
    message = _near_miss(body, 1 << 20)
    rec = Record(None, "h", "sshd", 1, message, "t", 1)
    start = time.perf_counter()
    classify_record(rec, CAT, entry.side)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("entry", list(CAT), ids=[p.id for p in CAT])
def test_every_regex_stays_fast_at_the_message_cap(entry):
    # The longest message the catalogue is given: no entry may be quadratic there.
    _, body, _ = split_envelope(entry.samples[0].line)
    message = _near_miss(body, MAX_MESSAGE)
    start = time.perf_counter()
    entry.match(message)
    assert time.perf_counter() - start < 0.25


def test_message_longer_than_the_cap_is_unmatched_and_counted(tmp_path):
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 21 06:25:01 web01 sshd[5]: Failed password for "
        + "x from 1.2.3.4 port 22 " * 40_000
        + "from 192.0.2.1 port 4000 ssh2\n"
    )
    start = time.perf_counter()
    (src,) = api.scan([str(log)], year=2026).sources
    assert time.perf_counter() - start < 10
    assert (src.ssh_lines, src.matched, src.unmatched) == (1, 0, 1)


def _special_files(d):
    os.mkfifo(d / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(d / "sock"))
    os.symlink("/dev/zero", d / "zero")
    os.symlink("/dev/zero", d / "auth.log.9")  # named like a log
    return sock


def _run(args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "logsleuth", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_fifos_sockets_and_devices_in_a_directory_are_skipped(tmp_path):
    (tmp_path / "auth.log").write_text(GOOD)
    sock = _special_files(tmp_path)
    try:
        r = _run(["scan", str(tmp_path), "--year", "2026", "--format", "json"])
    finally:
        sock.close()
    assert r.returncode == 0, r.stderr
    assert '"user": "al"' in r.stdout


@pytest.mark.parametrize("name", ["zero", "sock"])
def test_a_device_or_socket_named_is_refused(tmp_path, name):
    sock = _special_files(tmp_path)
    try:
        r = _run(["scan", str(tmp_path / name)])
    finally:
        sock.close()
    assert r.returncode == 3
    assert "not a log file" in r.stderr


def test_a_fifo_named_is_read_as_a_stream(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as fh:
            fh.write(GOOD)

    t = threading.Thread(target=write)
    t.start()
    r = _run(["scan", str(fifo), "--year", "2026", "--format", "json"])
    t.join()
    assert r.returncode == 0, r.stderr
    assert '"user": "al"' in r.stdout


def test_gzip_of_empty_lines_is_bounded(tmp_path):
    path = tmp_path / "auth.log.2.gz"
    member = gzip.compress(b"\n" * (1 << 20), compresslevel=9)
    path.write_bytes(member * 1000)  # 1 GiB of empty lines in about 1 MB
    assert path.stat().st_size < 1_200_000
    good = tmp_path / "auth.log"
    good.write_text(GOOD)
    start = time.perf_counter()
    r = _run(["scan", str(path), str(good), "--year", "2026", "--format", "json"], timeout=120)
    assert time.perf_counter() - start < 60
    assert r.returncode == 3
    assert "decompression bomb" in r.stderr
    assert '"user": "al"' in r.stdout  # the other source was still read


def test_triage_reads_a_bounded_amount(tmp_path):
    r = _run(["triage", "/dev/zero"])
    assert "the rest was ignored" in r.stderr
    assert "Traceback" not in r.stderr


def test_sshd_config_reads_a_bounded_amount(tmp_path):
    good = tmp_path / "auth.log"
    good.write_text(GOOD)
    # An endless device is read up to the bound, then refused: it holds no sshd keyword.
    r = _run(["scan", str(good), "--year", "2026", "--sshd-config", "/dev/zero", "-f", "json"])
    assert r.returncode == 2 and "no sshd_config keyword" in r.stderr, r.stderr
    big = tmp_path / "sshd_config"
    big.write_bytes(b"ClientAliveInterval 60\n" + b"#" * (5 << 20))
    r = _run(["scan", str(good), "--year", "2026", "--sshd-config", str(big), "-f", "json"])
    assert r.returncode == 0, r.stderr
    assert "the rest ignored" in r.stdout
