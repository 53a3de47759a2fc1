"""Time an incremental ingest: M new lines into a database that already holds N lines.

Usage::

    python benchmarks/bench_incremental.py [--base N] [--new M] [--runs R] [--data DIR]
                                           [--scan]

Writes N + M lines of real-traffic shape (``gen_authlog.py --mix real``, cached in DIR,
default ``benchmarks/data``), ingests the first N lines into a new database once (timed:
the cost of building it), then R times: restores that database, appends the M new lines
to the log and runs ``logsleuth ingest`` again. Next to it, the same M lines ingested
into an empty database: the two times should match, because the cost of a run grows
with its new lines, not with what the database holds. ``--scan`` also times ``scan
--format json`` of the N-line file, to compare ``ingest`` with it (the target is within
1.25x). Every command is a fresh ``python -m logsleuth`` of this interpreter; peak RSS is
each child's own (``wait4``).
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


def run(cmd: list[str]) -> tuple[float, float]:
    """Run a logsleuth command: wall seconds and the child's peak RSS in MiB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "logsleuth", *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.stderr.write(err[-2000:])
        raise SystemExit(f"logsleuth {cmd[0]} failed (exit code {code})")
    return wall, usage.ru_maxrss / 1024


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
    args = ap.parse_args(argv)
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    total = args.base + args.new
    whole = lines_file(data / f"auth-real-{total}.log", total, seed=3)
    work = data / f"incremental-{args.base}-{args.new}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    log, new, fresh = work / "auth.log", work / "new.log", work / "fresh.log"
    size = split(whole, log, new, args.base)
    shutil.copy2(new, fresh)
    built, copy = work / "base.duckdb", work / "run.duckdb"

    print(f"{args.base:,} stored lines + {args.new:,} new lines, {args.runs} run(s)\n")
    print("| command | wall (s) | peak RSS (MiB) |\n|---|---:|---:|")
    wall, rss = run(["ingest", str(log), "--db", str(built)])
    print(f"| ingest of the {args.base:,} stored lines (new database) | {wall:.1f} | {rss:.0f} |")
    if args.scan:
        wall, rss = run(["scan", str(log), "--format", "json"])
        print(f"| scan --format json of the same {args.base:,} lines | {wall:.1f} | {rss:.0f} |")

    into_full: list[float] = []
    into_empty: list[float] = []
    peak_full = peak_empty = 0.0
    for _ in range(args.runs):
        with open(log, "r+b") as fh:
            fh.truncate(size)
        shutil.copy2(built, copy)
        with open(log, "ab") as out, open(new, "rb") as src:
            shutil.copyfileobj(src, out)
        settle(log)
        wall, rss = run(["ingest", str(log), "--db", str(copy)])
        into_full.append(wall)
        peak_full = max(peak_full, rss)
        fresh_db = work / "fresh.duckdb"
        fresh_db.unlink(missing_ok=True)
        settle(fresh)
        wall, rss = run(["ingest", str(fresh), "--db", str(fresh_db)])
        into_empty.append(wall)
        peak_empty = max(peak_empty, rss)
    med_full, med_empty = statistics.median(into_full), statistics.median(into_empty)
    print(
        f"| ingest of {args.new:,} new lines into the {args.base:,}-line database "
        f"| {med_full:.2f} | {peak_full:.0f} |"
    )
    print(
        f"| ingest of the same {args.new:,} lines into an empty database "
        f"| {med_empty:.2f} | {peak_empty:.0f} |"
    )
    print(f"(medians of wall seconds, peak RSS in MiB; load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
