"""What the Parquet lake costs: bytes and files per connection and per ssh line.

Usage::

    python benchmarks/bench_lake.py FILE [--hosts 1000]

Scans FILE into a database, exports it to a fresh lake (``logsleuth export --parquet``)
and prints the lake's bytes per connection and per ssh line (the lines that become
events), then what a fleet of ``--hosts`` servers would write per day if each had this
file's daily ssh traffic and exported once a day.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from logsleuth import api


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--hosts", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, lake = Path(tmp) / "ssh.duckdb", Path(tmp) / "lake"
        report = api.scan([str(args.file)], db=str(db))
        result = api.export_parquet(str(db), str(lake))
        conn_bytes = sum(p.stat().st_size for p in lake.glob("connections/**/*.parquet"))
        conn_files = len(list(lake.glob("connections/**/*.parquet")))
    ssh_lines = sum(s.ssh_lines for s in report.sources)
    conns = result.rows["connections"]
    hosts = len({c.host for c in report.connections if c.direction == "inbound"})
    starts = [c.start for c in report.connections if c.start is not None]
    days = max(1 / 24, (max(starts) - min(starts)).total_seconds() / 86400)
    per_conn, per_line = conn_bytes / conns, conn_bytes / ssh_lines
    conns_per_host_day = conns / hosts / days
    lines_per_host_day = ssh_lines / hosts / days
    # A host exporting once a day writes its connection files (one per day and bucket it
    # touches: one, or two across midnight) plus one runs, sources and unmatched file.
    host_days = {(c.host, c.start.date()) for c in report.connections if c.start is not None}
    day_count = len({d for _, d in host_days})
    files_per_export = len(host_days) / max(1, len({h for h, _ in host_days})) / day_count + 3
    print(f"input: {ssh_lines} ssh lines, {conns} connections, {hosts} hosts, {days:.2f} days")
    print(f"lake: {result.files} files, {result.bytes} bytes ({conn_files} connection files,")
    print(f"      {conn_bytes} bytes): {per_conn:.1f} B/connection, {per_line:.1f} B/ssh line")
    print(
        f"per host and day: {lines_per_host_day:.0f} ssh lines, {conns_per_host_day:.0f} "
        f"connections -> {per_conn * conns_per_host_day / 1e6:.3f} MB"
    )
    fleet = per_conn * conns_per_host_day * args.hosts
    print(
        f"{args.hosts} hosts, one export each per day: {fleet / 1e6:.1f} MB/day, "
        f"{files_per_export * args.hosts:.0f} files/day "
        f"({files_per_export:.1f} per export); {fleet * 365 / 1e9:.1f} GB/year"
    )
    print(
        "  (one collector exporting all hosts once a day instead: "
        f"{min(32, args.hosts)} connection files + 3 per day)"
    )


if __name__ == "__main__":
    main()
