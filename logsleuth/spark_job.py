"""A PySpark job: raw ssh logs in, connections out, for archives too big for one machine.

The catalogue and the sessionizer are logsleuth's own: the files are read in parallel
(``mapInArrow``, one task per file, each with the reader ``scan`` would pick), the ssh
lines are grouped by host, and each host's lines go, in file order, through
:func:`~logsleuth.classify.classify_record` and a :class:`~logsleuth.sessionize.Sessionizer`
inside ``applyInArrow``. The result has the columns of the store's ``connections`` table
and is written in the lake's layout (docs/lake.md), so ``report --lake`` reads it.

Install with the ``spark`` extra (``pip install 'logsleuth[spark]'``: PySpark 4, PyArrow;
Java 17). Every executor needs the log paths (a shared file system) and logsleuth
installed in the Python that ``PYSPARK_PYTHON`` names::

    PYSPARK_PYTHON=$(which python) python -m logsleuth.spark_job --master 'local[4]' \\
        --out LAKE/connections --year 2026 /archive/auth.log*

(under ``spark-submit``, leave ``--master`` out: spark-submit's own applies).

or from Python: ``connections(spark, paths, year=2026)`` returns the DataFrame.
Connection ids are the stable ids ``scan`` gives (logsleuth.keys).
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from logsleuth.catalogue import Catalogue, load
from logsleuth.classify import (
    HOST_PROGRAMS,
    SSH_CLIENT_PROGRAMS,
    SSH_PROGRAMS,
    classify_host_record,
    classify_record,
)
from logsleuth.keys import with_stable_id
from logsleuth.model import Connection, Evidence, Record
from logsleuth.readers import READERS, ReadOptions
from logsleuth.readers.sources import expand
from logsleuth.sessionize import Sessionizer

BUCKETS = 32  # the lake's host buckets: crc32(host) % 32, as lakestore writes them

_EVIDENCE = pa.struct([("source", pa.string()), ("line", pa.int64()), ("text", pa.string())])
RECORDS = pa.schema(
    [
        ("order", pa.int32()),
        ("source", pa.string()),
        ("line", pa.int64()),
        ("ts", pa.timestamp("us")),
        ("host", pa.string()),
        ("program", pa.string()),
        ("pid", pa.int64()),
        ("message", pa.string()),
        ("repeat", pa.int32()),
        ("priority", pa.int32()),
        ("stamp", pa.string()),
    ]
)
CONNECTIONS = pa.schema(
    [
        ("id", pa.int64()),
        ("host", pa.string()),
        ("direction", pa.string()),
        ("client_ip", pa.string()),
        ("client_port", pa.int32()),
        ("remote_host", pa.string()),
        ("user", pa.string()),
        ("authenticated", pa.bool_()),
        ("method", pa.string()),
        ("start", pa.timestamp("us")),
        ("end", pa.timestamp("us")),
        ("duration_s", pa.float64()),
        ("family", pa.string()),
        ("cause", pa.string()),
        ("pattern_id", pa.string()),
        ("failures", pa.int32()),
        ("note", pa.string()),
        ("pids", pa.list_(pa.int64())),
        ("decisive", _EVIDENCE),
        ("evidence", pa.list_(_EVIDENCE)),
    ]
)
_SPARK_TYPES = {
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
    pa.string(): "STRING",
    pa.bool_(): "BOOLEAN",
    pa.float64(): "DOUBLE",
    pa.timestamp("us"): "TIMESTAMP_NTZ",
    _EVIDENCE: "STRUCT<source: STRING, line: BIGINT, text: STRING>",
}


def _ddl(schema: pa.Schema) -> str:
    """A Spark DDL schema string for an Arrow schema of the types above."""

    def spark_type(t: Any) -> str:
        if pa.types.is_list(t):
            return f"ARRAY<{spark_type(t.value_type)}>"
        return _SPARK_TYPES[t]

    return ", ".join(f"`{f.name}` {spark_type(f.type)}" for f in schema)


@functools.lru_cache(maxsize=4)
def _catalogue(patterns: tuple[str, ...]) -> Catalogue:
    return load(patterns)


def _naive(ts: datetime | None) -> datetime | None:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts else None


def read_sources(batches: Iterator[pa.RecordBatch], year: int | None) -> Iterator[pa.RecordBatch]:
    """(order, path, reader) rows -> the ssh records of those files (``mapInArrow``)."""
    options = ReadOptions(year=year)
    for batch in batches:
        for order, path, reader in zip(
            *(batch.column(i).to_pylist() for i in range(3)), strict=True
        ):
            rows: list[dict[str, Any]] = []
            for rec in READERS[reader]().read(path, options):
                prog = rec.program
                if (
                    prog not in SSH_PROGRAMS
                    and prog not in SSH_CLIENT_PROGRAMS
                    and prog not in HOST_PROGRAMS
                ):
                    continue
                rows.append(
                    {
                        "order": order,
                        "source": rec.source,
                        "line": rec.line,
                        "ts": _naive(rec.ts),
                        "host": rec.host or "",
                        "program": rec.program,
                        "pid": rec.pid,
                        "message": rec.message,
                        "repeat": rec.repeat,
                        "priority": rec.priority,
                        "stamp": rec.stamp,
                    }
                )
                if len(rows) >= 50_000:
                    yield pa.RecordBatch.from_pylist(rows, schema=RECORDS)
                    rows = []
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=RECORDS)


def _ev(e: Evidence | None) -> dict[str, Any] | None:
    return {"source": e.source, "line": e.line, "text": e.text} if e else None


def connection_row(c: Connection) -> dict[str, Any]:
    """A connection as one row of :data:`CONNECTIONS`."""
    return {
        "id": c.id,
        "host": c.host,
        "direction": c.direction,
        "client_ip": c.client_ip,
        "client_port": c.client_port,
        "remote_host": c.remote_host,
        "user": c.user,
        "authenticated": c.authenticated,
        "method": c.method,
        "start": _naive(c.start),
        "end": _naive(c.end),
        "duration_s": c.duration_s,
        "family": c.family,
        "cause": c.cause,
        "pattern_id": c.pattern_id,
        "failures": c.failures,
        "note": c.note,
        "pids": list(c.pids),
        "decisive": _ev(c.decisive),
        "evidence": [_ev(e) for e in c.evidence],
    }


def sessionize_host(table: pa.Table, patterns: tuple[str, ...] = ()) -> pa.Table:
    """One host's ssh records -> its connections, as ``scan`` would find them."""
    cat = _catalogue(patterns)
    sess = Sessionizer()
    done: list[Connection] = []
    for r in sorted(table.to_pylist(), key=lambda r: (r["order"], r["line"])):
        ts = r["ts"].replace(tzinfo=UTC) if r["ts"] is not None else None
        rec = Record(
            ts, r["host"] or None, r["program"], r["pid"], r["message"], r["source"], r["line"],
            r["repeat"], priority=r["priority"], stamp=r["stamp"],
        )  # fmt: skip
        if rec.program in HOST_PROGRAMS:  # reboots and boot markers end what they killed
            host_ev = classify_host_record(rec, cat)
            if host_ev is not None:
                done.extend(sess.feed(host_ev))
            continue
        client = rec.program in SSH_CLIENT_PROGRAMS
        ev = classify_record(rec, cat, "client" if client else "server")
        if client:
            sess.feed_outbound(ev)
        else:
            done.extend(sess.feed(ev))
    done.extend(sess.finish())
    rows = [connection_row(with_stable_id(c)) for c in done]
    return pa.Table.from_pylist(rows, schema=CONNECTIONS)


