-- Connections that closed before authenticating, per host and address, in time order.
SELECT host, client_ip, list(start ORDER BY start, id) AS starts, list(id ORDER BY start, id) AS ids,
       first(decisive ORDER BY start, id) AS evidence
FROM connections
WHERE direction = 'inbound' AND family = 'preauth-probe' AND client_ip IS NOT NULL
  AND start IS NOT NULL
GROUP BY host, client_ip
ORDER BY host, client_ip;
