-- Per host (inbound and outbound): connections, authenticated sessions.
SELECT host,
       count(*) FILTER (WHERE direction = 'inbound')                      AS connections,
       count(*) FILTER (WHERE direction = 'inbound' AND authenticated)    AS authenticated,
       count(*) FILTER (WHERE direction = 'outbound')                     AS outbound
FROM connections
GROUP BY host
ORDER BY host;
