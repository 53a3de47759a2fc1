-- The most frequent user names per host, family and cause (top 3).
SELECT host, family, cause, "user", n FROM (
    SELECT host, family, cause, "user", count(*) AS n,
           row_number() OVER (PARTITION BY host, family, cause
                              ORDER BY count(*) DESC, "user") AS rk
    FROM connections
    WHERE "user" IS NOT NULL AND direction = 'inbound'
    GROUP BY host, family, cause, "user"
) WHERE rk <= 3
ORDER BY host, family, cause, n DESC, "user";
