-- Connections a server limit refused or cut, per host and cause, with the busiest
-- addresses ("ip (n)", at most three).
WITH per_ip AS (
    SELECT host, cause, client_ip, count(*) AS n
    FROM connections
    WHERE direction = 'inbound' AND family IN ('server-limit', 'idle-policy', 'server-shutdown')
      AND client_ip IS NOT NULL
    GROUP BY host, cause, client_ip
), tops AS (
    SELECT host, cause,
           list(client_ip || ' (' || n || ')' ORDER BY n DESC, client_ip)[1:3] AS top
    FROM per_ip GROUP BY host, cause
)
SELECT c.host, c.cause, count(*) AS n, count(DISTINCT c.client_ip) AS ips,
       min(coalesce(c."end", c.start)) AS first, max(coalesce(c."end", c.start)) AS last,
       first(c.decisive ORDER BY c.start NULLS FIRST, c.id) AS evidence,
       coalesce(any_value(t.top), []) AS top
FROM connections c LEFT JOIN tops t ON t.host = c.host AND t.cause = c.cause
WHERE c.direction = 'inbound' AND c.family IN ('server-limit', 'idle-policy', 'server-shutdown')
GROUP BY c.host, c.cause
ORDER BY c.host, n DESC, c.cause;
