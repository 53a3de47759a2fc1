"""Apache Spark (local mode) over the lake and over raw logs, against DuckDB and `scan`.

Marked `spark`; part of the default suite. One local[2] session serves the module (the
JVM start is most of the cost); figures are printed.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from logsleuth import api

from .test_lake import _scan_to

pytestmark = pytest.mark.spark
ROOT = Path(__file__).resolve().parents[1]

if shutil.which("java") is None:
    pytest.skip(
        "no java (Debian package openjdk-17-jre-headless; scripts/check installs it as root)",
        allow_module_level=True,
    )
pyspark = pytest.importorskip("pyspark", reason="pyspark not installed (the test extra has it)")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"  # RFC 3164 stamps are local time; the Python workers inherit it
    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers need this venv's logsleuth
    time.tzset()
    t0 = time.monotonic()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("logsleuth-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    print(f"\nSpark {session.version} local[2] started in {time.monotonic() - t0:.1f} s")
    yield session
    session.stop()
    if old_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


def key(c):
    ev = tuple((e.source, e.line) for e in c.evidence)
    return (
        c.id, c.host, c.direction, c.client_ip, c.client_port, c.user, c.authenticated, c.method,
        c.start, c.end, c.family, c.cause, c.pattern_id, c.failures, c.note, c.pids, ev,
    )  # fmt: skip


def test_spark_cause_rollup_over_the_lake_equals_duckdb(spark, tmp_path, capsys):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    _scan_to(tmp_path / "ssh.duckdb", "auth.log")
    lake = tmp_path / "lake"
    api.export_parquet(str(tmp_path / "ssh.duckdb"), str(lake))
    report = api.report_lake(str(lake))
    duck = sorted((h.host, c.family, c.cause, c.count) for h in report.hosts for c in h.causes)

    t0 = time.monotonic()
    rows_ = spark.read.option("basePath", f"{lake}/connections").parquet(f"{lake}/connections")
    latest = Window.partitionBy("id").orderBy(F.col("exported_at").desc())
    conns = rows_.withColumn("n", F.row_number().over(latest)).where("n = 1").drop("n")
    rollup = (
        conns.where(
            (F.col("direction") == "inbound") & F.col("dt").between("2026-10-30", "2026-11-02")
        )
        .groupBy("host", "family", "cause")
        .count()
        .orderBy("host", "family", "cause")
    )
    rows = [tuple(r) for r in rollup.collect()]
    total = conns.count()
    elapsed = time.monotonic() - t0
    assert rows == duck
    assert total == len(report.connections)
    assert dict(conns.schema["dt"].jsonValue()).get("type") == "date"
    assert conns.schema["host_bucket"].dataType.typeName() == "integer"
    buckets = conns.select((F.crc32("host") % 32).alias("b"), "host_bucket").distinct().collect()
    assert all(r["b"] == r["host_bucket"] for r in buckets)
    with capsys.disabled():
        print(
            f"\nSpark read {total} connections from the lake, rollup of {len(rows)} rows "
            f"(= DuckDB) in {elapsed:.1f} s"
        )


def test_spark_job_finds_the_connections_scan_finds(spark, tmp_path, capsys):
    from logsleuth.spark_job import connections, write_connections

    sample = str(ROOT / "sample_logs" / "auth.log")
    scanned = api.scan([sample], year=2026)
    t0 = time.monotonic()
    df = connections(spark, [sample], year=2026)
    out = tmp_path / "lake" / "connections"
    write_connections(df, str(out))
    elapsed = time.monotonic() - t0
    from_spark = api.report_lake(str(tmp_path / "lake"))
    assert len(from_spark.connections) == len(scanned.connections)
    assert Counter(map(key, from_spark.connections)) == Counter(map(key, scanned.connections))
    got = {(h.host, c.cause): c.count for h in from_spark.hosts for c in h.causes}
    want = {(h.host, c.cause): c.count for h in scanned.hosts for c in h.causes}
    assert got == want
    assert any(out.glob("dt=*/host_bucket=[0-9][0-9]/*.parquet"))
    with capsys.disabled():
        print(
            f"\nSpark job: {len(from_spark.connections)} connections from {sample.split('/')[-1]}"
            f" on local[2] in {elapsed:.1f} s (= scan)"
        )
