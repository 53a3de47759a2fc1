"""Runs scenarios (each in both logging modes, in parallel) and assembles their captures."""

from __future__ import annotations

import json
import shutil
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sshlab import journal
from sshlab.env import NEUTRAL_ROOT, LabEnv, sshd_version
from sshlab.job import Job
from sshlab.rsyslog import FILES, PrivateRsyslog, parse_5424, slice_lines

ScenarioFn = Callable[[Job], None]

#: Text files of a capture directory (journal/export files are derived from them).
TEXT_FILES = ("sshd_config", "server-E.log", "server-E.times", "actions.txt", "meta.json")


@dataclass
class Outcome:
    """The result of one job: the finished job, or the error that stopped it."""

    job: Job
    error: str | None = None


@dataclass
class ScenarioCapture:
    """Where one scenario's captures were assembled, and what went wrong, if anything."""

    name: str
    dir: Path
    errors: list[str] = field(default_factory=list)
    syslog: bool = True


def run_job(env: LabEnv, name: str, fn: ScenarioFn, mode: str, base: Path) -> Outcome:
    """Run one scenario in one mode; everything it started is stopped on the way out."""
    job = Job(env, name, mode, base)
    try:
        with job:
            fn(job)
    except Exception:
        return Outcome(job, traceback.format_exc())
    return Outcome(job)


def run_all(
    env: LabEnv,
    scenarios: dict[str, ScenarioFn],
    base: Path,
    rsyslog: PrivateRsyslog | None,
    out: Path,
    workers: int = 8,
) -> dict[str, ScenarioCapture]:
    """Run every scenario in both modes (only -E without rsyslog) and assemble captures."""
    modes = ("E", "syslog") if rsyslog is not None else ("E",)
    jobs = [(name, fn, mode) for name, fn in scenarios.items() for mode in modes]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_job, env, n, f, m, base) for n, f, m in jobs]
        outcomes = [f.result() for f in futures]
    lines5424: list[str] = []
    framed: dict[str, list[str]] = {}
    if rsyslog is not None:
        import time

        time.sleep(1.0)  # let rsyslogd write out its last batch
        lines5424 = _read_lines(rsyslog.path("5424"))
        framed = {form: _read_lines(rsyslog.path(form)) for form in ("3164", "3339")}
        if any(len(v) != len(lines5424) for v in framed.values()):
            raise RuntimeError("rsyslog capture files are not aligned")
    captures: dict[str, ScenarioCapture] = {}
    for name in scenarios:
        mine = {o.job.mode: o for o in outcomes if o.job.scenario == name}
        captures[name] = assemble(name, mine, lines5424, framed, out / name, base)
    return captures


def _read_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def assemble(
    name: str,
    outcomes: dict[str, Outcome],
    lines5424: list[str],
    framed: dict[str, list[str]],
    dest: Path,
    base: Path,
) -> ScenarioCapture:
    """Copy one scenario's files into ``dest``, rewriting machine paths to neutral ones."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    cap = ScenarioCapture(name, dest, syslog="syslog" in outcomes)
    cap.errors = [f"{m}: {o.error}" for m, o in outcomes.items() if o.error]
    ejob = outcomes["E"].job
    for fname in ("server-E.log", "server-E.times"):
        if (ejob.dir / fname).exists():
            shutil.copy(ejob.dir / fname, dest / fname)
    main = outcomes.get("syslog", outcomes["E"]).job
    for fname in ("sshd_config", *main.clients):
        if (main.dir / fname).exists():
            shutil.copy(main.dir / fname, dest / fname)
    for fname in ejob.clients:
        if (ejob.dir / fname).exists():
            shutil.copy(ejob.dir / fname, dest / fname.replace(".txt", "-E.txt"))
    actions = [f"# mode {m}\n{(o.job.dir / 'actions.txt').read_text()}" for m, o in outcomes.items()
               if (o.job.dir / "actions.txt").exists()]  # fmt: skip
    (dest / "actions.txt").write_text("".join(actions))
    (dest / "sshd-version.txt").write_text(sshd_version() + "\n")
    meta: dict[str, object] = {
        "scenario": name,
        "client_addrs": {m: o.job.addr for m, o in outcomes.items()},
        "raw_ports": {m: o.job.raw_ports for m, o in outcomes.items()},
        "extra_addrs": {m: o.job.extra_addrs for m, o in outcomes.items()},
        "clients": {m: o.job.clients for m, o in outcomes.items()},
        "seconds": {m: round((o.job.end - o.job.start).total_seconds(), 2)
                    for m, o in outcomes.items()},
    }  # fmt: skip
    if "syslog" in outcomes:
        sjob = outcomes["syslog"].job
        idx = slice_lines(lines5424, [sjob.addr, *sjob.extra_addrs], sjob.listener_pids,
                          sjob.start, sjob.end)  # fmt: skip
        for form, lines in framed.items():
            (dest / FILES[form][0]).write_text("".join(lines[i] + "\n" for i in idx))
        parsed = [p for p in (parse_5424(lines5424[i]) for i in idx) if p is not None]
        (dest / "sshd.export").write_bytes(journal.export(parsed))
        meta["syslog_lines"] = len(idx)
    (dest / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    neutralize(dest, [str(base), str(ejob.env.root)])
    return cap


def neutralize(dest: Path, roots: Iterable[str]) -> None:
    """Rewrite temporary machine paths in every text file of ``dest`` to NEUTRAL_ROOT."""
    for path in dest.iterdir():
        if path.suffix == ".journal":
            continue
        data = path.read_bytes()
        for root in sorted(set(roots), key=len, reverse=True):
            data = data.replace(root.encode(), NEUTRAL_ROOT.encode())
        path.write_bytes(data)
