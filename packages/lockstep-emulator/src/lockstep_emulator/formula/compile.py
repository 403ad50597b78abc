"""A parsed formula checked against an object's fields and turned into a function.

Checking happens once, when the schema loads: every name must be a field (or a
parent's field through a relationship), every function must exist and get arguments
of the right kinds, and the whole formula must be true or false. What is left for a
save is calling closures; there is no ``eval`` and no way to reach Python objects.

Blanks follow Salesforce's "treat blank fields as blanks": a blank number, date or
date/time makes arithmetic and comparisons unknown (None), and logic is three-valued
(``unknown AND false`` is false, ``unknown OR true`` is true); a rule fires only when
its formula is true. Blank text is the empty string, so ``Name = ''`` is true for a
blank name. Comparing with the literal NULL tests for blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lockstep_emulator.formula import ast, operators
from lockstep_emulator.formula.env import Catalog, Env, FieldRef, Fn
from lockstep_emulator.formula.functions import FUNCTIONS, Function, pattern
from lockstep_emulator.formula.kinds import Kind, describe, fits, kind_of
from lockstep_emulator.formula.parse import FormulaError, parse
from lockstep_emulator.formula.special import SPECIAL
from lockstep_emulator.schema.model import FieldDef

MAX_DEPTH = 5  # parent levels, as in SOQL


@dataclass(frozen=True)
class Formula:
    """A checked formula: ``holds(env)`` is True only when it evaluates to true."""

    text: str
    run: Fn

    def holds(self, env: Env) -> bool:
        return self.run(env) is True


def compile_formula(text: str, object_name: str, catalog: Catalog) -> Formula:
    """``text`` checked against ``object_name``'s fields; ``FormulaError`` says what is wrong."""
    compiler = _Compiler(object_name, catalog)
    kind, run = compiler.node(parse(text))
    if kind not in (Kind.BOOLEAN, Kind.ANY):
        raise FormulaError(f"the formula must be true or false, but it gives a {describe(kind)}", 1)
    return Formula(text, run)


