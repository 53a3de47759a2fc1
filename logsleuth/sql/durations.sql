-- Session length per host and family: count, median, p90 and max (seconds).
SELECT host, family, count(*) AS n,
       median(duration_s)                 AS median_s,
       quantile_cont(duration_s, 0.9)     AS p90_s,
       max(duration_s)                    AS max_s
FROM connections
WHERE direction = 'inbound' AND duration_s IS NOT NULL
GROUP BY host, family
ORDER BY host, family;
