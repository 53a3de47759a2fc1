-- logsleuth store schema. Times are UTC (TIMESTAMP without zone, microseconds).
-- The connections table is generated from store.CONNECTION_COLUMNS.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER,
    started     TIMESTAMP,
    finished    TIMESTAMP,
    lines       BIGINT,
    ssh_lines   BIGINT,
    connections BIGINT
);

CREATE TABLE IF NOT EXISTS run_sources (
    run       INTEGER,
    seq       INTEGER,
    path      VARCHAR,
    reader    VARCHAR,
    lines     BIGINT,
    ssh_lines BIGINT,
    matched   BIGINT,
    unmatched BIGINT,
    error     VARCHAR,
    hint      VARCHAR,
    note      VARCHAR
);

CREATE TABLE IF NOT EXISTS sources (
    stream   INTEGER,
    path     VARCHAR,
    reader   VARCHAR,
    device   BIGINT,
    inode    BIGINT,
    size     BIGINT,
    mtime_ns BIGINT,
    head     BLOB,
    "offset" BIGINT,
    lines    BIGINT,
    "cursor" VARCHAR,
    run      INTEGER
);

CREATE TABLE IF NOT EXISTS live_state (
    run   INTEGER,
    state BLOB
);

CREATE TABLE IF NOT EXISTS facts_state (
    run   INTEGER,
    state BLOB
);

CREATE TABLE IF NOT EXISTS unmatched (
    run     INTEGER,
    shape   VARCHAR,
    count   BIGINT,
    example VARCHAR
);
