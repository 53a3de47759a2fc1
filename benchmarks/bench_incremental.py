"""Time an incremental ingest: M new lines into a database that already holds N lines.

Usage::

    python benchmarks/bench_incremental.py [--base N] [--new M] [--runs R] [--data DIR]
                                           [--scan] [--reuse] [--baseline DIR]

Writes N + M lines of real-traffic shape (``gen_authlog.py --mix real``, cached in DIR,
default ``benchmarks/data``), ingests the first N lines into a new database once (timed:
the cost of building it), then R times: restores that database, appends the M new lines
to the log and runs ``logsleuth ingest`` again. Next to it, the same M lines ingested
into an empty database: the two times should match, because the cost of a run grows
with its new lines, not with what the database holds. ``--scan`` also times ``scan
--format json`` of the N-line file, to compare ``ingest`` with it (the target is within
1.25x). Every command is a fresh ``python -m logsleuth`` of this interpreter; its CPU time
(user + system) and peak RSS are the child's own (``wait4``). ``--reuse`` keeps the
N-line database built by an earlier run with the same N and M (building it is most of
the time); ``--baseline DIR`` also runs the M new lines with another checkout's
``logsleuth`` (``git worktree add DIR OLD``), alternating with this one, for before/after
figures from one sitting.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _env(checkout: Path) -> dict[str, str]:
    """The child's environment: this checkout's package, and byte-code caches as an
    installed logsleuth has them (``PYTHONDONTWRITEBYTECODE`` would recompile every
    module of every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(checkout)
    return env


def run(cmd: list[str], checkout: Path = ROOT) -> tuple[float, float, float]:
    """Run a logsleuth command (of ``checkout``): wall and CPU seconds, and the child's
    peak RSS in MiB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "logsleuth", *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=checkout,
        env=_env(checkout),
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.stderr.write(err[-2000:])
        raise SystemExit(f"logsleuth {cmd[0]} failed (exit code {code})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def lines_file(path: Path, n: int, seed: int) -> Path:
    """A cached real-traffic-shaped log of n lines."""
    if not path.exists():
        gen = ROOT / "benchmarks" / "gen_authlog.py"
        subprocess.run(
            [sys.executable, str(gen), str(n), str(path), "--mix", "real", "--seed", str(seed)],
            check=True,
        )
    return path


def split(whole: Path, base: Path, new: Path, n: int) -> int:
    """The first n lines of whole into base, the rest into new; base's byte size."""
    with open(whole, "rb") as src, open(base, "wb") as head, open(new, "wb") as tail:
        for i, line in enumerate(src):
            (head if i < n else tail).write(line)
        size = head.tell()
    stamp = whole.stat().st_mtime
    for p in (base, new):  # yearless stamps take their year from the mtime
        os.utime(p, (stamp, stamp))
    return size


def settle(path: Path) -> None:
    """Make the log look written a while ago, so its last line counts as whole."""
    t = time.time() - 60
    os.utime(path, (t, t))


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=1_000_000, help="lines already stored")
    ap.add_argument("--new", type=int, default=100_000, help="lines the run adds")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data")
    ap.add_argument("--scan", action="store_true", help="also time scan of the base file")
    ap.add_argument("--reuse", action="store_true", help="keep an N-line database built before")
    ap.add_argument("--baseline", type=Path, help="another checkout to time the same runs with")
    args = ap.parse_args(argv)
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    total = args.base + args.new
    whole = lines_file(data / f"auth-real-{total}.log", total, seed=3)
    work = data / f"incremental-{args.base}-{args.new}"
    log, new, fresh = work / "auth.log", work / "new.log", work / "fresh.log"
    built, copy = work / "base.duckdb", work / "run.duckdb"
    reuse = args.reuse and built.exists() and new.exists()
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
    size = split(whole, log, new, args.base)
    shutil.copy2(new, fresh)

    print(f"{args.base:,} stored lines + {args.new:,} new lines, {args.runs} run(s)\n")
    print("| command | wall (s) | CPU (s) | peak RSS (MiB) |\n|---|---:|---:|---:|")
    if reuse:
        print(f"| (the {args.base:,}-line database of an earlier run, reused) | | | |")
    else:
        wall, cpu, rss = run(["ingest", str(log), "--db", str(built)])
        print(
            f"| ingest of the {args.base:,} stored lines (new database) "
            f"| {wall:.1f} | {cpu:.1f} | {rss:.0f} |"
        )
    if args.scan:
        wall, cpu, rss = run(["scan", str(log), "--format", "json"])
        print(
            f"| scan --format json of the same {args.base:,} lines "
            f"| {wall:.1f} | {cpu:.1f} | {rss:.0f} |"
        )

    checkouts = {"": ROOT}
    if args.baseline is not None:
        checkouts = {f" ({args.baseline.name})": args.baseline.resolve(), " (this checkout)": ROOT}
    times: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for _ in range(args.runs):
        for label, checkout in checkouts.items():
            with open(log, "r+b") as fh:
                fh.truncate(size)
            shutil.copy2(built, copy)
            with open(log, "ab") as out, open(new, "rb") as src:
                shutil.copyfileobj(src, out)
            settle(log)
            got = run(["ingest", str(log), "--db", str(copy)], checkout)
            times.setdefault(("full", label), []).append(got)
            fresh_db = work / "fresh.duckdb"
            fresh_db.unlink(missing_ok=True)
            settle(fresh)
            got = run(["ingest", str(fresh), "--db", str(fresh_db)], checkout)
            times.setdefault(("empty", label), []).append(got)
    for (kind, label), got in times.items():
        what = (
            f"ingest of {args.new:,} new lines into the {args.base:,}-line database"
            if kind == "full"
            else f"ingest of the same {args.new:,} lines into an empty database"
        )
        wall = statistics.median(g[0] for g in got)
        cpu = statistics.median(g[1] for g in got)
        rss = max(g[2] for g in got)
        print(f"| {what}{label} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    print(
        f"(medians of wall and CPU seconds, peak RSS in MiB; load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
