-- Connections per host, family and hour (by the hour they ended, or began if open).
SELECT host, family, date_trunc('hour', coalesce("end", start)) AS hour, count(*) AS n
FROM connections
WHERE direction = 'inbound' AND coalesce("end", start) IS NOT NULL
GROUP BY host, family, hour
ORDER BY host, family, hour;
