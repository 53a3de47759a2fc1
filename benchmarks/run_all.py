"""One benchmark run: logsleuth next to grep and fail2ban-regex on the same file.

Usage::

    python benchmarks/run_all.py [--lines 1000000] [--runs 3] [--journal 200000] [--quick]

Generates (once, cached in benchmarks/data/) a real-traffic-shaped auth.log
(``gen_authlog.py --mix real``) and, for the journal row, a journal directory
(``bench_journald.py``'s builder), then runs every command ``--runs`` times as a child
process and prints one Markdown table: median wall time, lines per second, CPU time and
the peak RSS of the command's processes together, plus the load average before and
after, so that numbers from a busy machine can be told apart. ``fail2ban-regex`` comes
from the Debian package ``fail2ban``; when it is missing the runner installs it with
apt-get if it may (root), else the row says so.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
PY = sys.executable


@dataclass
class Row:
    """One benchmarked command."""

    name: str
    argv: list[str]
    lines: int
    note: str = ""
    setup: list[str] | None = None
    """Run before each measured run, not measured (e.g. remove the database)."""


#: The children run as an installed program does: with its byte code written once and
#: reused (an environment that sets PYTHONDONTWRITEBYTECODE would make every run of a
#: checkout compile every module again, ~0.5 s).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm(checkouts: list[Path]) -> None:
    """Compile each checkout's modules once, before any run is timed."""
    for root in checkouts:
        subprocess.run(
            [PY, "-m", "compileall", "-q", str(root / "logsleuth")],
            env=CHILD_ENV,
            check=False,
            stdout=subprocess.DEVNULL,
        )


def _tree_rss(pid: int) -> int:
    """Resident KiB of a process and its children now (0 once it is gone)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")), 0)
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(argv: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS (KiB) and exit code of one run.

    CPU time and RSS count the command's child processes too (a split scan's helpers):
    the CPU time from ``wait4``, the RSS as the largest sum over the process tree,
    sampled every 20 ms (or the largest single process's peak, if that is larger).
    On a shared machine the CPU time is the steadier number: other jobs stretch the wall
    time of a run, much less the CPU time it needs.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=CHILD_ENV
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, max(usage.ru_maxrss, peak[0]), proc.returncode


def fail2ban_regex() -> str | None:
    """The fail2ban-regex executable, installed from Debian's fail2ban if possible."""
    exe = shutil.which("fail2ban-regex")
    if exe is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "fail2ban"],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        exe = shutil.which("fail2ban-regex")
    return exe


def authlog(lines: int) -> Path:
    """The real-traffic-shaped auth.log of ``lines`` lines (generated once)."""
    path = DATA / f"auth-real-{lines}.log"
    if not path.exists():
        subprocess.run(
            [
                PY,
                str(ROOT / "benchmarks" / "gen_authlog.py"),
                str(lines),
                str(path),
                "--mix",
                "real",
            ],
            check=True,
        )
    return path


def journal(entries: int) -> Path | None:
    """A journal directory of ``entries`` sshd entries (generated once), if it can be built."""
    work = DATA / f"journal-{entries}"
    jdir = work / "journal"
    if jdir.is_dir() and any(jdir.iterdir()):
        return jdir
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_journald
    except ImportError:
        return None
    if not any(Path(r).exists() for r in bench_journald.REMOTE):
        return None
    work.mkdir(parents=True, exist_ok=True)
    return bench_journald.build(entries, work)["journal"]


def transcript(copies: int) -> Path:
    """A pasted ``ssh -vvv`` transcript made of the lab's client sides."""
    path = DATA / f"triage-{copies}.txt"
    if not path.exists():
        texts = sorted((ROOT / "tests" / "data" / "lab").glob("*/client.txt"))
        body = "".join(t.read_text(encoding="utf-8") for t in texts)
        path.write_text(body * copies, encoding="utf-8")
    return path


