-- Every connection, in a stable order.
SELECT id, host, direction, client_ip, client_port, "user", authenticated, method,
       start, "end", family, cause, pattern_id, failures, note, pids, decisive, evidence
FROM connections
ORDER BY host, direction, start NULLS FIRST, id;
