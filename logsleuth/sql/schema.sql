-- logsleuth store schema. Times are UTC (TIMESTAMP without zone, microseconds).
-- The connections table is generated from store.CONNECTION_COLUMNS.

CREATE TABLE IF NOT EXISTS sources (
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

CREATE TABLE IF NOT EXISTS unmatched (
    shape   VARCHAR,
    count   BIGINT,
    example VARCHAR
);
