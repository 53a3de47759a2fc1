-- logsleuth store schema. Times are UTC (TIMESTAMP without zone, microseconds).
CREATE TABLE IF NOT EXISTS connections (
    id            BIGINT,
    host          VARCHAR,
    direction     VARCHAR,      -- inbound (to sshd) | outbound (ssh client lines)
    client_ip     VARCHAR,
    client_port   INTEGER,
    "user"        VARCHAR,
    authenticated BOOLEAN,
    method        VARCHAR,
    start         TIMESTAMP,
    "end"         TIMESTAMP,
    duration_s    DOUBLE,
    family        VARCHAR,
    cause         VARCHAR,
    pattern_id    VARCHAR,
    failures      INTEGER,
    note          VARCHAR,
    pids          BIGINT[],
    decisive      STRUCT(source VARCHAR, line BIGINT, text VARCHAR),
    evidence      STRUCT(source VARCHAR, line BIGINT, text VARCHAR)[]
);

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
