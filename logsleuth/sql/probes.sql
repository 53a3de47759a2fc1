-- Connections that closed before authenticating, per host and address, in time order:
-- only the addresses with at least $1 of them (the rule needs that many). The plain
-- count comes first so that the ordered lists are built for those addresses only: a
-- million one-off addresses must not each get a row, or a list, in memory.
WITH probes AS (
    SELECT host, client_ip, start, id, decisive
    FROM connections
    WHERE direction = 'inbound' AND family = 'preauth-probe' AND client_ip IS NOT NULL
      AND start IS NOT NULL
), repeated AS (
    SELECT host, client_ip FROM probes GROUP BY host, client_ip HAVING count(*) >= $1
)
SELECT host, client_ip, list(start ORDER BY start, id) AS starts, list(id ORDER BY start, id) AS ids,
       first(decisive ORDER BY start, id) AS evidence
FROM probes SEMI JOIN repeated USING (host, client_ip)
GROUP BY host, client_ip
ORDER BY host, client_ip;
