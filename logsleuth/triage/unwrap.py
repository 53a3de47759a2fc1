"""Find the ssh lines inside what people really paste.

ssh's own lines arrive wrapped: VS Code's Remote-SSH log puts ``[hh:mm:ss.mmm] >`` before
each line of ssh's output (and logs its own lines around them), mail and Markdown quotes
add ``> ``, Ansible packs ssh's stderr into a JSON or YAML ``msg`` string with escaped line
breaks (or a ``(255, b'...', b'...')`` tuple at -vvvv), CI logs add timestamps. This
module undoes the wrapping and keeps each line's number in the paste, so evidence still
points at the line the user pasted.
"""

from __future__ import annotations

import json
import re

#: A line of VS Code's Remote-SSH log.
_VSCODE_TS = re.compile(r"^\[\d{2}:\d{2}:\d{2}\.\d{3}\] ")
_VSCODE_CMD = re.compile(r"^Running script with connection command: (?P<cmd>.+)$")
#: Mail / Markdown quote marks at the start of a line (``> ``, ``>> ``, ``> > ``).
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_ANSIBLE_PREFIX = "Failed to connect to the host via ssh: "
_ANSIBLE_JSON = re.compile(r'"msg": "(?P<msg>(?:[^"\\]|\\.)*)"')
_ANSIBLE_YAML = re.compile(r"\bmsg: '(?P<msg>(?:[^']|'')*)'")
_ANSIBLE_EXEC = re.compile(r"^<[^<>\s]+> SSH: EXEC (?P<cmd>.+)$")
_ANSIBLE_RESULT = re.compile(
    r"^<[^<>\s]+> \(-?\d+, b'(?P<out>(?:[^'\\]|\\.)*)', b'(?P<err>(?:[^'\\]|\\.)*)'\)$"
)
_ESCAPED_BREAK = re.compile(r"\\r\\n|\\n|\\r")


def _ansible_lines(raw: str) -> list[str] | None:
    """The ssh lines packed in an Ansible result on this line, if it holds one."""
    m = _ANSIBLE_RESULT.match(raw.strip())
    if m:
        return [s for s in _ESCAPED_BREAK.split(m.group("err")) if s.strip()]
    if _ANSIBLE_PREFIX not in raw:
        return None
    m = _ANSIBLE_JSON.search(raw)
    if m:
        try:
            msg = json.loads(f'"{m.group("msg")}"')
        except ValueError:
            msg = m.group("msg")
    else:
        y = _ANSIBLE_YAML.search(raw)
        msg = y.group("msg").replace("''", "'") if y else raw.split(_ANSIBLE_PREFIX, 1)[1]
    msg = msg.split(_ANSIBLE_PREFIX, 1)[-1]
    # JSON unescaping gives real breaks; a few writers leave them escaped.
    parts = re.split(r"\r\n|\n|\r", _ESCAPED_BREAK.sub("\n", msg))
    return [p for p in parts if p.strip()]


def _is_vscode(lines: list[str]) -> bool:
    stamped = sum(1 for line in lines[:400] if _VSCODE_TS.match(line))
    return stamped >= 1 and any(
        line[m.end() :].startswith(">")
        for line in lines[:400]
        if (m := _VSCODE_TS.match(line)) is not None
    )


def unwrap(text: str) -> list[tuple[int, str]]:
    """The paste's lines without wrappers: (1-based line number in the paste, text)."""
    lines = text.replace("\r\n", "\n").split("\n")
    vscode = _is_vscode(lines)
    out: list[tuple[int, str]] = []
    for no, raw in enumerate(lines, start=1):
        packed = _ansible_lines(raw)
        if packed is not None:
            out.extend((no, part) for part in packed)
            continue
        m = _ANSIBLE_EXEC.match(raw.strip())
        if m:
            out.append((no, "$ " + m.group("cmd")))
            continue
        if vscode:
            ts = _VSCODE_TS.match(raw)
            body = raw[ts.end() :] if ts else raw
            cmd = _VSCODE_CMD.match(body)
            if cmd:
                out.append((no, "$ " + cmd.group("cmd")))
            elif body.startswith(">"):
                # ssh's output; VS Code's own log lines around it are dropped.
                out.append((no, body[1:].lstrip()))
            continue
        out.append((no, _QUOTE.sub("", raw, count=1)))
    return out
