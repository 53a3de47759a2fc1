"""Read the server settings the diagnosis needs from sshd_config or ``sshd -T`` output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from logsleuth.errors import SourceError

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_seconds(value: str) -> int | None:
    """sshd's time format: ``90``, ``2m``, ``1h30m``; None when it is not one."""
    value = value.strip().lower()
    if not re.fullmatch(r"(?:\d+[smhdw]?)+", value):
        return None
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([smhdw]?)", value))


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

    @property
    def silence_window(self) -> int | None:
        """Seconds of silence before ``Timeout, client not responding`` (None if off)."""
        if self.client_alive_interval <= 0 or self.client_alive_count_max <= 0:
            return None
        return self.client_alive_interval * self.client_alive_count_max


def parse_sshd_config(text: str, source: str | None = None) -> SshdSettings:
    """Global settings of an sshd_config (first value wins, ``Match`` blocks skipped)."""
    seen: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"\s*=\s*|\s+", line, maxsplit=1)
        key = parts[0].lower()
        if key == "match":
            break  # what follows is conditional; `sshd -T` output has no Match blocks
        if len(parts) == 2:
            seen.setdefault(key, parts[1].strip())
    d = SshdSettings()

    def num(key: str, default: int) -> int:
        v = parse_seconds(seen.get(key, ""))
        return default if v is None else v

    unused = seen.get("unusedconnectiontimeout")
    return SshdSettings(
        client_alive_interval=num("clientaliveinterval", d.client_alive_interval),
        client_alive_count_max=num("clientalivecountmax", d.client_alive_count_max),
        login_grace_time=num("logingracetime", d.login_grace_time),
        max_startups=seen.get("maxstartups", d.max_startups),
        unused_connection_timeout=parse_seconds(unused) if unused else None,
        source=source,
    )


def load_sshd_config(path: str) -> SshdSettings:
    """Read an sshd_config file or saved ``sshd -T`` output."""
    try:
        return parse_sshd_config(Path(path).read_text(encoding="utf-8", errors="replace"), path)
    except FileNotFoundError:
        raise SourceError(path, "no such file", "give sshd_config or `sshd -T` output") from None
    except PermissionError:
        raise SourceError(
            path,
            "permission denied",
            "run with sudo, or save `sudo sshd -T` to a file and pass that",
        ) from None
