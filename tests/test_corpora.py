"""Regression test: the catalogue classifies the ssh lines of real public log corpora.

The corpora (``../shared/corpora`` next to the repository) come from the test suites of
fail2ban, Wazuh, OSSEC, CrowdSec, SSHGuard and Elastic, plus this project's own OpenSSH
lab captures. Each file has its own container format; :func:`corpus_lines` turns every
one into ``(line number, raw log line, failJSON label or None)``. The raw lines are then
parsed with the project's syslog header parser and the ssh lines must be classified.

Real logs (``wild-public``: plain files whose SOURCES.md gives the year of their lines)
are read the way a user's ``logsleuth scan FILE --year N`` reads them instead: the reader
auto-detection picks, the year comes from SOURCES.md, and the pipeline's classifier names
every ssh record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from logsleuth import catalogue
from logsleuth.classify import SSH_PROGRAMS, classify_record
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.sources import expand
from logsleuth.readers.syslog_header import parse_line

CORPORA = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
THRESHOLD = 0.98
YEAR = 2005  # fail2ban's harness assumes 2004/2005 for yearless lines; any year works here

# Files that hold no log lines of their own: provenance notes and lab bookkeeping.
# The lab's client.txt is the `ssh -vvv` side, which the client catalogue covers.
NOT_LOGS = {"SOURCES.md", "actions.txt", "client.txt"}

# Corpus files without any sshd line, and why they are in the corpus at all.
NO_SSHD_LINES = {
    "selinux-ssh": "auditd USER_AUTH/USER_LOGIN records about sshd, not sshd's own messages",
}

# Message prefixes in the corpora that no sshd writes, with the reason. Such lines are
# counted as neither matched nor unmatched. Keep this list short and explained.
NOT_SSHD = {
    # CrowdSec's negative test: sshd's remote-id preamble is only `authenticating user`,
    # `invalid user` or `user`, so "totobad user" is a hand-made line.
    "Disconnected from totobad user": "crafted line",
    # fail2ban's journal rendering with a kernel ring-buffer stamp glued onto the message
    # (its gh-... "systemd with kernel entry" cases); not an sshd message format.
    "kernel:": "journal artefact",
}

# fail2ban labels that this catalogue reads differently on purpose (exact messages).
# fail2ban assumes the text after `ssh2: ` was injected. sshd never writes auth info after
# a password failure, so sshd writes this line only for a user named
# `test from 127.0.0.1 port 58946 ssh2:` connecting from 10.10.1.2, which is what the
# right-anchored entry reports.
DISAGREE = {
    "Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: "
    "from 10.10.1.2 port 55555 ssh2",
}

# The header of fail2ban's journal rendering (`srv sshd[123]: msg`, no timestamp), which
# no syslog daemon writes and parse_line therefore does not accept.
_BARE_HEADER = re.compile(
    r"(?:(?P<host>[^\s\[\]:]+) )?(?P<prog>[^\s\[\]:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)"
)
# daemontools/socklog stamps (`2015-05-27T04:31:27.46667 auth.info: msg`): the program
# is replaced by the facility, so the message is taken as an sshd message.
_SOCKLOG = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+ (?:auth|authpriv)\.\w+: (?P<msg>.*)")
# `Mar  3 00:17:22 [sshd]: msg` and `Jun 25 23:53:34 [sshd] msg` (fail2ban's corpus).
_BRACKET_PROGRAM = re.compile(
    r"[A-Z][a-z]{2} [ \d]\d [\d:]{8} \[(?P<prog>[^\]\s]+)\]:? (?P<msg>.*)"
)
# What the syslog reader unwraps: `message repeated N times: [ msg]`.
_REPEATED = re.compile(r"message repeated \d+ times: \[ ?(?P<msg>.*)\]")
_INI_LOG = re.compile(r"log \d+ (?:pass|fail) = (?P<line>.*)")
_FAILJSON = "# failJSON:"


@dataclass(frozen=True)
class CorpusLine:
    """One log line of a corpus file, with what its container says about it."""

    lineno: int
    raw: str
    label: dict[str, object] | None = None
    bare: bool = False
    """The line is a bare sshd message with no syslog framing (SSHGuard test vectors)."""


def _syslog_lines(text: str) -> list[CorpusLine]:
    return [CorpusLine(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _fail2ban_lines(text: str) -> list[CorpusLine]:
    out: list[CorpusLine] = []
    label: dict[str, object] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith(_FAILJSON):
            label = json.loads(line[len(_FAILJSON) :])
        elif line.startswith("#") or not line.strip():
            continue
        else:
            out.append(CorpusLine(n, line, label))
            label = None
    return out


def _ini_lines(text: str) -> list[CorpusLine]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _INI_LOG.match(line)
        if m:
            out.append(CorpusLine(n, m.group("line")))
    return out


def _sshguard_lines(text: str) -> list[CorpusLine]:
    """The SSH section's test vectors: a line, then the expected result, then `M`."""
    out = []
    in_ssh = False
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        if line.startswith("#### SSH"):
            in_ssh = True
        elif in_ssh and line.startswith("# }}}"):
            break
        elif in_ssh and line.strip() and not line.startswith("#") and line != "M":
            expected = lines[n] if n < len(lines) else ""
            # Skip the expectation lines themselves (`100 1.2.3.4 4 10` or `*`).
            if re.fullmatch(r"\d+ \S+ \d \d+|\*", line):
                continue
            out.append(CorpusLine(n, line, {"expected": expected}, bare=True))
    return out


