"""The emulator's SOQL: lark grammar → frozen AST → SQL over the store's tables → records.

    parse(soql)                  the syntax tree; MalformedQuery (with row/column) if bad
    execute(conn, schema, soql)  a QueryCursor: total_size at once, then fetch(n) pages

Modules, in the order a query passes through them: ``grammar.lark`` and ``parser``
(text → ``ast``); ``scope`` (names → tables, columns, joins); ``conditions``,
``records``, ``aggregates``, ``clauses`` and ``compiler`` (AST → ``plans``); ``shape``
(rows → records) and ``executor`` (paging). ``dates`` and ``literals`` are pure
helpers, ``messages`` words the errors, and ``render`` turns a tree back into text.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from lockstep_emulator.schema.model import Schema
from lockstep_emulator.soql.ast import Query
from lockstep_emulator.soql.compiler import compile_query
from lockstep_emulator.soql.executor import QueryCursor
from lockstep_emulator.soql.parser import parse

__all__ = ["Query", "QueryCursor", "execute", "parse"]


def execute(
    conn: sqlite3.Connection,
    schema: Schema,
    soql: str,
    *,
    now: datetime,
    include_deleted: bool = False,
    api_version: str = "59.0",
) -> QueryCursor:
    """Run ``soql`` on ``conn``; ``include_deleted`` is queryAll.

    Raises ``SalesforceError`` (``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``,
    ...) for a query Salesforce would reject, before touching the database.
    """
    plan = compile_query(parse(soql), schema, now=now, include_deleted=include_deleted, source=soql)
    return QueryCursor(conn, plan, api_version)
