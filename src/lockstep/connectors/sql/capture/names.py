"""Every name one table's capture uses, quoted for its dialect.

Triggers are ``lockstep_<table>_ins``, ``_upd`` and ``_del`` (on PostgreSQL also
``_trunc``, all calling the function ``lockstep_<table>_capture``); a name longer than
the dialect allows keeps its prefix and suffix around a short hash of the table name.
PostgreSQL's commit order lives in two tables beside the change table,
``<change_table>_txs`` and ``<change_table>_commits`` (see ``postgres``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Dialect


@dataclass(frozen=True)
class CaptureNames:
    table: str  # the table's name, as written into the change table's table_name
    target: str  # the table, quoted and schema-qualified
    key: str  # its key column, quoted
    changes: str  # the change table, quoted and schema-qualified
    changes_index: str  # its (table_name, ...) index, quoted
    insert: str
    update: str
    delete: str
    truncate: str  # PostgreSQL: the statement trigger that records a TRUNCATE
    prefix: str  # the quoted schema and a dot, or nothing: to qualify what needs it
    function: str  # PostgreSQL: the row trigger's function, qualified
    channel: str  # PostgreSQL: the NOTIFY channel (the change table's name)
    txs: str = ""  # PostgreSQL: transactions that wrote change rows, qualified
    commits: str = ""  # PostgreSQL: their commit sequence, qualified
    commit_function: str = ""  # PostgreSQL: the deferred trigger's function, qualified
    commit_trigger: str = ""  # PostgreSQL: the deferred trigger on ``txs``
    guard: str = ""  # PostgreSQL: the setting that marks a transaction as noted in ``txs``
    # the columns, quoted, whose change makes an update a change (with the key); empty:
    # every update is one
    watched: tuple[str, ...] = ()


def capture_names(
    dialect: Dialect,
    schema: str | None,
    table: str,
    key: str,
    change_table: str,
    watched: Sequence[str] = (),
) -> CaptureNames:
    quote = dialect.identifier_preparer.quote
    limit = dialect.max_identifier_length or 63

    prefix = f"{quote(schema)}." if schema else ""

    def own(suffix: str) -> str:
        return quote(_fit(f"lockstep_{table}", f"_{suffix}", limit))

    return CaptureNames(
        table=table,
        target=prefix + quote(table),
        key=quote(key),
        changes=prefix + quote(change_table),
        changes_index=quote(_fit(change_table, "_by_table", limit)),
        insert=own("ins"),
        update=own("upd"),
        delete=own("del"),
        truncate=own("trunc"),
        prefix=prefix,
        function=prefix + own("capture"),
        channel=change_table,
        txs=prefix + quote(_fit(change_table, "_txs", limit)),
        commits=prefix + quote(_fit(change_table, "_commits", limit)),
        commit_function=prefix + quote(_fit(change_table, "_commit", limit)),
        commit_trigger=quote(_fit(change_table, "_commit", limit)),
        guard="lockstep.tx_" + hashlib.sha1(f"{schema}.{change_table}".encode()).hexdigest()[:12],
        watched=tuple(quote(c) for c in dict.fromkeys(watched) if c != key),
    )


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def bare(quoted: str) -> str:
    """A name as the catalog holds it: ``quoted`` without its quotes."""
    if quoted[:1] in ('"', "`") and quoted[-1:] == quoted[:1]:
        return quoted[1:-1].replace(quoted[0] * 2, quoted[0])
    return quoted


def _fit(head: str, tail: str, limit: int) -> str:
    name = head + tail
    if len(name.encode()) <= limit:
        return name
    digest = hashlib.sha1(head.encode()).hexdigest()[:8]
    room = limit - len(tail.encode()) - len(digest) - 1
    return head.encode()[:room].decode(errors="ignore") + "_" + digest + tail
