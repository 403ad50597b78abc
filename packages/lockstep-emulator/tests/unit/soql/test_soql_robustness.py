"""A client's bad query must fail as a ``SalesforceError``, never as anything else:
random queries over real fields and literals of every type, and hostile edge cases."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lockstep_emulator.errors import MalformedQuery, SalesforceError
from lockstep_emulator.soql import ast
from lockstep_emulator.soql.render import render
from soql_db import Db

_fields = st.sampled_from(
    [
        "Id",
        "Name",
        "AnnualRevenue",
        "NumberOfEmployees",
        "IsDeleted",
        "CreatedDate",
        "OwnerId",
        "Owner.Name",
        "Parent.Parent.Name",
        "Invoice_Total__c",
        "Nope",
        "Nope__r.Name",
    ]
).map(lambda f: ast.Field(tuple(f.split("."))))
_literals = st.one_of(
    st.text(max_size=20).map(lambda s: ast.String(s)),
    st.integers(-(2**70), 2**70).map(lambda n: ast.Number(str(n))),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: ast.Number(f"{x:.6f}")),
    st.booleans().map(ast.Boolean),
    st.just(ast.Null()),
    st.dates().map(ast.DateValue),
    st.sampled_from(["TODAY", "THIS_QUARTER", "NEXT_YEAR"]).map(ast.RelativeDate),
    st.integers(0, 10**12).map(lambda n: ast.RelativeDate("LAST_N_DAYS", n)),
)
_leaves = st.one_of(
    st.builds(ast.Compare, _fields, st.sampled_from(["=", "!=", "<", ">="]), _literals),
    st.builds(ast.InList, _fields, st.lists(_literals, min_size=1, max_size=3).map(tuple)),
    st.builds(ast.Like, _fields, _literals),
    st.builds(ast.Includes, _fields, st.lists(_literals, min_size=1, max_size=2).map(tuple)),
)
_conditions = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.And(tuple(xs))),
        inner.map(ast.Not),
    ),
    max_leaves=6,
)
_selects = st.lists(
    st.one_of(
        _fields.map(ast.SelectExpr),
        _fields.map(lambda f: ast.SelectExpr(ast.Call("MAX", (f,)))),
    ),
    min_size=1,
    max_size=3,
    unique=True,
).map(tuple)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_selects, _conditions, st.one_of(st.none(), st.integers(0, 2**70)))
def test_random_queries_succeed_or_fail_as_salesforce_errors(
    db: Db, select: tuple[ast.SelectItem, ...], where: ast.Condition, limit: int | None
) -> None:
    if not db.records("SELECT Id FROM Account LIMIT 1"):
        parent = db.add("Account", Name="p", AnnualRevenue=1)
        db.add("Account", Name="c", ParentId=parent, NumberOfEmployees=3)
    query = ast.Query(select, ast.Field(("Account",)), where=where, limit=limit)
    try:
        records = db.records(render(query))
    except SalesforceError as error:
        assert error.error_code in {
            "MALFORMED_QUERY",
            "INVALID_FIELD",
            "INVALID_QUERY_FILTER_OPERATOR",
        }
    else:
        assert isinstance(records, list)


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE " + "NOT " * 300 + "Name = 'x'",
        "SELECT Id FROM Account WHERE " + "NOT " * 2000 + "Name = 'x'",
        "SELECT Id FROM Account WHERE CreatedDate > 0001-01-01T00:00:00+01:00",
        "SELECT Id FROM Account WHERE CreatedDate < 9999-12-31T23:00:00-05:00",
        "SELECT Id FROM Account WHERE CreatedDate > LAST_N_DAYS:99999999999999999999",
        "SELECT Id FROM Opportunity WHERE CloseDate = 0000-01-01",
    ],
)
def test_hostile_queries_are_malformed(db: Db, soql: str) -> None:
    with pytest.raises(MalformedQuery):
        db.query(soql)


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE AnnualRevenue > 99999999999999999999999",
        "SELECT Id FROM Account WHERE NumberOfEmployees IN (1, -99999999999999999999999)",
        "SELECT Id FROM Account LIMIT 99999999999999999999999",
        "SELECT Id, (SELECT Id FROM Contacts LIMIT 99999999999999999999) FROM Account",
        "SELECT Id FROM Account WHERE Name = '\\u0000'",
    ],
)
def test_extreme_literals_are_answered(db: Db, soql: str) -> None:
    db.add("Account", Name="x", AnnualRevenue=5)
    assert isinstance(db.records(soql), list)
