"""The trees the parser builds: literal values, operators, clause structure, positions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lockstep_emulator.errors import MalformedQuery
from lockstep_emulator.soql import ast, parse
from lockstep_emulator.soql.render import render


def where(condition: str) -> ast.Condition:
    tree = parse(f"SELECT Id FROM Account WHERE {condition}")
    assert tree.where is not None
    return tree.where


def right(condition: str) -> ast.Literal:
    cond = where(condition)
    assert isinstance(cond, ast.Compare)
    return cond.right


def test_a_full_query_tree() -> None:
    tree = parse(
        "SELECT Id, Account.Name acct, (SELECT LastName FROM Contacts LIMIT 2) FROM Contact c "
        "USING SCOPE mine WHERE Name = 'x' WITH SECURITY_ENFORCED GROUP BY Name HAVING "
        "COUNT(Id) > 1 ORDER BY Name DESC NULLS FIRST, Id LIMIT 10 OFFSET 20 FOR VIEW"
    )
    assert tree == ast.Query(
        select=(
            ast.SelectExpr(ast.Field(("Id",))),
            ast.SelectExpr(ast.Field(("Account", "Name")), "acct"),
            ast.SelectSubquery(
                ast.Query(
                    select=(ast.SelectExpr(ast.Field(("LastName",))),),
                    sobject=ast.Field(("Contacts",)),
                    limit=2,
                )
            ),
        ),
        sobject=ast.Field(("Contact",)),
        alias="c",
        where=ast.Compare(ast.Field(("Name",)), "=", ast.String("x")),
        group_by=(ast.Field(("Name",)),),
        having=ast.Compare(ast.Call("COUNT", (ast.Field(("Id",)),)), ">", ast.Number("1")),
        order_by=(
            ast.OrderItem(ast.Field(("Name",)), descending=True, nulls="FIRST"),
            ast.OrderItem(ast.Field(("Id",))),
        ),
        limit=10,
        offset=20,
        scope="mine",
        ignored=("WITH SECURITY_ENFORCED", "FOR VIEW"),
    )


def test_keywords_and_spacing_do_not_change_the_tree() -> None:
    a = parse("SELECT Id FROM Account WHERE Name LIKE 'a%' ORDER BY Name DESC NULLS LAST LIMIT 5")
    b = parse("select id from account\nwhere name like 'a%'\norder by name desc nulls last limit 5")
    assert render(a).upper() == render(b).upper()
    assert b.where == ast.Like(ast.Field(("name",)), ast.String("a%"))
    assert b.order_by == (ast.OrderItem(ast.Field(("name",)), True, "LAST"),)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'it\\'s'", "it's"),
        ("'a\\\\b'", "a\\b"),
        ("'line\\nbreak'", "line\nbreak"),
        ("'tab\\tstop'", "tab\tstop"),
        ("'\\\"quoted\\\"'", '"quoted"'),
        ("'\\u00e9t\\u00e9'", "\u00e9t\u00e9"),
        ("''", ""),
        ("'caf\u00e9'", "caf\u00e9"),
    ],
)
def test_string_escapes(text: str, value: str) -> None:
    lit = right(f"Name = {text}")
    assert isinstance(lit, ast.String)
    assert lit.value == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), ("-7", -7), ("+3", 3), ("2.50", 2.5), ("-0.125", -0.125), ("10.", 10.0)],
)
def test_numbers(text: str, value: float) -> None:
    lit = right(f"AnnualRevenue = {text}")
    assert isinstance(lit, ast.Number)
    assert lit.value == value
    assert type(lit.value) is type(value)


def test_booleans_and_null_in_any_case() -> None:
    assert right("IsDeleted = true") == ast.Boolean(True)
    assert right("IsDeleted = FALSE") == ast.Boolean(False)
    assert right("Name = Null") == ast.Null()


def test_date_and_datetime_literals() -> None:
    assert right("CloseDate = 2024-02-29") == ast.DateValue(date(2024, 2, 29))
    utc = right("CreatedDate = 2024-01-02T03:04:05Z")
    assert isinstance(utc, ast.DateTimeValue)
    assert utc.value == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    east = right("CreatedDate = 2024-01-02T03:04:05.678+05:30")
    assert isinstance(east, ast.DateTimeValue)
    assert east.value == datetime(
        2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )
    assert east.value.astimezone(UTC) == datetime(2024, 1, 1, 21, 34, 5, 678000, tzinfo=UTC)
    west = right("CreatedDate = 2024-01-02T03:04:05-0800")
    assert isinstance(west, ast.DateTimeValue)
    assert west.value.astimezone(UTC) == datetime(2024, 1, 2, 11, 4, 5, tzinfo=UTC)


def test_relative_dates() -> None:
    assert right("CreatedDate = today") == ast.RelativeDate("TODAY")
    assert right("CreatedDate > last_n_days:30") == ast.RelativeDate("LAST_N_DAYS", 30)


def test_operators_are_normalised() -> None:
    assert [where(f"Name {op} 'x'").op for op in ("=", "!=", "<>", "<", "<=", ">", ">=")] == [  # type: ignore[union-attr]
        "=",
        "!=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
    ]


def test_boolean_structure() -> None:
    a, b, c = (ast.Compare(ast.Field((n,)), "=", ast.Number("1")) for n in "abc")
    assert where("a = 1 AND b = 1 AND c = 1") == ast.And((a, b, c))
    assert where("a = 1 OR (b = 1 AND c = 1)") == ast.Or((a, ast.And((b, c))))
    assert where("NOT a = 1 AND b = 1") == ast.And((ast.Not(a), b))
    assert where("NOT (a = 1 OR b = 1)") == ast.Not(ast.Or((a, b)))
    assert where("((a = 1))") == a


def test_in_like_includes_and_joins() -> None:
    assert where("Name IN ('a', null)") == ast.InList(
        ast.Field(("Name",)), (ast.String("a"), ast.Null())
    )
    assert where("Name NOT IN ('a')") == ast.InList(ast.Field(("Name",)), (ast.String("a"),), True)
    assert where("Tags__c EXCLUDES ('a;b')") == ast.Includes(
        ast.Field(("Tags__c",)), (ast.String("a;b"),), True
    )
    semi = where("Id IN (SELECT AccountId FROM Contact WHERE LastName = 'x')")
    assert isinstance(semi, ast.InQuery)
    assert not semi.negated
    assert semi.query.sobject == ast.Field(("Contact",))
    anti = where("Id NOT IN (SELECT AccountId FROM Contact)")
    assert isinstance(anti, ast.InQuery)
    assert anti.negated


def test_like_keeps_the_raw_pattern_for_escapes() -> None:
    lit = right("Name = 'x'")
    like = where("Name LIKE '50\\%\\_'")
    assert isinstance(like, ast.Like)
    assert isinstance(like.pattern, ast.String)
    assert like.pattern.raw == "50\\%\\_"
    assert isinstance(lit, ast.String)


def test_functions_and_aliases() -> None:
    tree = parse("SELECT COUNT(), COUNT_DISTINCT(Name) n, FIELDS(ALL) FROM Account")
    assert tree.select == (
        ast.SelectExpr(ast.Call("COUNT")),
        ast.SelectExpr(ast.Call("COUNT_DISTINCT", (ast.Field(("Name",)),)), "n"),
        ast.SelectExpr(ast.Call("FIELDS", (ast.Field(("ALL",)),))),
    )


def test_typeof_is_parsed() -> None:
    tree = parse(
        "SELECT TYPEOF What WHEN Account THEN Phone WHEN Opportunity THEN Amount ELSE Name END "
        "FROM Event"
    )
    assert tree.select == (ast.SelectTypeof(ast.Field(("What",))),)


def test_positions_are_recorded_but_not_compared() -> None:
    tree = parse("SELECT Id,\n  Name FROM Account WHERE Name = 'x'")
    name = tree.select[1]
    assert isinstance(name, ast.SelectExpr)
    assert name.expr.pos == (2, 3)
    assert tree.sobject.pos == (2, 13)
    assert right("Name = 'x'").pos == (1, 37)
    assert ast.Field(("Id",), pos=(1, 1)) == ast.Field(("Id",), pos=(9, 9))


def test_parse_is_cached() -> None:
    text = "SELECT Id FROM Account WHERE Name = 'cached'"
    assert parse(text) is parse(text)


# Property tests -----------------------------------------------------------------------

_names = st.sampled_from(["Name", "Industry", "Account.Name", "Owner.Alias", "X__c"])
_literals = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8).map(
        lambda s: ast.String(s)
    ),
    st.integers(-10_000, 10_000).map(lambda n: ast.Number(str(n))),
    st.booleans().map(ast.Boolean),
    st.just(ast.Null()),
    st.dates(date(1900, 1, 1), date(2100, 1, 1)).map(ast.DateValue),
    st.sampled_from(["TODAY", "LAST_WEEK", "THIS_YEAR"]).map(ast.RelativeDate),
    st.integers(0, 400).map(lambda n: ast.RelativeDate("LAST_N_DAYS", n)),
)
_leaves = st.one_of(
    st.builds(
        ast.Compare,
        _names.map(lambda n: ast.Field(tuple(n.split(".")))),
        st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
        _literals,
    ),
    st.builds(
        ast.InList,
        _names.map(lambda n: ast.Field(tuple(n.split(".")))),
        st.lists(_literals, min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
)
_conditions = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.And(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ast.Or(tuple(xs))),
        inner.map(ast.Not),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(_conditions)
def test_rendered_conditions_parse_back_to_the_same_tree(cond: ast.Condition) -> None:
    query = ast.Query((ast.SelectExpr(ast.Field(("Id",))),), ast.Field(("Account",)), where=cond)
    assert parse(render(query)) == query


_soqlish = st.lists(
    st.sampled_from(
        [
            "SELECT",
            "FROM",
            "WHERE",
            "Id",
            "Name",
            "Account",
            "(",
            ")",
            ",",
            ".",
            "=",
            "'x'",
            "AND",
            "OR",
            "NOT",
            "IN",
            "LIKE",
            "1",
            "2024-01-01",
            "TODAY",
            ":",
            "LIMIT",
            "ORDER",
            "BY",
            "GROUP",
            "COUNT",
            "\\",
            "'",
            '"',
            "NULL",
            "LAST_N_DAYS",
            "\n",
        ]
    ),
    max_size=14,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_soqlish, st.text(max_size=40)))
def test_any_text_parses_or_fails_with_malformed_query(text: str) -> None:
    try:
        tree = parse(text)
    except MalformedQuery as error:
        assert error.error_code == "MALFORMED_QUERY"
        assert "ERROR at Row:" in error.message
    else:
        assert isinstance(tree, ast.Query)
