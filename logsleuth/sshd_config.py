"""Read the server settings the diagnosis needs from sshd_config or ``sshd -T`` output."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from logsleuth.errors import LogsleuthError, SourceError
from logsleuth.limits import MAX_INT32, bounded_int

#: sshd_config(5) keywords (lower case), to tell a configuration from any other file.
KEYWORDS = frozenset(
    """
    acceptenv addressfamily allowagentforwarding allowgroups allowstreamlocalforwarding
    allowtcpforwarding allowusers authenticationmethods authorizedkeyscommand
    authorizedkeyscommanduser authorizedkeysfile authorizedprincipalscommand
    authorizedprincipalscommanduser authorizedprincipalsfile banner casignaturealgorithms
    channeltimeout challengeresponseauthentication chrootdirectory ciphers clientalivecountmax
    clientaliveinterval compression denygroups denyusers disableforwarding
    exposeauthinfo fingerprinthash forcecommand gatewayports gssapiauthentication
    gssapicleanupcredentials gssapikexalgorithms gssapikeyexchange gssapistrictacceptorcheck
    gssapistorecredentialsonrekey hostbasedacceptedalgorithms hostbasedauthentication
    hostbasedusesnamefrompacketonly hostcertificate hostkey hostkeyagent hostkeyalgorithms
    ignorerhosts ignoreuserknownhosts include ipqos kbdinteractiveauthentication
    kerberosauthentication kerberosorlocalpasswd kerberosticketcleanup kexalgorithms
    listenaddress logingracetime loglevel logverbose macs match maxauthtries maxsessions
    maxstartups moduliFile passwordauthentication permitemptypasswords permitlisten
    permitopen permitrootlogin permittty permittunnel permituserenvironment permituserrc
    persourcemaxstartups persourcenetblocksize persourcepenalties persourcepenaltyexemptlist
    pidfile port printlastlog printmotd pubkeyacceptedalgorithms pubkeyacceptedkeytypes
    pubkeyauthentication pubkeyauthoptions rdomain refuseconnection rekeylimit
    requiredrsasize revokedkeys securitykeyprovider setenv streamlocalbindmask
    streamlocalbindunlink strictmodes subsystem syslogfacility tcpkeepalive
    trustedusercakeys unusedconnectiontimeout usedns usepam useprivilegeseparation
    versionaddendum x11displayoffset x11forwarding x11uselocalhost xauthlocation
    """.lower().split()
)

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: sshd itself refuses numbers and times above INT_MAX.
MAX_VALUE = MAX_INT32
#: More of a config than this is not read (sshd_config files are a few KiB).
MAX_CONFIG_BYTES = 4 << 20


class OutOfRange(ValueError):
    """A number sshd would refuse as too large."""


def parse_seconds(value: str) -> int | None:
    """sshd's time format: ``90``, ``2m``, ``1h30m``; None when it is not one.

    Raises :class:`OutOfRange` for a value sshd refuses (above INT_MAX seconds).
    """
    value = value.strip().lower()
    if not re.fullmatch(r"(?:\d+[smhdw]?)+", value):
        return None
    total = 0
    for n, u in re.findall(r"(\d+)([smhdw]?)", value):
        part = bounded_int(n, MAX_VALUE)
        if part is None:
            raise OutOfRange(value)
        total += part * _UNITS[u]
    if total > MAX_VALUE:
        raise OutOfRange(value)
    return total


@dataclass(frozen=True, slots=True)
class SshdSettings:
    """The settings that change what a log line means (OpenSSH defaults when absent)."""

    client_alive_interval: int = 0
    client_alive_count_max: int = 3
    login_grace_time: int = 120
    max_startups: str = "10:30:100"
    unused_connection_timeout: int | None = None
    source: str | None = None
    """Where the settings came from (None = OpenSSH defaults)."""
    values: Mapping[str, str] = field(default_factory=dict)
    """Every global keyword set (lower-case keyword -> value as written)."""

    def value(self, keyword: str) -> str | None:
        """The configured value of a keyword, None when the file did not set it."""
        return self.values.get(keyword.lower())

    @property
    def silence_window(self) -> int | None:
        """Seconds of silence before ``Timeout, client not responding`` (None if off)."""
        if self.client_alive_interval <= 0 or self.client_alive_count_max <= 0:
            return None
        return self.client_alive_interval * self.client_alive_count_max


def parse_sshd_config(text: str, source: str | None = None) -> SshdSettings:
    """Global settings of an sshd_config (first value wins, ``Match`` blocks skipped)."""
    seen: dict[str, str] = {}
    where: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\s*=\s*|\s+", line, maxsplit=1)
        key = parts[0].lower()
        if key == "match":
            break  # what follows is conditional; `sshd -T` output has no Match blocks
        if len(parts) == 2 and key in KEYWORDS and key not in seen:
            seen[key], where[key] = parts[1].strip(), lineno
    d = SshdSettings()

    def seconds(key: str) -> int | None:
        try:
            return parse_seconds(seen.get(key, ""))
        except OutOfRange:
            value = seen[key]
            shown = value if len(value) <= 40 else f"{value[:20]}... ({len(value)} characters)"
            raise LogsleuthError(
                f"{source or 'sshd_config'}:{where[key]}: {_NAMES.get(key, key)} {shown}: "
                "out of range",
                f"sshd accepts at most {MAX_VALUE}; fix the line or pass `sshd -T` output",
            ) from None

    def num(key: str, default: int) -> int:
        v = seconds(key)
        return default if v is None else v

    unused = seconds("unusedconnectiontimeout") if seen.get("unusedconnectiontimeout") else None
    return SshdSettings(
        client_alive_interval=num("clientaliveinterval", d.client_alive_interval),
        client_alive_count_max=num("clientalivecountmax", d.client_alive_count_max),
        login_grace_time=num("logingracetime", d.login_grace_time),
        max_startups=seen.get("maxstartups", d.max_startups),
        unused_connection_timeout=unused,
        source=source,
        values=dict(seen),
    )


_NAMES = {
    n.lower(): n
    for n in (
        "ClientAliveInterval",
        "ClientAliveCountMax",
        "LoginGraceTime",
        "UnusedConnectionTimeout",
    )
}


def load_sshd_config(path: str) -> SshdSettings:
    """Read an sshd_config file or saved ``sshd -T`` output."""
    try:
        with open(path, "rb") as fh:  # also a FIFO or a device: read with the bound
            data = fh.read(MAX_CONFIG_BYTES + 1)
        source = path
        if len(data) > MAX_CONFIG_BYTES:
            data = data[:MAX_CONFIG_BYTES]
            source = f"{path} (first {MAX_CONFIG_BYTES >> 20} MiB read, the rest ignored)"
        text = data.decode("utf-8", "replace")
        settings = parse_sshd_config(text, source)
    except FileNotFoundError:
        raise SourceError(path, "no such file", "give sshd_config or `sshd -T` output") from None
    except PermissionError:
        raise SourceError(
            path,
            "permission denied",
            "run with sudo, or save `sudo sshd -T` to a file and pass that",
        ) from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory", "give sshd_config or `sshd -T` output") from None
    if not settings.values and "match" not in text.lower():
        raise LogsleuthError(
            f"--sshd-config {path}: no sshd_config keyword in this file",
            "give /etc/ssh/sshd_config or the output of `sudo sshd -T`",
        )
    return settings


def load_host_configs(specs: Sequence[str]) -> dict[str, SshdSettings]:
    """``--sshd-config`` values: ``HOST=FILE`` for one host, a bare ``FILE`` for every host
    (key ``"*"``). A host given twice is a usage error."""
    out: dict[str, SshdSettings] = {}
    for spec in specs:
        host, sep, path = spec.partition("=")
        if not sep or not host or "/" in host or Path(spec).exists():
            host, path = "*", spec
        if host in out:
            raise LogsleuthError(
                f"--sshd-config given twice for {'every host' if host == '*' else host}",
                "give one file per host: --sshd-config HOST=FILE",
            )
        out[host] = load_sshd_config(path)
    return out


def settings_for(configs: Mapping[str, SshdSettings], host: str) -> SshdSettings | None:
    """The settings of one host: its own file, else the file for every host."""
    return configs.get(host) or configs.get("*")
