-- Failed authentication per host and address: connections, attempts (a connection
-- refused at once, e.g. for an invalid user, is one attempt), users tried.
SELECT host, client_ip, count(*) AS connections, sum(greatest(failures, 1)) AS attempts,
       count(DISTINCT "user") AS users, min(start) AS first, max(coalesce("end", start)) AS last,
       first(decisive ORDER BY start, id) AS evidence
FROM connections
WHERE direction = 'inbound' AND family = 'auth-failure' AND client_ip IS NOT NULL
GROUP BY host, client_ip
ORDER BY host, connections DESC, client_ip;
