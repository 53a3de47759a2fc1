-- The most frequent client addresses per host, family and cause (top 3).
SELECT host, family, cause, client_ip, n FROM (
    SELECT host, family, cause, client_ip, count(*) AS n,
           row_number() OVER (PARTITION BY host, family, cause
                              ORDER BY count(*) DESC, client_ip) AS rk
    FROM connections
    WHERE client_ip IS NOT NULL AND direction = 'inbound'
    GROUP BY host, family, cause, client_ip
) WHERE rk <= 3
ORDER BY host, family, cause, n DESC, client_ip;
