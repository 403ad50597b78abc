"""SOQL errors worded and positioned as Salesforce words them.

Salesforce prefixes a query error with the offending line, a caret under the spot and
``ERROR at Row:r:Column:c``; clients show that text to people, so the emulator does
the same whenever it knows where the problem is.
"""

from __future__ import annotations

from lockstep_emulator.errors import MalformedQuery, SalesforceError
from lockstep_emulator.soql.ast import NOWHERE, Pos

_EXCERPT = 200


def locate(source: str, pos: Pos, message: str) -> str:
    """``message`` after the query line, a caret and the row/column, when ``pos`` is known."""
    line, column = pos
    if pos == NOWHERE:
        return message
    lines = source.splitlines() or [""]
    text = lines[min(line, len(lines)) - 1]
    start = max(0, column - 1 - _EXCERPT // 2) if len(text) > _EXCERPT else 0
    excerpt = text[start : start + _EXCERPT]
    caret = " " * (column - 1 - start) + "^"
    return f"\n{excerpt}\n{caret}\nERROR at Row:{line}:Column:{column}\n{message}"


def query_error(
    code: str, message: str, *, source: str = "", pos: Pos = NOWHERE
) -> SalesforceError:
    """The exception for ``code``; ``MALFORMED_QUERY`` gets its own class."""
    text = locate(source, pos, message)
    if code == "MALFORMED_QUERY":
        return MalformedQuery(text)
    return SalesforceError(code, text)


def no_such_column(name: str, sobject: str) -> str:
    return (
        f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name. Please "
        "reference your WSDL or the describe call for the appropriate names."
    )


def bad_relationship(name: str, where: str = "field path") -> str:
    return (
        f"Didn't understand relationship '{name}' in {where}. If you are attempting to use "
        "a custom relationship, be sure to append the '__r' after the custom relationship "
        "name. Please reference your WSDL or the describe call for the appropriate names."
    )


def unsupported_object(name: str) -> str:
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name. Please reference your "
        "WSDL or the describe call for the appropriate names."
    )
