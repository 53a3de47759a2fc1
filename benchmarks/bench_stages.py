"""Where a scan's CPU time goes, stage by stage, in one process.

    python benchmarks/bench_stages.py FILE [--runs N]

Runs ``api.open_scan`` over FILE in one process (``jobs=1``) and renders the JSON report
into memory, timing with the process's CPU clock: the catalogue load; reading,
classifying and sessionizing (with the host facts and stable ids); the bulk load of
finished connections into the store; the report's rollups; reading every connection back
in report order; and the JSON encoding. Prints the best of N runs (default 3) per stage,
in seconds and in microseconds per line and per connection. The stages are measured by
wrapping the store's load and the report builder, so their sum is the whole scan minus
start-up.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from logsleuth import api  # noqa: E402
from logsleuth import store as store_mod  # noqa: E402
from logsleuth.renderers import iter_render  # noqa: E402


def _timed(owner: Any, name: str, spent: dict[str, float], key: str) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.process_time() - start

    setattr(owner, name, wrapper)


def one_run(path: str) -> tuple[dict[str, float], int, int]:
    spent: dict[str, float] = {}
    t = time.process_time()
    cat = api.load_catalogue(())
    spent["catalogue load"] = time.process_time() - t
    t = time.process_time()
    with api.open_scan([path], catalogue=cat, jobs=1) as rep:  # one process: every stage
        ingest = time.process_time() - t - spent.get("report rollups", 0.0)
        spent["read + classify + sessionize"] = ingest - spent.get("store load", 0.0)
        t = time.process_time()
        conns = list(rep.connections)
        spent["read connections back"] = time.process_time() - t
        t = time.process_time()
        out = io.StringIO()
        for chunk in iter_render(replace(rep, connections=conns), "json"):
            out.write(chunk)
        spent["JSON encoding"] = time.process_time() - t
    lines = sum(s.lines for s in rep.sources)
    return spent, lines, len(conns)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    spent: dict[str, float] = {}
    _timed(store_mod.Store, "add_connections", spent, "store load")
    _timed(api, "_report_from", spent, "report rollups")
    best: dict[str, float] = {}
    lines = conns = 0
    for _ in range(args.runs):
        spent.clear()
        run, lines, conns = one_run(args.file)
        for key, value in {**spent, **run}.items():
            best[key] = min(best.get(key, value), value)
    order = [
        "catalogue load",
        "read + classify + sessionize",
        "store load",
        "report rollups",
        "read connections back",
        "JSON encoding",
    ]
    print(f"{args.file}: {lines:,} lines, {conns:,} connections; best of {args.runs}")
    print("| stage | CPU (s) | us/line | us/connection |")
    print("|---|---:|---:|---:|")
    for key in order:
        v = best.get(key, 0.0)
        print(
            f"| {key} | {v:.2f} | {v / max(lines, 1) * 1e6:.1f} | {v / max(conns, 1) * 1e6:.1f} |"
        )
    total = sum(best.get(k, 0.0) for k in order)
    print(f"| **total** | **{total:.2f}** | {total / max(lines, 1) * 1e6:.1f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
