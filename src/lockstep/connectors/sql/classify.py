"""What a database error means, decided in one place from the driver's own code:
PostgreSQL's SQLSTATE, MariaDB's error number, SQLite's extended result code name.
No message text is matched.

Each error gets a lockstep code and a *scope*:

- ``record``: the row was refused (a constraint, a bad value); that record fails,
  the others go on. Its code lands in ``RecordError.code``.
- ``transient`` / ``unreachable``: retry the whole call later (deadlock, lock timeout:
  ``Contended``; connection lost: ``Unreachable``). ``apply`` raises these for the
  whole call and commits nothing, so no row is ever reported failed for them.
- ``auth`` / ``schema`` / ``terminal``: the whole call fails until someone acts.

One gap: PostgreSQL refuses a login (bad password, unknown role or database) before
a session exists, and libpq reports that as a message without a SQLSTATE, so it
reads as ``unreachable`` and is retried rather than reported as ``AuthFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from lockstep.core.ops import RecordError
from lockstep.errors import (
    AuthFailed,
    Contended,
    SchemaError,
    SystemFailure,
    Terminal,
    Unreachable,
)

Scope = Literal["record", "transient", "unreachable", "auth", "schema", "terminal"]

DUPLICATE = "SQL_DUPLICATE_VALUE"
CHECK = "SQL_CHECK_VIOLATION"
REQUIRED = "SQL_REQUIRED_FIELD_MISSING"
FOREIGN_KEY = "SQL_FOREIGN_KEY_VIOLATION"
INTEGRITY = "SQL_INTEGRITY"
INVALID = "SQL_INVALID_VALUE"
REJECTED = "SQL_ERROR"  # refused for another reason (an app trigger, say)
CONFLICT = "SQL_CONFLICT"  # deadlock, serialization failure, lock or statement timeout
UNREACHABLE = "SQL_UNREACHABLE"
AUTH = "SQL_AUTH"
UNDEFINED = "SQL_UNDEFINED_OBJECT"
PERMISSION = "SQL_PERMISSION_DENIED"
STATEMENT = "SQL_BAD_STATEMENT"

_SCOPES: dict[str, Scope] = {
    DUPLICATE: "record",
    CHECK: "record",
    REQUIRED: "record",
    FOREIGN_KEY: "record",
    INTEGRITY: "record",
    INVALID: "record",
    REJECTED: "record",
    CONFLICT: "transient",
    UNREACHABLE: "unreachable",
    AUTH: "auth",
    UNDEFINED: "schema",
    PERMISSION: "terminal",
    STATEMENT: "terminal",
}

_POSTGRES = {
    "23505": DUPLICATE,
    "23514": CHECK,
    "23502": REQUIRED,
    "23503": FOREIGN_KEY,
    "40001": CONFLICT,
    "40P01": CONFLICT,
    "55P03": CONFLICT,
    "57014": CONFLICT,
    "57P01": UNREACHABLE,
    "57P02": UNREACHABLE,
    "57P03": UNREACHABLE,
    "53300": UNREACHABLE,
    "28000": AUTH,
    "28P01": AUTH,
    "42P01": UNDEFINED,
    "42703": UNDEFINED,
    "3D000": UNDEFINED,
    "3F000": UNDEFINED,
    "42501": PERMISSION,
}
_POSTGRES_CLASSES = {
    "23": INTEGRITY,
    "22": INVALID,
    "08": UNREACHABLE,
    "42": STATEMENT,
}

_MARIADB = {
    1062: DUPLICATE,
    1586: DUPLICATE,
    1022: DUPLICATE,
    1169: DUPLICATE,
    4025: CHECK,
    3819: CHECK,
    1048: REQUIRED,
    1364: REQUIRED,
    1263: REQUIRED,
    1451: FOREIGN_KEY,
    1452: FOREIGN_KEY,
    1216: FOREIGN_KEY,
    1217: FOREIGN_KEY,
    1264: INVALID,
    1265: INVALID,
    1292: INVALID,
    1366: INVALID,
    1367: INVALID,
    1406: INVALID,
    1411: INVALID,
    1690: INVALID,
    4078: INVALID,
    1213: CONFLICT,
    1205: CONFLICT,
    1969: CONFLICT,
    3024: CONFLICT,
    1040: UNREACHABLE,
    1053: UNREACHABLE,
    2002: UNREACHABLE,
    2003: UNREACHABLE,
    2006: UNREACHABLE,
    2013: UNREACHABLE,
    2055: UNREACHABLE,
    1045: AUTH,
    1044: AUTH,
    1698: AUTH,
    1049: UNDEFINED,
    1146: UNDEFINED,
    1054: UNDEFINED,
    1142: PERMISSION,
    1143: PERMISSION,
    1064: STATEMENT,
    1149: STATEMENT,
}

_SQLITE = {
    "SQLITE_CONSTRAINT_UNIQUE": DUPLICATE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": DUPLICATE,
    "SQLITE_CONSTRAINT_CHECK": CHECK,
    "SQLITE_CONSTRAINT_NOTNULL": REQUIRED,
    "SQLITE_CONSTRAINT_FOREIGNKEY": FOREIGN_KEY,
    "SQLITE_MISMATCH": INVALID,
    "SQLITE_TOOBIG": INVALID,
    "SQLITE_RANGE": INVALID,
    "SQLITE_CANTOPEN": UNREACHABLE,
    "SQLITE_NOTADB": UNREACHABLE,
    "SQLITE_IOERR": UNREACHABLE,
    "SQLITE_FULL": UNREACHABLE,
    "SQLITE_BUSY": CONFLICT,
    "SQLITE_LOCKED": CONFLICT,
    "SQLITE_AUTH": PERMISSION,
    "SQLITE_PERM": PERMISSION,
    "SQLITE_READONLY": PERMISSION,
}


@dataclass(frozen=True)
class Classified:
    code: str
    scope: Scope
    message: str


def classify(exc: sa.exc.StatementError) -> Classified:
    """The lockstep code and scope of a failed statement."""
    orig = exc.orig
    message = _first_line(orig if orig is not None else exc)
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return Classified(UNREACHABLE, "unreachable", message)
    code = _driver_code(orig) or _by_class(exc)
    return Classified(code, _SCOPES[code], message)


def _driver_code(orig: BaseException | None) -> str | None:
    """The lockstep code for the driver's own error code, when there is one."""
    if orig is None:
        return None
    driver = type(orig).__module__.partition(".")[0]
    if driver == "psycopg":
        sqlstate = getattr(orig, "sqlstate", None)
        if not isinstance(sqlstate, str) or len(sqlstate) != 5:
            return None
        return _POSTGRES.get(sqlstate) or _POSTGRES_CLASSES.get(sqlstate[:2], REJECTED)
    if driver == "pymysql":
        errno = orig.args[0] if orig.args else None
        if not isinstance(errno, int):
            return None
        return _MARIADB.get(errno) or (UNREACHABLE if errno >= 2000 else None)  # 2xxx: client
    errorname = getattr(orig, "sqlite_errorname", None)  # sqlite3, Python 3.11+
    if isinstance(errorname, str):
        return _SQLITE.get(errorname) or _SQLITE.get(_sqlite_primary(errorname))
    return None


