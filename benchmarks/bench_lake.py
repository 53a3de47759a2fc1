"""What the Parquet lake costs: bytes and files per connection and per event (ssh line).

Usage::

    python benchmarks/bench_lake.py FILE [--hosts 1000] [--year YYYY]

Ingests FILE into a database, exports it to a fresh lake (``logsleuth export --parquet``)
and prints the lake's bytes per connection and per event (one event per ssh line), then
what a fleet of ``--hosts`` servers would write per day if each had this file's daily
ssh traffic and exported once a day.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from logsleuth import api


def _size(lake: Path, table: str) -> tuple[int, int]:
    paths = list(lake.glob(f"{table}/**/*.parquet"))
    return sum(p.stat().st_size for p in paths), len(paths)


def main() -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--year", type=int, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db, lake = Path(tmp) / "ssh.duckdb", Path(tmp) / "lake"
        # As a host does it: ingest (which keeps the connections still open), then export.
        api.ingest([str(args.file)], db=str(db), year=args.year)
        report = api.report(str(db))
        result = api.export_parquet(str(db), str(lake))
        conn_bytes, conn_files = _size(lake, "connections")
        event_bytes, event_files = _size(lake, "events")
    ssh_lines = sum(s.ssh_lines for s in report.sources)
    conns, events = result.rows["connections"], result.rows.get("events", 0)
    hosts = len({c.host for c in report.connections if c.direction == "inbound"})
    starts = [c.start for c in report.connections if c.start is not None]
    days = max(1 / 24, (max(starts) - min(starts)).total_seconds() / 86400)
    per_conn, per_event = conn_bytes / conns, event_bytes / max(1, events)
    conns_per_host_day = conns / hosts / days
    events_per_host_day = events / hosts / days
    # A host exporting once a day writes one connection file and one event file per day
    # and bucket it touches (one, or two across midnight) plus one runs, sources and
    # unmatched file.
    host_days = {(c.host, c.start.date()) for c in report.connections if c.start is not None}
    day_count = len({d for _, d in host_days})
    per_host = len(host_days) / max(1, len({h for h, _ in host_days})) / day_count
    files_per_export = 2 * per_host + 3
    host_day_bytes = per_conn * conns_per_host_day + per_event * events_per_host_day
    print(f"input: {ssh_lines} ssh lines, {conns} connections, {hosts} hosts, {days:.2f} days")
    print(f"lake: {result.files} files, {result.bytes} bytes")
    print(f"  connections: {conn_files} files, {conn_bytes} bytes, {per_conn:.1f} B/connection")
    print(f"  events: {event_files} files, {event_bytes} bytes, {per_event:.1f} B/event")
    print(
        f"per host and day: {events_per_host_day:.0f} events, {conns_per_host_day:.0f} "
        f"connections -> {host_day_bytes / 1e6:.3f} MB "
        f"({per_event * events_per_host_day / 1e6:.3f} MB of it events)"
    )
    fleet = host_day_bytes * args.hosts
    print(
        f"{args.hosts} hosts, one export each per day: {fleet / 1e6:.1f} MB/day, "
        f"{files_per_export * args.hosts:.0f} files/day "
        f"({files_per_export:.1f} per export); {fleet * 365 / 1e9:.1f} GB/year"
    )
    print(
        "  (one collector exporting all hosts once a day instead: "
        f"{min(32, args.hosts)} connection + {min(32, args.hosts)} event files + 3 per day)"
    )


if __name__ == "__main__":
    main()
