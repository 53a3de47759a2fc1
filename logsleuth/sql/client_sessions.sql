-- Authenticated sessions per host and client address, and how many ended abnormally.
SELECT host, client_ip, count(*) AS sessions,
       count(*) FILTER (WHERE family IN ('network-drop', 'keepalive-timeout')) AS dropped
FROM connections
WHERE direction = 'inbound' AND authenticated AND client_ip IS NOT NULL
GROUP BY host, client_ip
ORDER BY host, client_ip;
