-- Peak number of connections open at once without having authenticated, per host, and
-- when it was reached (sessions that authenticated are not counted: they no longer hold
-- a MaxStartups slot).
WITH ev AS (
    SELECT host, start AS t, 1 AS d FROM connections
    WHERE direction = 'inbound' AND NOT authenticated AND start IS NOT NULL
      AND "end" IS NOT NULL AND "end" > start
    UNION ALL
    SELECT host, "end" AS t, -1 AS d FROM connections
    WHERE direction = 'inbound' AND NOT authenticated AND start IS NOT NULL
      AND "end" IS NOT NULL AND "end" > start
), run AS (
    SELECT host, t, sum(d) OVER (PARTITION BY host ORDER BY t, d
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS open_n
    FROM ev
)
SELECT host, max(open_n) AS peak, arg_max(t, open_n) AS at
FROM run GROUP BY host ORDER BY host;