def _sqlite_primary(errorname: str) -> str:
    """``SQLITE_CONSTRAINT_TRIGGER`` -> ``SQLITE_CONSTRAINT``; ``SQLITE_BUSY_SNAPSHOT``
    -> ``SQLITE_BUSY``."""
    parts = errorname.split("_")
    return "_".join(parts[:2])


def _by_class(exc: sa.exc.StatementError) -> str:
    """When the driver gave no code we know: judge by the DB-API exception class."""
    if isinstance(exc, sa.exc.IntegrityError):
        return INTEGRITY
    if isinstance(exc, sa.exc.DataError):
        return INVALID
    if isinstance(exc, sa.exc.OperationalError):
        return UNREACHABLE if exc.orig is None or _connect_failure(exc) else REJECTED
    if not isinstance(exc, sa.exc.DBAPIError):
        return INVALID  # a value SQLAlchemy or the driver could not bind
    return REJECTED


def _connect_failure(exc: sa.exc.OperationalError) -> bool:
    """psycopg reports a refused or dropped connection without a SQLSTATE."""
    orig = exc.orig
    return type(orig).__module__.startswith("psycopg") and getattr(orig, "sqlstate", "") is None


def record_error(exc: sa.exc.StatementError) -> RecordError:
    """The record error of a row ``exc`` stopped: transient unless the row itself was
    refused (a deadlock or a lost connection says nothing about the row)."""
    found = classify(exc)
    return RecordError(found.code, found.message, transient=found.scope != "record")


def call_failure(system: str, exc: sa.exc.StatementError, doing: str) -> SystemFailure:
    """The exception for a whole call that failed on ``exc`` while ``doing`` something."""
    found = classify(exc)
    message = f"{doing}: {found.message} [{found.code}]"
    if found.scope == "transient":
        return Contended(system, message)
    if found.scope == "unreachable":
        return Unreachable(system, message)
    if found.scope == "auth":
        return AuthFailed(system, message)
    if found.scope == "schema":
        return SchemaError(system, message)
    return Terminal(system, message)


def _first_line(exc: BaseException) -> str:
    """The driver's message, first line only (PostgreSQL's DETAIL lines can quote
    row data)."""
    args = exc.args
    if type(exc).__module__.startswith("pymysql") and len(args) >= 2:
        text = str(args[1]).strip()  # (errno, message)
    else:
        text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
