-- The most frequent unmatched message shapes of the runs from run $1 on.
SELECT shape, sum(count)::BIGINT AS count, min(example) AS example
FROM unmatched
WHERE run >= $1
GROUP BY shape
ORDER BY count DESC, shape
LIMIT 15;
