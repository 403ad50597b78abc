"""How the admin commands reach a running emulator: the options every one of them
takes, and the errors every one of them reports the same way.

``--info FILE`` (the start-up line saved to a file) gives everything; ``--url``,
``--ca-cert``, ``--token`` and the login options override it. Errors are one line on
stderr: exit 2 for bad usage or a request the emulator refuses, 3 when it cannot be
reached (or fails with a 5xx).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import orjson
import typer

from lockstep_emulator.exits import EXIT_CANNOT_RUN, EXIT_USAGE

if TYPE_CHECKING:  # the HTTP clients are imported when a command runs, not for --help
    from lockstep_emulator.admin_client import AdminClient
    from lockstep_emulator.client import EmulatorInfo

F = TypeVar("F", bound=Callable[..., Any])


class UsageError(Exception):
    """The command was given too little or contradictory input."""


@dataclass(frozen=True)
class Connection:
    """Where the emulator is and how to log in, from the options and ``--info``."""

    info: Path | None = None
    url: str | None = None
    ca_cert: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None

    def client(self) -> AdminClient:
        from lockstep_emulator.admin_client import AdminClient

        info = _read_info(self.info) if self.info is not None else None
        url = self.url or (info.instance_url if info else None)
        ca_cert = self.ca_cert or (info.ca_cert if info else None)
        if not url:
            raise UsageError("say where the emulator is: --url URL or --info FILE")
        if self.token:
            return AdminClient(url, self.token, ca_cert)
        login = {
            "username": self.username or (info.username if info else None),
            "password": self.password
            if self.password is not None
            else (info.password + info.security_token if info else None),
            "client_id": self.client_id or (info.client_id if info else None),
            "client_secret": self.client_secret or (info.client_secret if info else None),
        }
        missing = [f"--{k.replace('_', '-')}" for k, v in login.items() if v is None]
        if missing:
            raise UsageError(f"give --token, or --info FILE, or {', '.join(missing)}")
        return AdminClient.login(url, ca_cert, **{k: str(v) for k, v in login.items()})


def _read_info(path: Path) -> EmulatorInfo:
    from lockstep_emulator.client import EmulatorError, EmulatorInfo

    try:
        return EmulatorInfo.from_json(path.read_bytes().strip())
    except OSError as exc:
        raise UsageError(f"cannot read --info {path}: {exc.strerror or exc}") from None
    except EmulatorError as exc:
        raise UsageError(f"--info {path} is not an emulator's start-up line: {exc}") from None


_OPTIONS: list[tuple[str, Any, str, str | None]] = [
    ("info", Path | None, "The emulator's start-up JSON line, saved to a file.",
     "LOCKSTEP_EMULATOR_INFO"),
    ("url", str | None, "The emulator's base URL, e.g. https://127.0.0.1:8443.",
     "LOCKSTEP_EMULATOR_URL"),
    ("ca_cert", str | None, "PEM file of the CA to trust (the start-up line's ca_cert).",
     "LOCKSTEP_EMULATOR_CA_CERT"),
    ("token", str | None, "An access token of the org (else log in with the options below).",
     "LOCKSTEP_EMULATOR_TOKEN"),
    ("username", str | None, "Login username.", None),
    ("password", str | None, "Login password (with the security token appended, if any).", None),
    ("client_id", str | None, "Connected app consumer key.", None),
    ("client_secret", str | None, "Connected app consumer secret.", None),
]  # fmt: skip


def connection(command: F) -> F:
    """Add the connection options to ``command``, which receives them as ``conn``, and
    turn the admin client's errors into one line and an exit code."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "conn"]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[kind, typer.Option(help=text, envvar=env, show_envvar=False)],
        )
        for name, kind, text, env in _OPTIONS
    ]
    added.append(
        inspect.Parameter("cli_context", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    )

    @functools.wraps(command)
    def run(**kwargs: Any) -> Any:
        from lockstep_emulator.admin_client import AdminRefused, Unreachable

        where = kwargs.pop("cli_context").command_path
        conn = Connection(**{name: kwargs.pop(name) for name, *_ in _OPTIONS})
        try:
            return command(conn=conn, **kwargs)
        except UsageError as exc:
            _fail(where, f"{exc}", EXIT_USAGE)
        except Unreachable as exc:
            _fail(where, f"the emulator is unreachable: {exc}", EXIT_CANNOT_RUN)
        except AdminRefused as exc:
            code = EXIT_CANNOT_RUN if exc.status >= 500 else EXIT_USAGE
            _fail(where, f"the emulator refused ({exc.status}): {exc.message}", code)

    params = [*own, *added]
    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run  # type: ignore[return-value]


def _fail(where: str, message: str, code: int) -> None:
    print(f"{where}: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def show(answer: Any) -> None:
    """Print the emulator's answer as indented JSON."""
    typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
