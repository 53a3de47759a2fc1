"""Processes started by the lab: started, found and stopped strictly by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (read from /proc)."""
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    """All descendants of ``pid``, parents before children."""
    out: list[int] = []
    todo = [pid]
    while todo:
        kids = children(todo.pop(0))
        out.extend(kids)
        todo.extend(kids)
    return out


def alive(pid: int) -> bool:
    """Whether ``pid`` still exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def signal_pids(pids: Sequence[int], sig: int) -> None:
    """Send ``sig`` to each pid, ignoring the ones already gone."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pids: Sequence[int], timeout: float) -> bool:
    """Wait until none of ``pids`` is alive; True if they all went."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


def stop_tree(pid: int, timeout: float = 3.0) -> None:
    """Stop ``pid`` and its descendants: SIGCONT (frozen ones), SIGTERM, then SIGKILL."""
    pids = [pid, *descendants(pid)]
    signal_pids(pids, signal.SIGCONT)
    signal_pids(pids, signal.SIGTERM)
    if not wait_gone(pids, timeout):
        signal_pids(pids, signal.SIGKILL)
        wait_gone(pids, timeout)


def reap(proc: subprocess.Popen[bytes], timeout: float = 3.0) -> None:
    """Stop a child started with Popen (by its pid) and collect its exit status."""
    if proc.poll() is None:
        stop_tree(proc.pid, timeout)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout)
