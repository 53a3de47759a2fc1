"""The triage's data files load, and their loader refuses what does not fit the catalogue."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

from logsleuth.catalogue import builtin_dir, load
from logsleuth.errors import CatalogueError
from logsleuth.triage import triage_text
from logsleuth.triage.knowledge import knowledge, parse

REFINE = tomllib.loads((builtin_dir() / "triage_refine.toml").read_text(encoding="utf-8"))
CORPUS = Path(__file__).resolve().parent / "corpus"
PASTES = Path(__file__).resolve().parent / "pastes"


def _with(rule: dict) -> dict:
    return {**REFINE, "refine": [*REFINE["refine"], rule]}


def test_builtin_knowledge_loads_and_names_only_client_entries():
    k = knowledge()
    cat = load()
    assert k.rules
    for r in k.rules:
        for pid in r.ids | r.has | r.lacks:
            p = cat.get(pid)
            assert p is not None and p.side == "client"
    for ids in k.sets.values():
        assert all(cat.get(pid) is not None for pid in ids)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"ids": ["C999"], "cause": "unknown/x"}, "C999 is not an entry of the client catalogue"),
        ({"ids": ["A208"], "cause": "unknown/x"}, "A208 is not an entry of the client catalogue"),
        ({"ids": ["C340"], "field": "text", "contains": ["x"]}, "C340 captures no field 'text'"),
        ({"ids": ["C323"], "cause": "nonsense/x"}, "known family"),
        ({"ids": ["C323"], "stage": "lunch"}, "unknown stage 'lunch'"),
        ({"ids": ["C323"], "progress": ["later"]}, "unknown progress values"),
        ({"ids": ["C323"], "has": ["C000"]}, "C000 is not an entry"),
        ({"ids": ["C323"], "colour": "red"}, "unknown keys ['colour']"),
        ({"ids": ["C323"], "contains": ["x"]}, "need a field"),
        ({"ids": ["C323"], "proxied": "yes"}, "proxied must be true or false"),
    ],
)
def test_loader_rejects_a_bad_rule(rule, message):
    with pytest.raises(CatalogueError) as exc:
        parse(_with(rule), load())
    assert any(message in p for p in exc.value.problems), exc.value.problems


def test_loader_rejects_a_missing_set():
    data = {**REFINE, "sets": {k: v for k, v in REFINE["sets"].items() if k != "headers"}}
    with pytest.raises(CatalogueError) as exc:
        parse(data, load())
    assert any("lacks headers" in p for p in exc.value.problems)


def test_every_refinement_rule_decides_some_paste(monkeypatch):
    # No dead rules: each one is the rule that decided at least one paste of the tests
    # (pastes, corpus) or of a line made for it below.
    diag = importlib.import_module("logsleuth.triage.diagnose")

    used: set[int] = set()
    original = diag._refine

    def spy(h, attempt, f):
        ids = {x.pid for x in attempt.hits if x.pid is not None}
        for r in knowledge().rules_for(h.pid):
            if diag._holds(r, h, attempt, f, ids):
                used.add(r.index)
                break
        return original(h, attempt, f)

    extra = [
        "debug1: Connection established.\nConnection reset by 192.0.2.1 port 22",
        "Unable to negotiate with 192.0.2.1 port 22: no matching MAC found. Their offer: hmac-md5",
        "Unable to negotiate with 192.0.2.1 port 22: no matching compression method found. "
        "Their offer: zlib",
        "ssh_dispatch_run_fatal: Connection to 192.0.2.1 port 22: Connection timed out",
        "ssh_dispatch_run_fatal: Connection to 192.0.2.1 port 22: No route to host",
        'debug1: Authenticated to h ([192.0.2.1]:22) using "publickey".\n'
        "ssh_dispatch_run_fatal: Connection to 192.0.2.1 port 22: incorrect signature",
        'debug1: Authenticated to h ([192.0.2.1]:22) using "publickey".\n'
        "ssh_dispatch_run_fatal: Connection to 192.0.2.1 port 22: error in libcrypto",
        'debug1: Authenticated to h ([192.0.2.1]:22) using "publickey".\n'
        "ssh_dispatch_run_fatal: Connection to 192.0.2.1 port 22: invalid format",
        'debug1: Authenticated to h ([192.0.2.1]:22) using "publickey".\n'
        "ssh_dispatch_run_fatal: Connection to 192.0.2.1 port 22: message authentication code "
        "incorrect",
        "Received disconnect from 192.0.2.1 port 22:2: Too many connections",
        "Received disconnect from 192.0.2.1 port 22:14: No supported authentication methods "
        "available",
        "Received disconnect from 192.0.2.1 port 22:2: Authentication failed",
        "Received disconnect from 192.0.2.1 port 22:2: Packet corrupt",
        "Received disconnect from 192.0.2.1 port 22:11: Bye",
        'debug1: Authenticated to h ([192.0.2.1]:22) using "publickey".\n'
        "Connection closed by 192.0.2.1 port 22",
        'debug1: Authenticated to h ([192.0.2.1]:22) using "publickey".\n'
        "Connection reset by 192.0.2.1 port 22",
        "no such identity: /home/a/.ssh/id_x: No such file or directory\n"
        "Permission denied (publickey).",
        "Could not open a connection to your authentication agent.\nPermission denied (publickey).",
        "debug1: Offering public key: /home/a/.ssh/id_ed25519 ED25519 SHA256:x\n"
        "debug1: Server accepts key: /home/a/.ssh/id_ed25519 ED25519 SHA256:x\n"
        "Permission denied (publickey).",
        'Load key "/home/a/.ssh/id_rsa": bad permissions\nPermission denied (publickey).',
        "Connecting to 192.0.2.1 port 22\nRemote version: SSH-2.0-OpenSSH_9.6\n"
        "Network error: Connection timed out",
        "Received disconnect from 192.0.2.1 port 22:11: sshd shutting down",
        "$ ssh -o ProxyCommand='connect-proxy %h %p' h\n"
        "kex_exchange_identification: Connection closed by remote host",
        "debug1: SSH2_MSG_KEXINIT sent\ndebug1: SSH2_MSG_KEXINIT received\n"
        "Connection closed by 192.0.2.1 port 22",
        'Load key "/home/a/.ssh/id_ed25519": incorrect passphrase supplied to decrypt private key',
        'Load key "/home/a/.ssh/id_ed25519": error in libcrypto',
        'sign_and_send_pubkey: signing failed for ED25519 "k" from agent: '
        "communication with agent failed",
        "channel 0: open failed: connect failed: Connection refused\nstdio forwarding failed",
        "kex_exchange_identification: banner line 0: SSH-1.5-OldBox",
    ]
    monkeypatch.setattr(diag, "_refine", spy)
    for folder in (PASTES, CORPUS):
        for p in sorted(folder.glob("*.txt")):
            triage_text(p.read_text(encoding="utf-8", errors="replace"))
    for text in extra:
        triage_text(text)
    unused = [r for r in knowledge().rules if r.index not in used]
    assert not unused, "\n".join(f"{sorted(r.ids)} {r.cause} {r.stage}" for r in unused)


ADVICE = tomllib.loads((builtin_dir() / "triage_advice.toml").read_text(encoding="utf-8"))


def _advice_with(entry: dict) -> dict:
    return {**ADVICE, "advice": [*ADVICE["advice"], entry]}


_OK = {"causes": ["unknown/x"], "summary": "s", "explanation": "e", "remedy": "r", "confirm": "c"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**_OK, "summary": "{hostname}"}, "unknown values ['hostname']"),
        ({**_OK, "causes": ["nonsense/x"]}, "known family"),
        ({**_OK, "when": "sometimes"}, "unknown flag 'sometimes'"),
        ({**_OK, "scan": "no-such-advice"}, "has no entry 'no-such-advice'"),
        ({**_OK, "scan": "silence-window"}, "needs values"),
        ({**_OK, "confirm": ""}, "confirm is empty"),
        ({**_OK, "colour": "red"}, "unknown keys"),
    ],
)
def test_wording_loader_rejects_a_bad_entry(entry, message):
    from logsleuth.advice import load_templates
    from logsleuth.triage.wording import parse as parse_wording

    with pytest.raises(CatalogueError) as exc:
        parse_wording(_advice_with(entry), load_templates())
    assert any(message in p for p in exc.value.problems), exc.value.problems


def test_every_cause_the_rules_give_has_its_own_wording():
    from logsleuth.triage.wording import wording

    worded = {c for e in wording().entries for c in e.causes}
    causes = {r.cause for r in knowledge().rules if r.cause}
    # These are refined further by the server's line (server_evidence) or worded by the
    # catalogue entry (the catch-all); every other cause has its own words.
    missing = causes - worded - {"unknown/pre-banner-text"} - {"*"}
    assert not missing, missing


def test_server_settings_come_from_scans_advice_file():
    from logsleuth.advice import load_templates

    scan = {t.id: t for t in load_templates()}
    text = (
        "Jun 12 09:31:40 vps1 sshd[811]: drop connection #10 from [198.51.100.59]:59789 on "
        "[192.0.2.112]:22 past MaxStartups\n"
        "kex_exchange_identification: read: Connection reset by peer\n"
    )
    (r,) = triage_text(text)
    assert r.cause == "server-limit/maxstartups"
    expected = scan["maxstartups"].snippet.format(
        host="HOST", start="20", rate="30", full="100", grace_s="30"
    )
    assert expected in r.remedy_snippet
    (drop,) = triage_text("client_loop: send disconnect: Broken pipe\n")
    assert scan["path-idle-limit"].snippet.format(host="HOST", keepalive_s=60) in (
        drop.remedy_snippet
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"ids": ["C305"], "fill": {"colour": ["host"]}}, "unknown fact 'colour'"),
        ({"ids": ["C305"], "fill": {"user": ["user"]}}, "C305 captures none of ['user']"),
        ({"ids": ["C999"], "flag": "authenticated"}, "C999 is not an entry"),
        ({"ids": ["C316"], "flag": "happy"}, "unknown flag 'happy'"),
        ({"ids": ["C302"], "parse": "guess", "field": "command"}, "unknown parse 'guess'"),
        ({"ids": ["C314"], "when": {"method": ["password"]}}, "when needs a flag"),
    ],
)
def test_loader_rejects_a_bad_fact_rule(rule, message):
    data = {**REFINE, "facts": [*REFINE["facts"], rule]}
    with pytest.raises(CatalogueError) as exc:
        parse(data, load())
    assert any(message in p for p in exc.value.problems), exc.value.problems
