"""Lock expressions: text to tree, the names a tree reads, and where a bad one breaks."""

from __future__ import annotations

import pytest

from lockstep.expr import (
    And,
    Compare,
    ExprError,
    List,
    Literal,
    Name,
    Not,
    Or,
    names,
    parse,
)


def n(dotted: str) -> Name:
    return Name(tuple(dotted.split(".")))


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (
            "contract.status == 'Fulfilled'",
            Compare("==", n("contract.status"), Literal("Fulfilled")),
        ),
        (
            "status in ['Closed', 'Void'] and not reopened",
            And(
                Compare("in", n("status"), List((Literal("Closed"), Literal("Void")))),
                Not(n("reopened")),
            ),
        ),
        (
            "amount >= 100 or owner == null",
            Or(Compare(">=", n("amount"), Literal(100)), Compare("==", n("owner"), Literal(None))),
        ),
        (
            "a not in [1, 2.5, -3,]",
            Compare("not in", n("a"), List((Literal(1), Literal(2.5), Literal(-3)))),
        ),
        ("a != \"it's\"", Compare("!=", n("a"), Literal("it's"))),
        ("a == 'say \\'hi\\'\\n'", Compare("==", n("a"), Literal("say 'hi'\n"))),
        ("a < b", Compare("<", n("a"), n("b"))),
        ("a <= true", Compare("<=", n("a"), Literal(True))),
        ("a > false", Compare(">", n("a"), Literal(False))),
        ("flag", n("flag")),
        ("not not flag", Not(Not(n("flag")))),
        ("[]", List(())),
        # and binds tighter than or; parentheses regroup
        ("a or b and c", Or(n("a"), And(n("b"), n("c")))),
        ("(a or b) and c", And(Or(n("a"), n("b")), n("c"))),
        ("not a == 1", Not(Compare("==", n("a"), Literal(1)))),
        # names that start like keywords are names
        ("android or ornament and notes", Or(n("android"), And(n("ornament"), n("notes")))),
        ("in_stock == True", Compare("==", n("in_stock"), n("True"))),  # keywords are lower case
    ],
)  # fmt: skip
def test_parse(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_names_in_order_of_first_use() -> None:
    tree = parse("contract.status == 'x' and (b in [c, contract.status] or not d.e)")
    assert names(tree) == (("contract", "status"), ("b",), ("c",), ("d", "e"))
    assert names(parse("1 == 1")) == ()


def test_a_name_knows_its_column_and_dotted_form() -> None:
    tree = parse("x == 1 or  contract.status")
    assert isinstance(tree, Or) and isinstance(tree.right, Name)
    assert (tree.right.column, tree.right.dotted) == (12, "contract.status")


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "the expression is empty", 0),
        ("   ", "the expression is empty", 0),
        ("a = 1", "unexpected character '=' (compare with ==)", 3),
        ("a && b", "unexpected character '&' (write 'and')", 3),
        ("a || b", "unexpected character '|' (write 'or')", 3),
        ("!a", "unexpected character '!' (write 'not', or != to compare)", 1),
        ("a == 'open", "unclosed text: a quote is missing", 6),
        ("a ==", "the expression ends too early", 5),
        ("(a", "the expression ends too early", 3),
        ("a.", "the expression ends too early", 3),
        ("a == b == c", "unexpected '=='", 8),
        ("a b", "unexpected 'b'", 3),
        ("in", "unexpected 'in'", 1),
        ("a and or b", "unexpected 'or'", 7),
        ("a.in == 1", "unexpected 'in'", 3),
        ("a ~ b", "unexpected character '~'", 3),
        ("(" * 40 + "a" + ")" * 40, "the expression nests brackets more than 32 deep", 0),
        ("a" * 2001, "the expression is longer than 2000 characters", 0),
    ],
)
def test_syntax_errors_say_where(text: str, message: str, column: int) -> None:
    with pytest.raises(ExprError) as caught:
        parse(text)
    assert (caught.value.message, caught.value.column) == (message, column)
    assert str(caught.value) == (f"{message} (at character {column})" if column else message)


def test_trees_are_frozen_values() -> None:
    tree = parse("a == 1")
    assert isinstance(tree, Compare)
    with pytest.raises(AttributeError):
        tree.op = "!="  # type: ignore[misc]
    assert hash(tree) == hash(parse("a  ==  1"))
