-- Every source read by the runs from run $1 on, in the order first read: a source read by
-- several runs is one row with their totals, and the latest run's error and note.
SELECT path,
       arg_max_null(reader, run * 100000 + seq)                                    AS reader,
       sum(lines)::BIGINT                                                     AS lines,
       sum(ssh_lines)::BIGINT                                                 AS ssh_lines,
       sum(matched)::BIGINT                                                   AS matched,
       sum(unmatched)::BIGINT                                                 AS unmatched,
       arg_max_null(error, run * 100000 + seq)                                     AS error,
       arg_max_null(hint, run * 100000 + seq)                                      AS hint,
       CASE WHEN count(*) > 1 AND sum(lines) = 0 AND arg_max_null(error, run * 100000 + seq) IS NULL
            THEN 'delivered nothing in ' || count(*) || ' runs'
            ELSE arg_max(note, run * 100000 + seq) END                        AS note
FROM run_sources
WHERE run >= $1
GROUP BY path
ORDER BY min(run * 100000 + seq);
