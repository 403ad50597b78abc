"""Database URLs as people write them, in the form SQLAlchemy takes.

Heroku and many other hosts hand out ``postgres://user:password@host/db`` (the
``DATABASE_URL`` convention), which SQLAlchemy refuses: its name for the dialect is
``postgresql``, and a bare ``postgresql://`` means psycopg2 whether it is installed
or not. So a PostgreSQL URL without a driver is given the driver that is installed
(psycopg 3, lockstep's ``postgres`` extra, else psycopg2); a URL that names its
driver is left as written. Only the scheme changes: user, password, host and query
are kept byte for byte.
"""

from __future__ import annotations

import importlib.util
import re

_BARE_POSTGRES = re.compile(r"^(?:postgres|postgresql)://", re.IGNORECASE)
_DRIVERS = (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2"))


def normalize_url(text: str) -> str:
    """``text`` with a driverless PostgreSQL scheme replaced by the installed driver's."""
    match = _BARE_POSTGRES.match(text)
    if match is None:
        return text
    return f"{postgres_scheme()}://{text[match.end() :]}"


def postgres_scheme() -> str:
    """The scheme of the PostgreSQL driver installed; ``postgresql`` (SQLAlchemy's
    default, psycopg2) when there is none, so that the error names what to install."""
    for module, scheme in _DRIVERS:
        if importlib.util.find_spec(module) is not None:
            return scheme
    return "postgresql"