def connections(
    spark: SparkSession,
    paths: Sequence[str],
    *,
    year: int | None = None,
    patterns: Sequence[str] = (),
) -> DataFrame:
    """The connections in the logs at ``paths`` (files, directories, globs)."""
    sources, errors = expand(list(paths))
    if errors:
        raise SystemExit("; ".join(f"{e.path}: {e.reason}" for e in errors))
    files = spark.createDataFrame(
        [(i, s.path, s.reader) for i, s in enumerate(sources)],
        "order INT, path STRING, reader STRING",
    ).repartition(max(1, len(sources)))
    records = files.mapInArrow(lambda b: read_sources(b, year), _ddl(RECORDS))
    pats = tuple(patterns)
    return records.groupBy("host").applyInArrow(
        lambda t: sessionize_host(t, pats), _ddl(CONNECTIONS)
    )


def with_partitions(df: DataFrame) -> DataFrame:
    """Add the lake's ``dt`` and ``host_bucket`` columns (docs/lake.md)."""
    return df.withColumn("dt", F.to_date(F.coalesce("start", "end"))).withColumn(
        "host_bucket", F.lpad((F.crc32(F.col("host")) % BUCKETS).cast("string"), 2, "0")
    )


def write_connections(df: DataFrame, out: str) -> None:
    """Append connections under ``out`` as ``dt=.../host_bucket=NN/`` Parquet, sorted by
    host and start inside each file."""
    (
        with_partitions(df)
        .repartition("dt", "host_bucket")
        .sortWithinPartitions("host", "start")
        .write.mode("append")
        .partitionBy("dt", "host_bucket")
        .parquet(out)
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: read logs, append their connections to a lake directory."""
    ap = argparse.ArgumentParser(prog="logsleuth.spark_job", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", help="log files, directories or globs")
    ap.add_argument("--out", required=True, help="output directory, e.g. LAKE/connections")
    ap.add_argument("--year", type=int, help="year of yearless (RFC 3164) lines")
    ap.add_argument("--patterns", action="append", default=[], help="extra pattern directory")
    ap.add_argument("--master", help="Spark master (default: spark-submit's)")
    args = ap.parse_args(argv)
    builder = SparkSession.builder.appName("logsleuth")
    spark = (builder.master(args.master) if args.master else builder).getOrCreate()
    write_connections(
        connections(spark, args.paths, year=args.year, patterns=args.patterns), args.out
    )
    spark.stop()


if __name__ == "__main__":
    main()
