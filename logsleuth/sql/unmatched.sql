-- The most frequent unmatched message shapes.
SELECT shape, count, example FROM unmatched ORDER BY count DESC, shape LIMIT 15;
