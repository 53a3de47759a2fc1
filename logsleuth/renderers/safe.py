"""Make text from logs safe to show: no terminal control, no markup, no spreadsheet formulas.

Attackers write the log (an unauthenticated client chooses the user name sshd logs; any
local user can write ``sshd``-tagged lines), so every string a renderer takes from a log
or a file name goes through one of these helpers:

- :func:`visible` for terminals and plain text (text, markdown, html, csv, stderr):
  C0 controls, DEL, C1 controls and the Unicode bidirectional overrides become visible
  escapes (``\\x1b``, ``\\n``, ``\\u202e``), so no escape sequence, line break or
  reordering reaches the reader. Every other character, ``[`` and ``]`` included, is kept.
- :func:`text` for rich: a :class:`rich.text.Text` of the visible string, never parsed as
  markup (``[bold]`` or ``[link=...]`` in a user name stays literal).
- :func:`json_escape` / :func:`dumps` for JSON and NDJSON: JSON already escapes C0; these
  also escape DEL, C1 (U+0085 included) and U+2028/U+2029 as ``\\uXXXX``, which keeps the
  value exact for a program and the document free of raw control characters.
- :func:`csv_cell` for spreadsheets: :func:`visible`, then a leading ``=``, ``+``, ``-``
  or ``@`` is neutralised with a ``'`` so the cell is never evaluated as a formula.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.text import Text

#: Characters never written raw: C0, DEL, C1, and the bidi embeddings/overrides/isolates.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: What JSON's encoder leaves raw but a terminal or a JavaScript parser may act on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

#: Leading characters a spreadsheet takes as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@")


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    named = _NAMED.get(c)
    if named is not None:
        return named
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``value`` as a string with every control character shown as an escape (``\\x1b``)."""
    s = value if isinstance(value, str) else str(value)
    return UNSAFE.sub(_escape, s) if UNSAFE.search(s) else s


def text(value: object, style: str = "") -> Text:
    """A rich cell that shows ``value`` literally: escaped, and never parsed as markup."""
    return Text(visible(value), style=style)


def visible_lines(rendered: str) -> str:
    """A multi-line rendering with every line made :func:`visible` (the newlines kept)."""
    return "\n".join(visible(line) for line in rendered.split("\n"))


def json_escape(encoded: str) -> str:
    """JSON text with DEL, C1, U+2028/U+2029 and bidi controls written as ``\\uXXXX``.

    Safe on a whole document: these characters can only occur inside JSON strings.
    """
    if encoded.isascii():  # every such character is beyond ASCII; this test is O(1)
        return encoded
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` (non-ASCII kept readable) with :func:`json_escape` applied."""
    kwargs.setdefault("ensure_ascii", False)
    return json_escape(json.dumps(value, **kwargs))


def csv_cell(value: object) -> str:
    """A CSV cell from log text: :func:`visible`, and a formula prefix neutralised with ``'``.

    Pass numbers as numbers (not through this): ``-5`` would become ``'-5``.
    """
    s = visible(value)
    return "'" + s if s.startswith(FORMULA_PREFIXES) else s


def has_raw_control(rendered: str, allow: str = "\n") -> bool:
    """Whether rendered output still holds a raw control character (other than ``allow``)."""
    return any(c not in allow for c in UNSAFE.findall(rendered))
