"""``lockstep-emulator serve`` (``lockstep emulator serve``): the local Salesforce org (see
docs/emulator.md); the admin commands (``stats``, ``faults``, ``refresh``, …) are added from
``cli.admin``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from lockstep_emulator import __version__
from lockstep_emulator.cli import admin

DEFAULT_DATA_DIR = Path(".lockstep/emulator")

emulator_app = typer.Typer(
    help="A local, HTTPS Salesforce API server that unmodified clients use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lockstep-emulator {__version__}")
        raise typer.Exit()


@emulator_app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A local, HTTPS Salesforce API server that unmodified clients use."""


@emulator_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on; 0 picks a free one.")
    ] = 8443,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Directory of the org's database and TLS files (default ./.lockstep/emulator).",
        ),
    ] = None,
    memory: Annotated[
        bool, typer.Option("--memory", help="Keep nothing: the org is gone on exit.")
    ] = False,
    schema: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True, help="YAML file of custom objects/fields."
        ),
    ] = None,
    username: Annotated[str | None, typer.Option(help="Login username.")] = None,
    password: Annotated[str | None, typer.Option(help="Login password.")] = None,
    security_token: Annotated[
        str | None, typer.Option(help="Security token appended to the password (default none).")
    ] = None,
    client_id: Annotated[str | None, typer.Option(help="Connected app consumer key.")] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(help="Connected app consumer secret (default generated, then kept)."),
    ] = None,
    token_ttl: Annotated[
        int, typer.Option(min=1, help="Seconds an access token stays valid.")
    ] = 7200,
    daily_api_limit: Annotated[
        int, typer.Option(min=1, help="API requests allowed per rolling 24 hours.")
    ] = 15_000_000,
    sandbox: Annotated[
        bool, typer.Option("--sandbox/--production", help="Whether the org is a sandbox.")
    ] = False,
) -> None:
    """Serve one org over HTTPS; print one JSON line (how to connect) when listening."""
    from lockstep_emulator.server import ServeOptions, serve  # the server's stack, on use

    if memory and data_dir is not None:
        raise typer.BadParameter("use either --memory or --data-dir, not both")
    options = ServeOptions(
        host=host,
        port=port,
        data_dir=None if memory else (data_dir or DEFAULT_DATA_DIR),
        schema_file=schema,
        username=username,
        password=password,
        security_token=security_token,
        client_id=client_id,
        client_secret=client_secret,
        token_ttl=timedelta(seconds=token_ttl),
        daily_api_limit=daily_api_limit,
        sandbox=sandbox,
    )
    raise typer.Exit(serve(options))


admin.register(emulator_app)