def corpus_lines(path: Path) -> list[CorpusLine]:
    """The log lines of one corpus file, whatever its container format."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ini":
        return _ini_lines(text)
    if path.name == "tests.txt":
        return _sshguard_lines(text)
    if _FAILJSON in text:
        return _fail2ban_lines(text)
    return _syslog_lines(text)


def ssh_message(line: CorpusLine) -> str | None:
    """The message of an sshd line (None for other programs' lines)."""
    h = parse_line(line.raw, YEAR)
    if h is not None:
        if h.program in SSH_PROGRAMS:
            return h.message
        m = _SOCKLOG.fullmatch(line.raw)
        return m.group("msg") if m and line.bare else None
    m = _BRACKET_PROGRAM.fullmatch(line.raw) or _BARE_HEADER.fullmatch(line.raw)
    if m and not line.bare:
        return m.group("msg") if m.group("prog") in SSH_PROGRAMS else None
    return line.raw if line.bare else None


def corpus_files() -> list[Path]:
    """Every corpus file that holds log lines."""
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.name not in NOT_LOGS)


def source_years() -> dict[Path, int]:
    """Real logs read as a user would, with the year their SOURCES.md gives.

    A folder whose SOURCES.md has a "Year of the lines" list holds plain logs (not test
    vectors in a container format); each listed file's first year is its first line's
    (``--year``), later lines follow the dates into the next year.
    """
    years: dict[Path, int] = {}
    for notes in CORPORA.rglob("SOURCES.md") if CORPORA.is_dir() else ():
        text = notes.read_text(encoding="utf-8")
        if "Year of the lines" not in text:
            continue
        for m in re.finditer(r"^- `([^`]+)`: (\d{4})", text, re.M):
            years[notes.parent / m.group(1)] = int(m.group(2))
    return years


FILES = corpus_files()
YEARS = source_years()
CAT = catalogue.load()
pytestmark = pytest.mark.skipif(not FILES, reason=f"no corpora at {CORPORA}")


def classify(message: str) -> tuple[str, dict[str, str]] | None:
    """The id and fields of the entry that matches a message, if any."""
    level, body, _ = catalogue.split_envelope(message)
    hit = CAT.match(body, "server", level)
    return None if hit is None else (hit[0].id, hit[1])


def sshd_messages(path: Path) -> list[tuple[CorpusLine, str]]:
    """The corpus lines of one file that are sshd messages (exclusions removed)."""
    out = []
    for line in corpus_lines(path):
        msg = ssh_message(line)
        if msg is None:
            continue
        m = _REPEATED.fullmatch(msg)
        if m:
            msg = m.group("msg")
        if any(msg.startswith(prefix) for prefix in NOT_SSHD):
            continue
        out.append((line, msg))
    return out


