-- Sessions that died under the user (network drops and keepalive timeouts), for the
-- cross-connection rules: bursts, repeat clients, session-length clusters.
SELECT id, host, client_ip, "user", authenticated, start, "end", duration_s, family, cause,
       decisive
FROM connections
WHERE direction = 'inbound' AND family IN ('network-drop', 'keepalive-timeout')
  AND "end" IS NOT NULL
ORDER BY host, "end", id;
