"""A command group that imports a sub-command's module only when that command is used.

click's "LazyGroup" pattern, for typer: the group knows each sub-command by name, by
where it lives (``"module:attribute"``, a typer-annotated function or a ``typer.Typer``)
and by its summary (the first sentence of its help, which is all that ``--help`` lists).
``lockstep --help`` therefore imports no command module at all, and ``lockstep sync
--help`` imports ``lockstep.cli.sync`` alone, whose library imports wait inside the
command until it runs. Once loaded, a command is built by typer as it would be eagerly,
so its options, help and errors are typer's own.

The summaries are written twice, here and as the commands' docstrings;
``tests/unit/cli/test_lazy.py`` fails when they drift apart.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import ClassVar

import typer
from typer import _click as click  # typer ships its own copy of click
from typer._click.utils import make_default_short_help
from typer.core import MarkupMode, TyperGroup
from typer.models import CommandInfo


@dataclass(frozen=True)
class Lazy:
    """Where a sub-command lives, and what ``--help`` says of it without importing it."""

    target: str  # "package.module:attribute"
    summary: str

    def load(self, name: str, rich_markup_mode: MarkupMode) -> click.Command:
        """Import the module and build the click command typer would have built."""
        module, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            command: click.Command = typer.main.get_group(found)
        else:
            command = typer.main.get_command_from_info(
                CommandInfo(name=name, callback=found),
                pretty_exceptions_short=True,
                rich_markup_mode=rich_markup_mode,
            )
        command.name = name
        return command


class LazyGroup(TyperGroup):
    """A typer group whose sub-commands are the ``commands_at`` table, loaded on use.

    Subclass it with the table (typer instantiates the class, so the table is a class
    attribute), and give the subclass to ``typer.Typer(cls=...)``.
    """

    commands_at: ClassVar[Mapping[str, Lazy]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        eager = [name for name in self.commands if name not in self.commands_at]
        return [*self.commands_at, *eager]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = self.commands_at.get(cmd_name)
        if lazy is not None and cmd_name not in self.commands:
            self.add_command(lazy.load(cmd_name, self.rich_markup_mode), cmd_name)
        return self.commands.get(cmd_name)

    def load_all(self) -> None:
        """Build every command now, as typer does eagerly: for what walks ``commands``
        (the test that every command is documented)."""
        for name in self.commands_at:
            self.get_command(click.Context(self, info_name=self.name), name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """click's resolution (which loads the one command named); a typo gets typer's
        "Did you mean …?" from every name, loaded or not."""
        try:
            return self._click_resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if self.suggest_commands and matches:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from the summaries of the commands not loaded yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._short_help(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _short_help(self, name: str, limit: int) -> str:
        loaded = self.commands.get(name)
        if loaded is not None:
            return loaded.get_short_help_str(limit)
        return make_default_short_help(self.commands_at[name].summary, limit)