class _Compiler:
    def __init__(self, object_name: str, catalog: Catalog) -> None:
        self.object_name = object_name
        self.catalog = catalog

    def node(self, n: ast.Node) -> tuple[Kind, Fn]:
        if isinstance(n, ast.Literal):
            return operators.literal(n.value)
        if isinstance(n, ast.Path):
            ref = self.path(n)
            return kind_of(ref.field), lambda env: env.value(ref)
        if isinstance(n, ast.Unary):
            return self.unary(n)
        if isinstance(n, ast.Binary):
            return self.binary(n)
        if isinstance(n, ast.In):
            return self.in_list(n)
        return self.call(n)

    # -- names ------------------------------------------------------------------------

    def fields(self, object_name: str) -> dict[str, FieldDef]:
        found = self.catalog(object_name)
        return {} if found is None else {f.name.lower(): f for f in found}

    def path(self, n: ast.Path) -> FieldRef:
        if len(n.names) > MAX_DEPTH + 1:
            raise FormulaError(f"at most {MAX_DEPTH} parent levels", n.column)
        current = self.object_name
        steps: list[tuple[FieldDef, str]] = []
        for name in n.names[:-1]:
            reference = next(
                (
                    f
                    for f in self.fields(current).values()
                    if f.relationship_name and f.relationship_name.lower() == name.lower()
                ),
                None,
            )
            if reference is None or not reference.reference_to:
                raise FormulaError(f"{current} has no relationship '{name}'", n.column)
            current = reference.reference_to[0]
            steps.append((reference, current))
        field = self.fields(current).get(n.names[-1].lower())
        if field is None:
            raise FormulaError(f"{current} has no field '{n.names[-1]}'", n.column)
        return FieldRef(tuple(steps), field)

    # -- operators --------------------------------------------------------------------

    def unary(self, n: ast.Unary) -> tuple[Kind, Fn]:
        kind, fn = self.node(n.operand)
        if n.op == "not":
            self.expect(Kind.BOOLEAN, kind, n.column, "NOT")
            return Kind.BOOLEAN, lambda env: operators.not_(fn(env))
        self.expect(Kind.NUMBER, kind, n.column, "-")
        return Kind.NUMBER, lambda env: None if (v := fn(env)) is None else -v

    def binary(self, n: ast.Binary) -> tuple[Kind, Fn]:
        if n.op in ("and", "or"):
            return self.logic(n.op.upper(), (n.left, n.right), n.column)
        if n.op in operators.COMPARE:
            return self.compare(n)
        (lk, left), (rk, right) = self.node(n.left), self.node(n.right)
        if n.op == "&":
            self.expect(Kind.TEXT, lk, n.left.column, "&")
            self.expect(Kind.TEXT, rk, n.right.column, "&")
            return Kind.TEXT, lambda env: (left(env) or "") + (right(env) or "")
        if Kind.ANY in (lk, rk):
            return Kind.ANY, lambda env: None  # arithmetic with NULL is blank
        result = operators.ARITHMETIC.get((n.op, lk, rk))
        if result is None:
            raise FormulaError(
                f"'{n.op}' cannot combine a {describe(lk)} and a {describe(rk)}", n.column
            )
        if result is Kind.TEXT:
            return Kind.TEXT, lambda env: (left(env) or "") + (right(env) or "")
        return result, operators.arithmetic(n.op, left, right)

    def compare(self, n: ast.Binary) -> tuple[Kind, Fn]:
        if n.op in ("=", "!=") and (operators.is_null(n.left) or operators.is_null(n.right)):
            _, fn = self.node(n.right if operators.is_null(n.left) else n.left)
            wanted = n.op == "="
            return Kind.BOOLEAN, lambda env: operators.is_blank(fn(env)) is wanted
        (lk, left), (rk, right) = self.node(n.left), self.node(n.right)
        comparable = fits(lk, rk) and not (Kind.BOOLEAN in (lk, rk) and n.op not in ("=", "!="))
        if not comparable:
            raise FormulaError(
                f"'{n.op}' cannot compare a {describe(lk)} with a {describe(rk)}", n.column
            )
        test = operators.COMPARE[n.op]
        if Kind.TEXT in (lk, rk):
            return Kind.BOOLEAN, lambda env: test(left(env) or "", right(env) or "")
        return Kind.BOOLEAN, lambda env: operators.compared(test, left(env), right(env))

    def in_list(self, n: ast.In) -> tuple[Kind, Fn]:
        kind, fn = self.node(n.operand)
        items = []
        for item in n.items:
            item_kind, item_fn = self.node(item)
            if not fits(kind, item_kind):
                raise FormulaError(
                    f"IN compares a {describe(kind)} with a {describe(item_kind)}", item.column
                )
            items.append(item_fn)
        text = kind is Kind.TEXT

        def member(env: Env) -> bool | None:
            value = fn(env)
            if text:
                value = value or ""
            elif value is None:
                return None
            found = any(((f(env) or "") if text else f(env)) == value for f in items)
            return found != n.negated

        return Kind.BOOLEAN, member

    def logic(self, name: str, args: tuple[ast.Node, ...], column: int) -> tuple[Kind, Fn]:
        fns = []
        for arg in args:
            kind, fn = self.node(arg)
            self.expect(Kind.BOOLEAN, kind, arg.column, name)
            fns.append(fn)
        if name == "NOT":
            if len(fns) != 1:
                raise FormulaError("NOT takes 1 argument", column)
            only = fns[0]
            return Kind.BOOLEAN, lambda env: operators.not_(only(env))
        if len(fns) < 1:
            raise FormulaError(f"{name} needs at least 1 argument", column)
        stop = name == "OR"  # the value that decides at once

        def combine(env: Env) -> bool | None:
            unknown = False
            for fn in fns:
                value = fn(env)
                if value is None:
                    unknown = True
                elif bool(value) is stop:
                    return stop
            return None if unknown else not stop

        return Kind.BOOLEAN, combine

    # -- calls ------------------------------------------------------------------------

    def call(self, n: ast.Call) -> tuple[Kind, Fn]:
        special = SPECIAL.get(n.name)
        if special is not None:
            return special(self, n)
        function = FUNCTIONS.get(n.name)
        if function is None:
            raise FormulaError(f"unknown function {n.name}", n.column)
        self.arity(n, len(function.params) - function.optional, _max_args(function))
        params = [function.params[min(i, len(function.params) - 1)] for i in range(len(n.args))]
        fns = []
        for arg, param in zip(n.args, params, strict=True):
            kind, fn = self.node(arg)
            self.expect(param, kind, arg.column, n.name)
            fns.append(fn)
        if n.name == "REGEX" and isinstance(n.args[1], ast.Literal):
            _check_pattern(n.args[1])
        return function.returns, _apply(function, params, fns)

    def arity(self, n: ast.Call, least: int, most: int | None) -> None:
        count = len(n.args)
        if count < least or (most is not None and count > most):
            wanted = str(least) if most == least else f"{least} to {most or 'any number of'}"
            raise FormulaError(f"{n.name} takes {wanted} argument(s), not {count}", n.column)

    def expect(self, wanted: Kind, got: Kind, column: int, where: str) -> None:
        if not fits(wanted, got):
            raise FormulaError(f"{where} needs a {describe(wanted)}, not a {describe(got)}", column)

    def field_arg(self, n: ast.Call) -> FieldRef:
        self.arity(n, 1, 1)
        arg = n.args[0]
        if not isinstance(arg, ast.Path) or len(arg.names) != 1:
            raise FormulaError(f"{n.name} takes a field of the record", arg.column)
        return self.path(arg)


def _max_args(function: Function) -> int | None:
    return None if function.variadic else len(function.params)


def _apply(function: Function, params: list[Kind], fns: list[Fn]) -> Fn:
    def run(env: Env) -> Any:
        args = []
        for param, fn in zip(params, fns, strict=True):
            value = fn(env)
            if value is None and not function.handles_blank:
                if param is not Kind.TEXT:
                    return None
                value = ""
            args.append(value)
        return function.impl(*args)

    return run


def _check_pattern(literal: ast.Literal) -> None:
    try:
        pattern(str(literal.value))
    except Exception as exc:
        raise FormulaError(f"REGEX pattern is not valid: {exc}", literal.column) from None


__all__ = ["Formula", "compile_formula"]
