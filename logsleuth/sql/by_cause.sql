-- Per host, direction, family and cause: how many connections ended that way, the
-- catalogue entry that decided it most often and one evidence line.
SELECT host, direction, family, cause,
       count(*)                                        AS n,
       mode(pattern_id)                                AS pattern_id,
       first(decisive ORDER BY start NULLS FIRST, id) FILTER (WHERE decisive IS NOT NULL)
                                                       AS evidence
FROM connections
GROUP BY host, direction, family, cause
ORDER BY host, direction DESC, n DESC, family, cause;