def count(path: Path) -> int:
    """Lines in a file."""
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def rows(
    log: Path, n: int, jdir: Path | None, paste: Path, db: Path, baseline: Path | None = None
) -> list[Row]:
    ls = [PY, "-m", "logsleuth"]
    out = [
        # Piped: GNU grep stops at the first match when its output is /dev/null.
        Row(
            "grep -cE (floor)",
            ["sh", "-c", 'grep -cE "sshd(-session|-auth)?\\[" "$1" | cat', "sh", str(log)],
            n,
        ),
        # Both ways explicitly: by default a scan splits only while a CPU is idle, and the
        # runs of this table keep the load average up.
        Row(
            "logsleuth scan --format json --jobs 2",
            [*ls, "scan", str(log), "-f", "json", "--jobs", "2"],
            n,
        ),
        Row(
            "logsleuth scan --format json --jobs 1",
            [*ls, "scan", str(log), "-f", "json", "--jobs", "1"],
            n,
        ),
    ]
    if baseline is not None:
        # The same command from a checkout of an earlier commit, for before/after figures.
        code = (
            f"import sys; sys.path.insert(0, {str(baseline)!r}); "
            "from logsleuth.cli import main; main()"
        )
        out.append(
            Row(
                f"logsleuth scan --format json ({baseline.name})",
                [PY, "-c", code, "scan", str(log), "-f", "json"],
                n,
            )
        )
    out += [
        Row(
            "logsleuth scan --format text --jobs 2",
            [*ls, "scan", str(log), "-f", "text", "--jobs", "2"],
            n,
        ),
        Row(
            "logsleuth ingest (new database)",
            [*ls, "ingest", str(log), "--db", str(db), "--quiet"],
            n,
            setup=["rm", "-f", str(db), f"{db}.wal"],
        ),
        Row("logsleuth report --format json", [*ls, "report", "--db", str(db), "-f", "json"], n),
    ]
    if jdir is not None:
        entries = int(jdir.parent.name.split("-")[-1])
        out.append(
            Row(
                "logsleuth scan --journal-dir (json, one host: --jobs 1)",
                [*ls, "scan", "--journal-dir", str(jdir), "-f", "json", "--jobs", "1"],
                entries,
            )
        )
    out.append(Row("logsleuth triage (paste)", [*ls, "triage", str(paste)], count(paste)))
    exe = fail2ban_regex()
    if exe is not None:
        out.append(Row("fail2ban-regex FILE sshd", [exe, str(log), "sshd"], n))
    else:
        out.append(
            Row("fail2ban-regex FILE sshd", [], n, note="not installed (apt-get install fail2ban)")
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Run every row and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--journal", type=int, default=200_000, help="journal entries (0: skip)")
    ap.add_argument("--only", default="", help="run only rows whose name contains this")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of an earlier commit: adds its scan --format json row",
    )
    args = ap.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    log = authlog(args.lines)
    n = count(log)
    jdir = journal(args.journal) if args.journal else None
    paste = transcript(20)
    work = Path(tempfile.mkdtemp(prefix="logsleuth-bench-"))
    db = work / "bench.duckdb"
    load_before = os.getloadavg()
    warm([ROOT] + ([args.baseline] if args.baseline else []))
    env_rows = rows(log, n, jdir, paste, db, args.baseline)
    results: list[tuple[Row, float | None, float | None, int | None]] = []
    for row in env_rows:
        if args.only and args.only not in row.name:
            continue
        if not row.argv:
            results.append((row, None, None, None))
            continue
        walls, cpus, rss = [], [], 0
        for _ in range(args.runs):
            if row.setup:
                subprocess.run(row.setup, check=False)
            wall, cpu, peak, code = measure(row.argv)
            if code not in (0, 1):
                row.note = f"exit code {code}"
            walls.append(wall)
            cpus.append(cpu)
            rss = max(rss, peak)
        results.append((row, statistics.median(walls), statistics.median(cpus), rss))
        print(
            f"  {row.name}: {statistics.median(walls):.2f} s wall, "
            f"{statistics.median(cpus):.2f} s CPU, runs {', '.join(f'{w:.2f}' for w in walls)}",
            file=sys.stderr,
        )
    load_after = os.getloadavg()
    shutil.rmtree(work, ignore_errors=True)
    f2b = next((w for r, w, _, _ in results if r.name.startswith("fail2ban") and w), None)
    f2b_cpu = next((c for r, _, c, _ in results if r.name.startswith("fail2ban") and c), None)
    print(f"input: {log.name}, {n:,} lines; median of {args.runs} runs")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after"
    )
    print()
    print(
        "| command | wall (s) | lines/s | CPU (s) | peak RSS (MiB) "
        "| vs fail2ban-regex (wall) | (CPU) | note |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for row, wall, cpu, rss in results:
        if wall is None or cpu is None:
            print(f"| `{row.name}` | - | - | - | - | - | - | {row.note} |")
            continue
        speed = f"{f2b / wall:.1f}x" if f2b else "-"
        cpu_speed = f"{f2b_cpu / cpu:.1f}x" if f2b_cpu and cpu else "-"
        print(
            f"| `{row.name}` | {wall:.2f} | {row.lines / wall:,.0f} | {cpu:.2f} "
            f"| {(rss or 0) / 1024:.0f} | {speed} | {cpu_speed} | {row.note} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
