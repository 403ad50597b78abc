"""lockstep's errors: the class of an error decides what happens next.

::

    LockstepError
    ├── ConfigError          bad config or usage: report every problem, exit 2
    └── SystemFailure        a system (by name) failed a whole call
        ├── Transient        retry with backoff; exit 3 if it persists
        │   ├── Unreachable  no connection, DNS, TLS, timeout, 5xx
        │   ├── RateLimited  429, REQUEST_LIMIT_EXCEEDED, 503 with Retry-After
        │   ├── Contended    UNABLE_TO_LOCK_ROW: another transaction holds the row
        │   └── QuotaShed    lockstep's own brake: the daily API share is reached
        └── Terminal         retrying cannot help until a person acts; exit 3
            ├── AuthFailed   credentials refused (the token endpoint said no)
            ├── SchemaError  an object, table or field the config names is missing
            └── CaptureBroken  capture of one binding cannot be trusted (its triggers
                             were dropped or changed, its table truncated): that
                             binding stops, the others go on

A failure of *one record* is not an exception: it is a ``RecordError`` value in that
record's ``OpResult`` (see ``lockstep.core.ops``), so the rest of the batch goes on.

``classify_http`` is the one place HTTP statuses and Salesforce error codes become
classes; nothing matches on message text.

Each class has a ``code``, the one vocabulary for "this op was not done because of
<failure>": a write whose call failed gives its ops not done that code, as record
errors marked transient (``lockstep.connectors.base.not_done``). An op the system did
not process is never the record's fault, so it always waits for a retry, whatever
failed: ``NOT_DONE_CODES`` are all transient, ``Terminal`` ones included (those stop
the pass instead: a person acts, then the waiting changes go through).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

EXIT_OK = 0
EXIT_FAILED_RECORDS = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


class LockstepError(Exception):
    """Every error lockstep raises on purpose."""

    exit_code = EXIT_CANNOT_RUN


class ConfigError(LockstepError):
    """The config (or the command line) is wrong; ``problems`` holds every finding,
    each a line ``file:line:column: path: what``."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = self.problems[0] if count else "invalid configuration"
        super().__init__(head if count == 1 else f"{count} problems; first: {head}")


class SystemFailure(LockstepError):
    """A call to the system named ``system`` failed as a whole."""

    code: ClassVar[str] = "SYSTEM_FAILURE"
    retry_after: float | None = None  # seconds, when the system said

    def __init__(self, system: str, message: str) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message


class Transient(SystemFailure):
    """Worth retrying later; ``retry_after`` (seconds) when the system said."""

    code = "TRANSIENT"

    def __init__(self, system: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(system, message)
        self.retry_after = retry_after


class Unreachable(Transient):
    """The system could not be reached, or failed on its side (5xx, timeout)."""

    code = "UNREACHABLE"


class RateLimited(Transient):
    """The system refused for load or quota (429, REQUEST_LIMIT_EXCEEDED)."""

    code = "RATE_LIMITED"


class Contended(Transient):
    """A row the call needs is locked by another transaction (``UNABLE_TO_LOCK_ROW``)."""

    code = "CONTENDED"


class QuotaShed(Transient):
    """lockstep stopped itself: the share of the daily API allocation is used."""

    code = "QUOTA_SHED"


class Terminal(SystemFailure):
    """Retrying will not help until someone changes something."""

    code = "TERMINAL"


class AuthFailed(Terminal):
    """The system refused the credentials."""

    code = "AUTH_FAILED"


class SchemaError(Terminal):
    """An object, table or field the config relies on is not there."""

    code = "SCHEMA_ERROR"


class CaptureBroken(Terminal):
    """Changes of one binding may have been missed: lockstep's triggers are missing,
    disabled or not the ones it installed, or the table was truncated. ``resume``,
    when set, is the cursor just past what broke it (a truncate), for a repair to
    move on from."""

    code = "CAPTURE_BROKEN"

    def __init__(self, system: str, message: str, resume: str | None = None) -> None:
        super().__init__(system, message)
        self.resume = resume


def failure_classes(root: type[SystemFailure] = SystemFailure) -> Iterator[type[SystemFailure]]:
    """``root`` and every subclass of it defined so far, depth first."""
    yield root
    for sub in root.__subclasses__():
        yield from failure_classes(sub)


# Every code an op not done can carry. Subclasses defined elsewhere (a connector's own
# failure) inherit their parent's code or must add theirs here: a test checks.
NOT_DONE_CODES = frozenset(c.code for c in failure_classes())

RATE_LIMIT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "CONCURRENT_REQUEST_LIMIT_EXCEEDED"})
CONTENTION_CODES = frozenset({"UNABLE_TO_LOCK_ROW"})
AUTH_CODES = frozenset({"INVALID_SESSION_ID", "INVALID_AUTH_HEADER", "INVALID_LOGIN"})
SCHEMA_CODES = frozenset({"NOT_FOUND", "INVALID_TYPE", "INVALID_FIELD", "INVALID_SOBJECT"})


def classify_http(
    system: str,
    status: int,
    message: str,
    code: str | None = None,
    retry_after: float | None = None,
) -> SystemFailure:
    """The error for a whole call that answered ``status`` (with Salesforce's
    ``errorCode`` when there is one)."""
    if status == 429 or (code is not None and code in RATE_LIMIT_CODES):
        return RateLimited(system, message, retry_after)
    if code is not None and code in CONTENTION_CODES:
        return Contended(system, message, retry_after)
    if status in (401,) or (code is not None and code in AUTH_CODES):
        return AuthFailed(system, message)
    if status >= 500 or status in (408, 0):
        return Unreachable(system, message, retry_after)
    if code is not None and code in SCHEMA_CODES:
        return SchemaError(system, message)
    return Terminal(system, message)
