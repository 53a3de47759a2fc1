"""Redactions people put into pastes: ``<ip>``, ``<port>``, ``x.x.x.x``, ``[redacted]``,
``<external lb IP>``, ``user@<host>``.

ssh never prints ``<`` or ``[word]`` in a host, address, port or user field, so such a
token is a redaction, never text a server injected. A line that only matches a catalogue
entry once its redactions are replaced by stand-ins of the right shape is matched that
way; the captured fields get the redaction back, and :func:`is_placeholder` lets callers
treat it as "not known".
"""

from __future__ import annotations

import re

PLACEHOLDER_RE = re.compile(
    r"<[^<>\s][^<>\n]{0,38}>"
    r"|\[(?:redacted|removed|hidden|masked|censored|snip|ip|host|hostname|server|user|username)\]"
    r"|(?<![\w.])(?=[\d.]*[xX*])(?:\d{1,3}|[xX]{1,3}|\*{1,3})(?:\.(?:\d{1,3}|[xX]{1,3}|\*{1,3})){3}(?![\w.])",
    re.IGNORECASE,
)
_PORT_BEFORE = re.compile(r"(?:port |:)$")


def is_placeholder(value: str | None) -> bool:
    """Whether a captured value is (or holds) a redaction."""
    return bool(value) and PLACEHOLDER_RE.search(value or "") is not None


def stand_in(body: str) -> tuple[str, dict[str, str]]:
    """The body with each redaction replaced by a stand-in, and stand-in -> redaction."""
    back: dict[str, str] = {}
    parts: list[str] = []
    last = 0
    for i, m in enumerate(PLACEHOLDER_RE.finditer(body)):
        before = body[last : m.start()]
        parts.append(before)
        # A port position needs digits; elsewhere an address fits every host/ip field.
        token = str(61000 + i) if _PORT_BEFORE.search(body[: m.start()]) else f"198.18.0.{i + 1}"
        back[token] = m.group(0)
        parts.append(token)
        last = m.end()
    parts.append(body[last:])
    return "".join(parts), back


def restore(value: str, back: dict[str, str]) -> str:
    """A captured field with its stand-ins turned back into the redactions."""
    for token in sorted(back, key=len, reverse=True):
        value = value.replace(token, back[token])
    return value
