"""Database errors become lockstep codes by the driver's own code, in one place
(``lockstep.connectors.sql.classify``); the real drivers' exception classes, no
database needed."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors as pg
import pymysql.err as my
import pytest
import sqlalchemy as sa

from lockstep.connectors.sql.classify import call_failure, classify, record_error
from lockstep.errors import AuthFailed, Contended, SchemaError, Terminal, Unreachable


def sqlite_error(cls: type[sqlite3.Error], name: str, message: str) -> sqlite3.Error:
    error = cls(message)
    error.sqlite_errorname = name  # type: ignore[attr-defined]
    return error


def wrapped(orig: BaseException) -> sa.exc.StatementError:
    """``orig`` as SQLAlchemy raises it."""
    return sa.exc.DBAPIError.instance("INSERT INTO widgets ...", {}, orig, Exception, dialect=None)


RECORD_ERRORS = [
    (pg.UniqueViolation("duplicate key\nDETAIL: Key (ext)=(E1)"), "SQL_DUPLICATE_VALUE"),
    (pg.CheckViolation("violates check constraint"), "SQL_CHECK_VIOLATION"),
    (pg.NotNullViolation("null value"), "SQL_REQUIRED_FIELD_MISSING"),
    (pg.ForeignKeyViolation("fk"), "SQL_FOREIGN_KEY_VIOLATION"),
    (pg.ExclusionViolation("exclusion"), "SQL_INTEGRITY"),
    (pg.InvalidTextRepresentation("invalid input syntax"), "SQL_INVALID_VALUE"),
    (pg.StringDataRightTruncation("value too long"), "SQL_INVALID_VALUE"),
    (pg.RaiseException("the app's trigger says no"), "SQL_ERROR"),
    (my.IntegrityError(1062, "Duplicate entry 'E1' for key 'ext'"), "SQL_DUPLICATE_VALUE"),
    (my.OperationalError(4025, "CONSTRAINT `x` failed"), "SQL_CHECK_VIOLATION"),
    (my.IntegrityError(1048, "Column 'code' cannot be null"), "SQL_REQUIRED_FIELD_MISSING"),
    (my.DataError(1406, "Data too long for column 'name'"), "SQL_INVALID_VALUE"),
    (my.OperationalError(1366, "Incorrect decimal value"), "SQL_INVALID_VALUE"),
    (my.OperationalError(1644, "signalled by a trigger"), "SQL_ERROR"),
    (sqlite_error(sqlite3.IntegrityError, "SQLITE_CONSTRAINT_UNIQUE", "u"), "SQL_DUPLICATE_VALUE"),
    (sqlite_error(sqlite3.IntegrityError, "SQLITE_CONSTRAINT_CHECK", "c"), "SQL_CHECK_VIOLATION"),
    (
        sqlite_error(sqlite3.IntegrityError, "SQLITE_CONSTRAINT_NOTNULL", "n"),
        "SQL_REQUIRED_FIELD_MISSING",
    ),
    (sqlite_error(sqlite3.IntegrityError, "SQLITE_CONSTRAINT_TRIGGER", "t"), "SQL_INTEGRITY"),
    (sqlite_error(sqlite3.IntegrityError, "SQLITE_MISMATCH", "m"), "SQL_INVALID_VALUE"),
]


@pytest.mark.parametrize("orig, code", RECORD_ERRORS)
def test_refusals_of_one_row_are_record_errors(orig: BaseException, code: str) -> None:
    found = classify(wrapped(orig))
    assert (found.code, found.scope) == (code, "record")


def test_the_message_is_the_drivers_first_line_without_row_data() -> None:
    error = record_error(wrapped(pg.UniqueViolation("duplicate key\nDETAIL: Key (ext)=(E1)")))
    assert error.message == "duplicate key"
    error = record_error(wrapped(my.IntegrityError(1062, "Duplicate entry")))
    assert error.message == "Duplicate entry"


def test_a_value_the_driver_cannot_bind_is_an_invalid_value() -> None:
    bind = sa.exc.StatementError("cannot bind", "INSERT ...", {}, TypeError("not a date"))
    assert classify(bind).code == "SQL_INVALID_VALUE"


WHOLE_CALL = [
    (pg.DeadlockDetected("deadlock"), Contended),
    (pg.LockNotAvailable("lock timeout"), Contended),
    (psycopg.OperationalError("connection failed: Connection refused"), Unreachable),
    (pg.AdminShutdown("terminating connection"), Unreachable),
    (pg.InvalidPassword("password authentication failed"), AuthFailed),
    (pg.UndefinedTable('relation "gizmos" does not exist'), SchemaError),
    (pg.SyntaxError("syntax error at or near"), Terminal),
    (pg.InsufficientPrivilege("permission denied"), Terminal),
    (my.OperationalError(1213, "Deadlock found"), Contended),
    (my.OperationalError(2003, "Can't connect"), Unreachable),
    (my.OperationalError(1045, "Access denied"), AuthFailed),
    (my.ProgrammingError(1146, "Table doesn't exist"), SchemaError),
    (sqlite_error(sqlite3.OperationalError, "SQLITE_BUSY", "database is locked"), Contended),
    (sqlite_error(sqlite3.OperationalError, "SQLITE_CANTOPEN", "unable to open"), Unreachable),
    (sqlite_error(sqlite3.OperationalError, "SQLITE_READONLY", "readonly"), Terminal),
]


@pytest.mark.parametrize("orig, failure", WHOLE_CALL)
def test_failures_of_the_whole_call_become_lockstep_errors(
    orig: BaseException, failure: type[Exception]
) -> None:
    raised = call_failure("app", wrapped(orig), "writing widgets")
    assert type(raised) is failure
    assert raised.system == "app" and raised.message.startswith("writing widgets: ")


def test_a_dropped_connection_is_unreachable_whatever_the_error() -> None:
    error = sa.exc.OperationalError(
        "SELECT 1", {}, my.IntegrityError(1062, "dup"), connection_invalidated=True
    )
    assert classify(error).scope == "unreachable"
