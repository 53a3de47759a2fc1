-- Connections a server limit refused or cut, per host and cause.
SELECT host, cause, count(*) AS n, count(DISTINCT client_ip) AS ips,
       min(coalesce("end", start)) AS first, max(coalesce("end", start)) AS last,
       first(decisive ORDER BY start NULLS FIRST, id) AS evidence
FROM connections
WHERE direction = 'inbound' AND family IN ('server-limit', 'idle-policy', 'server-shutdown')
GROUP BY host, cause
ORDER BY host, n DESC, cause;
