"""ORDER BY, LIMIT and OFFSET: small pieces every kind of query shares."""

from __future__ import annotations

from typing import Any

from lockstep_emulator.soql import ast
from lockstep_emulator.soql.scope import Context

MAX_OFFSET = 2000
UNLIMITED = 2**62


def order_term(sql: str, item: ast.OrderItem) -> str:
    """One ORDER BY term. Salesforce's defaults (ASC NULLS FIRST, DESC NULLS LAST) are
    SQLite's too; they are spelled out so the SQL reads the same as the SOQL."""
    direction = "DESC" if item.descending else "ASC"
    nulls = item.nulls or ("LAST" if item.descending else "FIRST")
    return f"{sql} {direction} NULLS {nulls}"


def check_offset(ctx: Context, query: ast.Query) -> None:
    """Salesforce refuses OFFSET above 2000."""
    if query.offset is not None and query.offset > MAX_OFFSET:
        raise ctx.error(
            "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
        )


def limit_sql(ctx: Context, query: ast.Query) -> tuple[str, list[Any]]:
    """`` LIMIT ? OFFSET ?`` (SQLite needs a LIMIT for an OFFSET; -1 means none)."""
    check_offset(ctx, query)
    if query.limit is None and query.offset is None:
        return "", []
    limit = -1 if query.limit is None else min(query.limit, UNLIMITED)
    return " LIMIT ? OFFSET ?", [limit, query.offset or 0]
