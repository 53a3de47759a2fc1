"""The schema page (docs/schema.md), generated from the tables a fresh store creates.

Names and types come from the database itself, descriptions from the store's column
comments (``sql/comments.sql``), so the page cannot drift from what ``logsleuth sql``
queries: a test compares it with the file in docs/.
"""

from __future__ import annotations

from itertools import groupby

from logsleuth.store import ColumnDoc, Store

#: Tables in the order the page shows them; any other table follows, by name.
ORDER = ("connections", "events", "runs", "sources", "unmatched")

HEADER = """\
# The stored schema

<!-- Generated from the store's tables and column comments; do not edit by hand:
     `pytest tests/test_sql.py --update-goldens` rewrites it. -->

`logsleuth sql "SELECT ..." --db PATH` runs read-only queries over these tables (the
database that `logsleuth ingest --db PATH` fills; `logsleuth.api.scan(..., db=PATH)` from
Python). Times are UTC `TIMESTAMP`s without a zone. Evidence is a struct of `source`,
`line` and `text`, the text as written in the log: quote it as data, never as markup.
Column names `user` and `end` are SQL keywords: write them `"user"` and `"end"`.

Examples:

```
logsleuth sql --db /var/lib/logsleuth/ssh.duckdb \\
  "SELECT host, family, count(*) AS n FROM connections GROUP BY ALL ORDER BY n DESC"
logsleuth sql --db /var/lib/logsleuth/ssh.duckdb \\
  "SELECT e.ts, e.pattern_id, e.cause FROM events e JOIN connections c
   ON e.connection_id = c.id WHERE c.family = 'network-drop' ORDER BY e.ts, e.line"
```

`events` holds every ssh line the runs read, the unclassified ones too (`pattern_id`
NULL); `connection_id` links a line to `connections.id`, also while the connection is
still open (`open_connections.id`).
"""


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(columns: list[ColumnDoc]) -> str:
    """The page for the given columns (as :meth:`Store.columns` lists them)."""

    def rank(table: str) -> tuple[int, str]:
        return (ORDER.index(table) if table in ORDER else len(ORDER), table)

    out = [HEADER]
    ordered = sorted(columns, key=lambda c: rank(c.table))
    for table, cols in groupby(ordered, key=lambda c: c.table):
        group = list(cols)
        out.append(f"## {table}\n")
        if group[0].table_description:
            out.append(group[0].table_description + "\n")
        out.append("| column | type | meaning |\n|---|---|---|")
        out.extend(
            f"| `{c.name}` | `{_escape(c.type)}` | {_escape(c.description or '')} |" for c in group
        )
        out.append("")
    return "\n".join(out)


def page() -> str:
    """The schema page of the current store."""
    store = Store()
    try:
        return render(store.columns())
    finally:
        store.close()
