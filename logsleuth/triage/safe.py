"""Make values taken from a paste safe to print inside a command or a config snippet.

A paste is text anyone could have written: a "host name" may hold ``;``, ``$(...)``,
backticks, ``|``, spaces or line breaks. Such a value is shell-quoted where a quoted form
means the same, and otherwise replaced by a placeholder (with a note saying so); it is
never used as an ssh_config ``Host`` pattern, where quoting does not help.
"""

from __future__ import annotations

import re
import shlex

#: A word a shell passes through unchanged (no quoting, globbing or expansion).
_PLAIN = re.compile(r"[A-Za-z0-9._@%+=:,/~-]+")
#: A host name or address as ssh_config's Host line may hold it.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]{2,45}")
#: A user name as ssh_config's User and sshd_config's Match User may hold it.
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
#: Characters cmd.exe interprets even inside double quotes.
_CMD_SPECIAL = re.compile(r'["%!^&|<>]')


def shell_arg(value: str | None) -> str | None:
    """The value as one shell word: as is when plain, quoted otherwise; None if unusable."""
    if not value or _CONTROL.search(value) or len(value) > 1024:
        return None
    if _PLAIN.fullmatch(value) and not value.startswith("-"):
        return value
    if value.startswith("-"):
        return None  # would read as an option whatever the quoting
    return shlex.quote(value)


def host_pattern(value: str | None) -> str | None:
    """The value when it is a plain host name or address, usable after ``Host``."""
    return value if value and _HOST.fullmatch(value) else None


def user_name(value: str | None) -> str | None:
    """The value when it is a plain user name, usable after ``User`` / ``Match User``."""
    return value if value and _USER.fullmatch(value) else None


def config_value(value: str | None) -> str | None:
    """A value for an ssh_config line (a path): quoted when it has spaces; None if unusable."""
    if not value or _CONTROL.search(value) or '"' in value or "#" in value:
        return None
    return f'"{value}"' if " " in value or "\t" in value else value


def windows_path(value: str | None) -> str | None:
    """A Windows path in double quotes for cmd.exe / PowerShell; None if unusable."""
    if not value or _CONTROL.search(value) or _CMD_SPECIAL.search(value):
        return None
    return f'"{value}"'
