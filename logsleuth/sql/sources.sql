-- Every source read, in the order it was read.
SELECT path, reader, lines, ssh_lines, matched, unmatched, error, hint, note
FROM sources ORDER BY seq;