def read_as_a_user(path: Path) -> tuple[str, list[tuple[int, str, bool]]]:
    """(reader, [(line, message, classified)]) of a real log, through auto-detection.

    The same path as ``logsleuth scan FILE --year N``: the reader is the one detection
    picks, and every ssh record is classified as the pipeline does.
    """
    (source,), errors = expand([str(path)])
    assert errors == [], errors
    records = READERS[source.reader]().read(source.path, ReadOptions(year=YEARS[path]))
    out = [
        (rec.line, rec.message, classify_record(rec, CAT).pattern_id is not None)
        for rec in records
        if rec.program in SSH_PROGRAMS
    ]
    return source.reader, out


WILD = sorted(YEARS)


@pytest.mark.parametrize("path", WILD, ids=[str(p.relative_to(CORPORA)) for p in WILD])
def test_real_log_read_as_a_user_is_classified(path: Path) -> None:
    reader, lines = read_as_a_user(path)
    assert lines, f"{path.name}: no sshd lines read by the {reader} reader"
    unmatched = [f"{n}: {msg}" for n, msg, ok in lines if not ok]
    share = 1 - len(unmatched) / len(lines)
    assert share >= THRESHOLD, (
        f"{reader}: {share:.1%} of {len(lines)} sshd lines classified; unmatched:\n"
        + "\n".join(unmatched)
    )


def test_real_logs_get_the_reader_their_content_calls_for() -> None:
    if not WILD:
        pytest.skip("no real logs with years in the corpora")
    readers = {p.name: read_as_a_user(p)[0] for p in WILD}
    assert {r for n, r in readers.items() if "journalctl" in n} == {"journalctl"}
    assert {r for n, r in readers.items() if "journalctl" not in n} == {"syslog"}


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPORA)) for p in FILES])
def test_corpus_file_is_classified(path: Path) -> None:
    if path in YEARS:
        pytest.skip("a real log: read as a user reads it (test_real_log_read_as_a_user_...)")
    lines = sshd_messages(path)
    if not lines:
        assert path.name in NO_SSHD_LINES, f"{path.name}: no sshd lines found"
        return
    unmatched = [f"{line.lineno}: {msg}" for line, msg in lines if classify(msg) is None]
    share = 1 - len(unmatched) / len(lines)
    assert share >= THRESHOLD, (
        f"{share:.1%} of {len(lines)} sshd lines classified; unmatched:\n" + "\n".join(unmatched)
    )


# fail2ban's test files: log lines labelled by `# failJSON:` comments.
FAIL2BAN = [
    p
    for p in FILES
    if p.name not in NO_SSHD_LINES and _FAILJSON in p.read_text(encoding="utf-8", errors="replace")
]


@pytest.mark.parametrize("path", FAIL2BAN, ids=[p.name for p in FAIL2BAN])
def test_fail2ban_labelled_hosts_are_the_client_ip(path: Path) -> None:
    checked = 0
    for line, msg in sshd_messages(path):
        label = line.label or {}
        host = label.get("host")
        if label.get("match") is not True or not isinstance(host, str):
            continue
        hit = classify(msg)
        assert hit is not None, f"{line.lineno}: labelled as a failure but unmatched: {msg}"
        if host not in msg:
            # fail2ban took the address from an earlier line of the same pid (its
            # multi-line mode); the message itself names no address.
            assert "ip" not in hit[1], f"{line.lineno}: {msg}"
            continue
        if msg in DISAGREE:
            continue
        # fail2ban reports IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as plain IPv4.
        ip = hit[1].get("ip", "").removeprefix("::ffff:")
        assert ip == host, f"{line.lineno}: {hit[0]} gave {hit[1]} for {msg}"
        checked += 1
    assert checked > 0


def test_header_fallbacks_are_needed_only_for_odd_framings() -> None:
    assert parse_line("srv sshd[1]: Invalid user a from 192.0.2.1", YEAR) is None
    line = CorpusLine(1, "srv sshd[1]: Invalid user a from 192.0.2.1")
    assert ssh_message(line) == "Invalid user a from 192.0.2.1"
    bare = CorpusLine(1, "Invalid user a from 192.0.2.1", bare=True)
    assert ssh_message(bare) == "Invalid user a from 192.0.2.1"
    assert ssh_message(CorpusLine(1, "Invalid user a from 192.0.2.1")) is None
