"""Which sshd process writes which line: the table in ``patterns/processes.toml``.

The sessionizer joins the processes of one TCP connection by these facts, not by
guesses: a listener line never belongs to a connection by its pid; only a line the user
child (or an old pre-auth child) may write can be the first line of a process that joins
an existing connection; a line that ends its process (``exits``) ends that pid's
lifetime. The loader checks the table against the catalogue.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from logsleuth.catalogue import Catalogue, builtin_dir
from logsleuth.catalogue import load as load_catalogue
from logsleuth.errors import CatalogueError

PROCESSES: dict[str, str] = {
    "listener": "the sshd master that accepts connections",
    "monitor": "the per-connection privileged process (sshd <= 9.7, sshd-session >= 9.8)",
    "preauth": "the pre-auth child or PAM helper logging under its own pid",
    "child": "the post-auth user child",
}
#: The process of an entry the table does not list, by its catalogue role.
ROLE_DEFAULT = {
    "server": "listener",
    "drop": "listener",
    "pid-end": "listener",
    "host": "listener",
}
_VERSIONS = re.compile(r"^(?:all|[<>]=? ?\d+\.\d+|\d+\.\d+ ?- ?\d+\.\d+)$")


@dataclass(frozen=True, slots=True)
class Writer:
    """What the table says about the lines of one catalogue entry."""

    processes: frozenset[str]
    """Every process that may write it, over all OpenSSH versions."""
    exits: bool = False
    """The writing process ends right after the line."""
    client_address: bool = True
    """The entry's ``ip`` field is the client's address."""

    @property
    def may_be_child(self) -> bool:
        """Whether a process other than the connection's monitor may write it."""
        return bool(self.processes & {"child", "preauth"})

    @property
    def listener(self) -> bool:
        """Whether only the listener writes it."""
        return self.processes == {"listener"}


MONITOR = Writer(frozenset({"monitor"}))
LISTENER = Writer(frozenset({"listener"}))
#: An unlisted ending: written by the monitor or a child; not assumed to end its process.
ENDING = Writer(frozenset({"monitor", "child"}))


class WriterTable:
    """The writer of every catalogue entry (listed, or the default of its role)."""

    def __init__(self, listed: dict[str, Writer], roles: dict[str, str]) -> None:
        self._listed = listed
        self._roles = roles

    def of(self, pattern_id: str | None, role: str | None = None) -> Writer:
        """The writer of an entry's lines; an unmatched line is the monitor's."""
        if pattern_id is not None and pattern_id in self._listed:
            return self._listed[pattern_id]
        role = role if role is not None else self._roles.get(pattern_id or "")
        if ROLE_DEFAULT.get(role or "") == "listener":
            return LISTENER
        return ENDING if role == "end" else MONITOR


def parse(data: dict[str, object], cat: Catalogue, where: str = "processes.toml") -> WriterTable:
    """Validate the table against the catalogue; raise CatalogueError listing every problem."""
    problems: list[str] = []
    listed: dict[str, Writer] = {}
    groups = data.get("writer", [])
    if not isinstance(groups, list):
        raise CatalogueError([f"{where}: `writer` must be an array of tables"])
    for n, raw in enumerate(groups, 1):
        at = f"{where}: writer #{n}"
        if not isinstance(raw, dict):
            problems.append(f"{at}: must be a table")
            continue
        unknown = set(raw) - {"what", "patterns", "processes", "exits", "client_address"}
        if unknown:
            problems.append(f"{at}: unknown key(s) {', '.join(sorted(unknown))}")
        if not raw.get("what"):
            problems.append(f"{at}: `what` must say which lines these are")
        procs: set[str] = set()
        for p in raw.get("processes", []):
            if not isinstance(p, dict) or p.get("process") not in PROCESSES:
                problems.append(f"{at}: process must be one of {', '.join(PROCESSES)}: {p!r}")
            elif not _VERSIONS.match(str(p.get("versions", ""))):
                problems.append(f"{at}: versions {p.get('versions')!r} is not a version range")
            else:
                procs.add(str(p["process"]))
        if not procs:
            problems.append(f"{at}: names no process")
        writer = Writer(
            frozenset(procs), bool(raw.get("exits", False)), bool(raw.get("client_address", True))
        )
        for pid in raw.get("patterns", []):
            p = cat.get(str(pid))
            if p is None:
                problems.append(f"{at}: no catalogue entry {pid}")
            elif p.id in listed:
                problems.append(f"{at}: {pid} is listed twice")
            elif writer.listener != (ROLE_DEFAULT.get(p.role) == "listener"):
                problems.append(f"{at}: {pid} has role {p.role!r}, which disagrees with the writer")
            else:
                listed[p.id] = writer
    if problems:
        raise CatalogueError(problems)
    return WriterTable(listed, {p.id: p.role for p in cat})


def load(cat: Catalogue | None = None, path: Path | None = None) -> WriterTable:
    """The table of the built-in catalogue (cached) or of ``path`` against ``cat``."""
    if cat is None and path is None:
        return _builtin()
    cat = cat or load_catalogue()
    path = path or builtin_dir() / "processes.toml"
    return parse(tomllib.loads(path.read_text(encoding="utf-8")), cat, path.name)


@cache
def _builtin() -> WriterTable:
    return load(load_catalogue(), builtin_dir() / "processes.toml")
