"""Time ``logsleuth scan FILE --format json``: wall time, peak memory, lines per second.

Usage::

    python benchmarks/bench_scan.py FILE [--runs N] [-- EXTRA SCAN ARGS]

Each run is a fresh subprocess (``python -m logsleuth`` of this interpreter), so imports
and start-up count. Peak RSS comes from ``getrusage(RUSAGE_CHILDREN)`` and is the largest
of the runs so far, which is why each run's figure never goes down.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path


def count_lines(path: Path) -> int:
    """Lines in a plain or gzip file."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    n = 0
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def run_once(path: Path, extra: list[str]) -> tuple[float, int, int]:
    """One scan: wall seconds, peak RSS of children so far (KiB), bytes of output."""
    cmd = [sys.executable, "-m", "logsleuth", "scan", str(path), "--format", "json", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    try:
        ok = proc.returncode in (0, 1) and "schema" in json.loads(proc.stdout)
    except ValueError:
        ok = False
    if not ok:
        # Exit code 1 also means "findings over --fail-on": only a JSON report counts.
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-2000:])
        raise SystemExit(f"scan failed (exit code {proc.returncode}, no JSON report)")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, rss, len(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("extra", nargs="*", help="more arguments for logsleuth scan (after --)")
    args = ap.parse_args(argv)
    lines = count_lines(args.file)
    print(
        f"{args.file}: {lines:,} lines; {platform.python_implementation()} "
        f"{platform.python_version()}; {platform.machine()}"
    )
    walls = []
    for i in range(1, args.runs + 1):
        wall, rss, out = run_once(args.file, args.extra)
        walls.append(wall)
        print(
            f"run {i}: {wall:7.2f} s  {lines / wall:>10,.0f} lines/s  "
            f"max RSS {rss / 1024:7.1f} MiB  output {out / 1024:,.0f} KiB"
        )
    best = min(walls)
    print(f"best:  {best:7.2f} s  {lines / best:>10,.0f} lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
