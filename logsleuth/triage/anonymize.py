"""Replace IPs, host names, user names, key fingerprints and home paths with pseudonyms.

The same value always gets the same pseudonym within a run: pseudonyms are a keyed hash
(HMAC-SHA256) of the value. The key is random per process, so pseudonyms cannot be
reversed by hashing guesses; set ``LOGSLEUTH_ANON_KEY`` to keep them stable across runs.
Pseudonyms keep the shape of what they replace (an IPv4 stays an IPv4), so the triage
reads the same. Host and user names are learnt from where ssh prints them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Iterable

_RUN_KEY = os.environ.get("LOGSLEUTH_ANON_KEY", "").encode() or secrets.token_bytes(16)

# Domains inside algorithm names (curve25519-sha256@libssh.org), not hosts.
_NOT_HOSTS = frozenset(
    {
        "openssh.com",
        "libssh.org",
        "ssh.com",
        "*",
        "%h",
        "UNKNOWN",
        "localhost",
        "HOST",
        "none",
        "yes",
        "no",
    }
)
_TLDS = (
    "com|net|org|io|dev|de|uk|fr|nl|eu|us|ch|at|se|no|dk|fi|pl|cz|ru|cn|jp|in|br|au|ca|"
    "co|info|biz|app|cloud|xyz|me|local|lan|internal|corp|home|intra|example|test|"
    "localdomain|arpa"
)
_FQDN_RE = re.compile(
    rf"(?<![\w.@/-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
    rf"(?:{_TLDS})(?![\w-])",
    re.IGNORECASE,
)
# Where ssh, PuTTY and shells print host and user names.
_HOST_CONTEXTS = [
    re.compile(p)
    for p in (
        r"Connecting to (\S+) \[",
        r"Authenticating to (\S+?):\d+ as",
        r"Authenticated to (\S+) \(",
        r"Connection to (\S+) (?:closed|port)",
        r"connect to host (\S+) port",
        r"resolve hostname (\S+?):",
        r"Timeout, server (\S+) not",
        r"Read from remote host (\S+?):",
        r"Host '\[?([^'\]]+)\]?(?::\d+)?' is known",
        r"Permanently added '\[?([^'\]]+)",
        r"[Hh]ost key for (\S+) has changed",
        r"is known for (\S+) and",
        r"authenticity of host '\[?([^' \]]+)",
        r"Applying options for (\S+)",
        r'Looking up host "([^"]+)"',
        r'-R "?\[?([^"\s\]]+)',
        r"-J (\S+)",
        r"ProxyJump[ =](\S+)",
        r"-W '?\[?([^\]':\s]+)",
        r"ssh: (\S+): Name or service",
        r"Unable to open connection to (\S+)",
        r"\bHost (\S+)$",
        r"\bHostName (\S+)",
    )
]
_USER_CONTEXTS = [
    re.compile(p)
    for p in (
        r"as '([^']+)'$",
        r'Using username "([^"]+)"',
        r"login as: (\S+)",
        r"-l (\S+)",
        r"for (?:invalid user |illegal user )?(\S+) from",
        r"\bUser (\S+)$",
        r"\buser (\S+) (?:from|[0-9A-Fa-f:.]+ port)",
    )
]
# The server's software string (it names the distribution and its patch level).
_SOFTWARE_CONTEXTS = [
    re.compile(r"remote software version (.+)$"),
    re.compile(r"(?:Remote|Server) version: SSH-[\d.]+-(.+)$"),
]
# Key comments (often a person's name or mail address) where ssh and ssh-add print them.
_KEY_ID = re.compile(
    r"(?:Offering (?:[A-Z0-9-]+ )?public key|Server accepts key|Will attempt key|"
    r"Trying private key|Authentication succeeded \(publickey\) using): "
    r"(?P<id>.+?) (?:[A-Z0-9-]+(?:-CERT)?) SHA256:"
)
_COMMENT_CONTEXTS = [
    re.compile(r"Identity added: \S+ \((.+)\)$"),
    re.compile(r"^\d+ SHA256:\S+ (.+) \([A-Z0-9-]+\)$"),
    re.compile(r"with the key named (.+), but \w+ does not provide"),
]
_USER_AT_HOST = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*)@(\[?[A-Za-z0-9][\w.:-]*\]?)")
_HOME_RE = r"(?P<home>/home/|/Users/|/var/home/|[A-Za-z]:\\Users\\)(?P<homeuser>[^/\\\s'\"]+)"
_ROOT_RE = r"(?P<root>(?<![\w/])/root)(?=[/\s'\"]|$)"
_FP_RE = (
    r"(?P<sha>SHA256:[A-Za-z0-9+/]{20,}={0,2})|(?P<md5>(?:MD5:)?(?:[0-9a-f]{2}:){15}[0-9a-f]{2})"
    r"|(?P<blob>AAAA[A-Za-z0-9+/]{40,}={0,2})"
)
_IP6 = r"(?P<ip6>(?<![\w:.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:%\w+)?(?![\w:]))"
_IP4 = r"(?P<ip4>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d))"


class Anonymizer:
    """A consistent replacement of sensitive values in text."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or _RUN_KEY
        self.hosts: set[str] = set()
        self.users: set[str] = set()
        self.literals: dict[str, str] = {}
        """Other values to hide, by kind: ``software``, ``comment``."""
        self._rx: re.Pattern[str] | None = None

    def _digest(self, kind: str, value: str) -> bytes:
        return hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).digest()

    def pseudonym(self, kind: str, value: str) -> str:
        """The pseudonym of one value of a kind (user, host, ip4, ip6, sha, md5, blob)."""
        d = self._digest(kind, value)
        if kind == "ip4":
            return f"10.{d[0]}.{d[1]}.{d[2]}"
        if kind == "ip6":
            return f"fd00::{d[0]:02x}{d[1]:02x}:{d[2]:02x}{d[3]:02x}"
        if kind == "sha":
            return "SHA256:" + base64.b64encode(d + d[:1]).decode()[:43]
        if kind == "md5":
            return ":".join(f"{b:02x}" for b in d[:16])
        if kind == "blob":
            return "AAAA" + base64.b64encode(d).decode().rstrip("=")
        return f"{kind}-{d.hex()[:6]}"

    def learn(self, lines: Iterable[str]) -> None:
        """Collect host and user names from the places ssh prints them."""
        for line in lines:
            for rx in _HOST_CONTEXTS:
                for m in rx.finditer(line):
                    self._add_host(m.group(1))
            for rx in _USER_CONTEXTS:
                for m in rx.finditer(line):
                    self.add_user(m.group(1))
            for m in _USER_AT_HOST.finditer(line):
                host = m.group(2).strip("[]").split(":")[0].rstrip(".")
                if host.lower() not in _NOT_HOSTS:
                    self.add_user(m.group(1))
                    self._add_host(host)
            for m in _FQDN_RE.finditer(line):
                self._add_host(m.group(0))
            for m in re.finditer(_HOME_RE, line):
                self.add_user(m.group("homeuser"))
            for rx in _SOFTWARE_CONTEXTS:
                for m in rx.finditer(line):
                    self._add_literal("software", m.group(1))
            for m in _KEY_ID.finditer(line):
                key_id = m.group("id")
                if not key_id.startswith(("/", "~", "\\")) and not re.match(r"[A-Za-z]:", key_id):
                    self._add_literal("comment", key_id)
            for rx in _COMMENT_CONTEXTS:
                for m in rx.finditer(line):
                    self._add_literal("comment", m.group(1))
        self._rx = None

    def _add_literal(self, kind: str, value: str) -> None:
        value = value.strip()
        if len(value) >= 3:
            self.literals.setdefault(value, kind)

    def _add_host(self, host: str) -> None:
        host = host.strip("[]'\".,:;()")
        if not host or host in _NOT_HOSTS or host.lower() in _NOT_HOSTS or "%" in host:
            return
        if _is_ip(host.split("%")[0]):
            return
        self.hosts.add(host)

    def add_user(self, user: str | None) -> None:
        """Treat this value as a user name."""
        user = (user or "").strip("'\"")
        if user and user not in ("USER", "%r", "*", "invalid", "illegal"):
            self.users.add(user)
            self._rx = None

    def _regex(self) -> re.Pattern[str]:
        if self._rx is None:
            names = sorted(self.hosts | self.users, key=len, reverse=True)
            alts = [_FP_RE, _HOME_RE, _ROOT_RE, _IP6, _IP4]
            if self.literals:
                lits = sorted(self.literals, key=len, reverse=True)
                alts.insert(0, "(?P<lit>" + "|".join(re.escape(x) for x in lits) + ")")
            if names:
                joined = "|".join(re.escape(n) for n in names)
                alts.append(rf"(?P<name>(?<![\w.-])(?:{joined})(?![\w-]|\.\w))")
            self._rx = re.compile("|".join(alts))
        return self._rx

    def __call__(self, text: str) -> str:
        """The text with every sensitive value replaced by its pseudonym."""
        return self._regex().sub(self._replace, text)

    def _replace(self, m: re.Match[str]) -> str:
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind == "lit":
            return self.pseudonym(self.literals[value], value)
        if kind in ("sha", "blob"):
            return self.pseudonym(kind, value)
        if kind == "md5":
            prefix = "MD5:" if value.startswith("MD5:") else ""
            return prefix + self.pseudonym(kind, value.removeprefix("MD5:"))
        if kind in ("home", "homeuser"):
            return m.group("home") + self.pseudonym("user", m.group("homeuser"))
        if kind == "root":
            return "/" + self.pseudonym("user", "root")
        if kind == "ip6":
            # The candidate may swallow a trailing ":" ("host 2001:db8::1: No route").
            core = value.rstrip(":")
            if _is_ip(core.split("%")[0]):
                return self.pseudonym(kind, core) + value[len(core) :]
            return value
        if kind == "ip4":
            # ssh also accepts leading zeros (010.020.030.040): hide those too.
            parts = value.split(".")
            if all(int(x) <= 255 for x in parts):
                return self.pseudonym(kind, ".".join(str(int(x)) for x in parts))
            return value
        if value in self.users and value not in self.hosts:
            return self.pseudonym("user", value)
        return self.pseudonym("host", value)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
