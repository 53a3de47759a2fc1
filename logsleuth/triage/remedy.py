"""Put a finding into words: summary, explanation, the fix as ready-to-paste text, and what
to look for in the server's log to confirm it.

The words are data (``patterns/triage_advice.toml``, loaded by :mod:`wording`); this module
computes the values they use from the finding: numbers from the evidence, and values from
the paste made safe for the command or config line they land in (:mod:`safe`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from logsleuth.triage.diagnose import Finding
from logsleuth.triage.safe import config_value, host_pattern, shell_arg, user_name, windows_path
from logsleuth.triage.stages import STAGE_TEXT
from logsleuth.triage.wording import Entry, Wording, wording

#: What a client transcript never shows: the client's own address, as the server sees it.
CLIENT_IP = "YOUR-IP"
_RSA_LINE = "\n    PubkeyAcceptedAlgorithms +ssh-rsa  # if you log in with an RSA key"
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_DROP_NUMBER = re.compile(r"drop connection #(?P<n>\d+)")


@dataclass(frozen=True)
class Advice:
    """The words of a finding."""

    summary: str
    explanation: str
    remedy_text: str
    snippet: str
    confirm: str


def keepalive_interval(silence: float | None) -> int:
    """A ServerAliveInterval below half the observed silence (60 when none was seen)."""
    if silence is None:
        return 60
    for value in (60, 30, 15, 10, 5):
        if value < silence / 2:
            return value
    return 5


class _Values:
    """The values of one finding, made safe for where they are used; notes on refusals."""

    def __init__(self, w: Wording) -> None:
        self.w = w
        self.notes: list[str] = []

    def safe(
        self, what: str, value: str | None, make: Callable[[str | None], str | None], ph: str
    ) -> str:
        if not value:
            return ph
        made = make(value)
        if made is None:
            shown = repr(value[:60])
            self.notes.append(
                self.w.phrases["unsafe"].format(what=what, shown=shown, placeholder=ph)
            )
            return ph
        return made


def _first_field(fd: Finding, *names: str) -> str | None:
    hits = [fd.decisive] if fd.decisive is not None else []
    hits += [
        h for h in fd.attempt.matched if h.pattern is not None and h.pattern.family != "session"
    ]
    for h in hits:
        for n in names:
            if h.fields.get(n):
                return h.fields[n]
    return None


def _offered_key(fd: Finding) -> str | None:
    for key in fd.facts.offered:
        first = key.split()[0]
        if "/" in first or "\\" in first:
            return first
    return None


def _keygen_r(fd: Finding, v: _Values, host: str | None, port: int) -> str:
    path = _first_field(fd, "path", "kg_path")
    opt = f" -f {v.safe('known_hosts path', path, shell_arg, '~/.ssh/known_hosts')}" if path else ""
    out = []
    for name in dict.fromkeys(x for x in (host, fd.facts.ip) if x):
        dest = name if port == 22 else f"[{name}]:{port}"
        out.append(f"ssh-keygen{opt} -R {v.safe('host', dest, shell_arg, 'HOST')}")
    return "\n".join(out) or f"ssh-keygen{opt} -R HOST"


def _negotiation(fd: Finding, w: Wording, fields: dict[str, str]) -> dict[str, str]:
    kind = fd.cause.rsplit("-", 1)[1]
    offer_text = fields.get("offer") or fields.get("server") or ""
    offer = [a for a in offer_text.split(",") if a]
    legacy = w.legacy.get(kind, ())
    pick, cost = next(
        ((a, why) for a, why in legacy if a in offer), (offer[0] if offer else "", "unknown")
    )
    rsa = kind == "hostkey" and pick == "ssh-rsa"
    return {
        "what": fields.get("what", kind),
        "offer_text": offer_text or "algorithms",
        "pick": pick or "ALGORITHM",
        "cost": cost,
        "option_name": w.options.get(kind, "KexAlgorithms"),
        "pubkey_rsa_line": _RSA_LINE if rsa else "",
    }


def _flags(fd: Finding, w: Wording, fields: dict[str, str], path: str | None) -> frozenset[str]:
    flags = set()
    if fd.facts.offered:
        flags.add("offered")
    if path and ("\\" in path or _DRIVE.match(path)):
        flags.add("windows-path")
    if fd.cause.startswith("negotiation-failure/no-common-"):
        kind = fd.cause.rsplit("-", 1)[1]
        offer = [a for a in (fields.get("offer") or fields.get("server") or "").split(",") if a]
        known = [a for a, _ in w.legacy.get(kind, ())[2:]]
        if fd.facts.client == "putty" or (offer and not any(a in offer for a in known)):
            flags.add("client-too-old")
    return frozenset(flags)


def _keepalive(fd: Finding, w: Wording) -> tuple[int, str]:
    silence = fd.silence_s
    interval = keepalive_interval(silence)
    if silence is None:
        key = "keepalive_none"
    elif silence < 20:
        key = "keepalive_short"
    else:
        key = "keepalive_long"
    text = w.phrases[key].format(
        interval=interval, silence=f"{silence or 0:.0f}", probes="", stage_text="",
        what="", shown="", placeholder="",
    )  # fmt: skip
    return interval, text


def _startups(fd: Finding) -> tuple[str, str]:
    """MaxStartups' first number and why: above the drop count a pasted server line shows."""
    for h in fd.evidence:
        m = _DROP_NUMBER.search(h.line.text)
        if m:
            n = int(m.group("n"))
            start = max(20, -(-(n * 3 // 2) // 10) * 10)
            return str(start), (
                f"The server's line shows {n} unauthenticated connections at the time; "
                f"{start} leaves room above that peak."
            )
    return "START", (
        "The paste does not show how many connections were waiting: replace START with a "
        "number above the peak your server's log shows (`logsleuth scan` computes it)."
    )


def _values(fd: Finding, w: Wording) -> tuple[dict[str, str], list[str], Entry]:
    f = fd.facts
    fields = dict(fd.decisive.fields) if fd.decisive is not None else {}
    v = _Values(w)
    host = f.host or f.ip
    port = f.port or 22
    path = _first_field(fd, "path", "w_path", "term_path")
    if path and "\\" in path:
        path = path.replace("\\\\", "\\")
    key = _offered_key(fd) or "~/.ssh/id_ed25519"
    p = fd.decisive.pattern if fd.decisive is not None else None
    interval, basis = _keepalive(fd, w)
    user = f.user or "USER"
    vals: dict[str, str] = {
        "host": host or "the server",
        "host_arg": v.safe("host", host, shell_arg, "HOST"),
        "host_pattern": v.safe("host", host, host_pattern, "HOST"),
        "port": str(port),
        "user": user,
        "user_arg": v.safe("user", f.user, shell_arg, "USER"),
        "user_cfg": v.safe("user", f.user, user_name, "USER"),
        "ip_arg": v.safe("address", f.ip or host, shell_arg, "SERVER"),
        "client_ip": CLIENT_IP,
        "jump_arg": v.safe("jump host", f.jump, shell_arg, "JUMP"),
        "jump_cfg": v.safe("jump host", f.jump, host_pattern, "JUMP"),
        "error": fields.get("error", ""),
        "error_or_no_route": fields.get("error", "no route"),
        "text": fields.get("text", ""),
        "command": fields.get("command", "the proxy program"),
        "spec": fields.get("spec", ""),
        "how": "reset" if fd.cause.endswith("reset") else "closed",
        "said": f" after sending `{fields['text']}`" if fields.get("text") else "",
        "kind": fd.cause.split("/", 1)[1].replace("-", " "),
        "keepalive_basis": basis,
        "probes_note": w.phrases["probes"].format(
            probes=f.keepalive_probes, interval="", silence="", stage_text="",
            what="", shown="", placeholder="",
        ) if f.keepalive_probes else "",  # fmt: skip
        "took": f" after {f.session_seconds:g} s" if f.session_seconds is not None else "",
        "greeted": f" as {fields['user']}" if fields.get("user") else "",
        "signal": fields.get("signal", "?"),
        "n_offered": str(len(f.offered)),
        "key_arg": v.safe("key path", key, shell_arg, "KEYFILE"),
        "key_cfg": v.safe("key path", key, config_value, "KEYFILE"),
        "methods": f.allowed_methods or "publickey",
        "path": path or "the key file",
        "path_arg": v.safe("path", path, shell_arg, "KEYFILE"),
        "path_win": v.safe("path", path, windows_path, "KEYFILE"),
        "dir_arg": v.safe("path", path.rsplit("/", 1)[0] if path and "/" in path else None,
                          shell_arg, "KEYDIR"),  # fmt: skip
        "mode": fields.get("mode") or _first_field(fd, "mode") or "too open",
        "option": _first_field(fd, "option") or "OPTION",
        "option_cfg": v.safe("option", _first_field(fd, "option"), host_pattern, "OPTION"),
        "no_error": w.phrases["no_error"].format(
            stage_text=STAGE_TEXT.get(fd.stage, fd.stage), interval="", silence="",
            probes="", what="", shown="", placeholder="",
        ),  # fmt: skip
        "entry_summary": p.summary if p is not None else "",
        "entry_explanation": p.explanation if p is not None else "",
        "entry_remedy": p.remedy if p is not None else "",
        "startups_basis": "",
        "what": "", "offer_text": "", "pick": "", "cost": "", "option_name": "",
        "pubkey_rsa_line": "",
    }  # fmt: skip
    if fd.cause.startswith("negotiation-failure/no-common-"):
        vals.update(_negotiation(fd, w, fields))
    vals["keygen_r"] = _keygen_r(fd, v, host, port) if fd.family == "host-key" else ""
    vals["auth_confirm"] = (
        f"`Failed publickey/password for {user} from {CLIENT_IP} port PORT ssh2` (wrong "
        f"credentials), `Failed ... for invalid user {user}` (no such user), `Authentication "
        "refused: bad ownership or modes` (permissions of ~/.ssh on the server), "
        f"`User {user} from {CLIENT_IP} not allowed because ...` or `ROOT LOGIN REFUSED` "
        "(policy), `userauth_pubkey: signature algorithm ... not in PubkeyAcceptedAlgorithms`."
    )
    start, why = _startups(fd)
    vals["startups_basis"] = why
    entry = w.entry(fd.cause, _flags(fd, w, fields, path))
    if entry.scan is not None and entry.scan.snippet:
        full = str(max(100, 2 * int(start))) if start.isdigit() else "100"
        scan_vals = {
            "host": vals["host_pattern"],
            "keepalive_s": str(interval),
            "start": start,
            "rate": "30",
            "full": full,
            "grace_s": "30",
        }
        vals["scan_snippet"] = entry.scan.snippet.format(**scan_vals)
    return vals, v.notes, entry


def advise(finding: Finding) -> Advice:
    """The advice for one finding, worded by the data file."""
    w = wording()
    vals, notes, e = _values(finding, w)
    snippet = e.snippet.format(**vals)
    if "scan_snippet" in vals:
        snippet = "\n\n".join(s for s in (snippet, vals["scan_snippet"]) if s)
    remedy = e.remedy.format(**vals)
    if notes:
        remedy = " ".join([remedy, *dict.fromkeys(notes)])
    return Advice(
        e.summary.format(**vals),
        e.explanation.format(**vals).strip(),
        remedy.strip(),
        snippet,
        e.confirm.format(**vals),
    )
