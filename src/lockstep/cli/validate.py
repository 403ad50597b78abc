"""``lockstep validate``: load the config and check it against every system it names."""

from __future__ import annotations

from typing import Annotated

import typer

from lockstep.cli.options import DEFAULT_CONFIG, ConfigOption
from lockstep.cli.output import errors_out, say
from lockstep.errors import EXIT_CANNOT_RUN, EXIT_OK, EXIT_USAGE


def validate(
    config: ConfigOption = DEFAULT_CONFIG,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Check the file only; do not connect to the systems."),
    ] = False,
) -> int:
    """Load the config and check it against the systems: objects, tables, fields, types,
    external ids, references and filters. Every problem is reported with its file:line.

    Exit codes: 0 clean, 2 problems found, 3 a system could not be reached."""
    from lockstep.config.loader import load_config
    from lockstep.validation.live import validate as validate_live

    loaded = load_config(config)
    outcome = validate_live(loaded, offline=offline)
    errors_out("lockstep validate", outcome.problems)
    for cycle in outcome.cycles:
        loop = " -> ".join([*cycle, cycle[0]])
        say(
            f"note: reference cycle {loop}: migrate defers these lookups; "
            "`lockstep relink` fills them"
        )
    if outcome.unreachable:
        errors_out("lockstep validate", [f"could not check: {', '.join(outcome.unreachable)}"])
        return EXIT_CANNOT_RUN
    if outcome.problems:
        return EXIT_USAGE
    counts = outcome.checked
    where = "offline" if offline else "against the live systems"
    say(
        f"{config}: OK ({where}): {counts['systems']} systems, {counts['entities']} entities, "
        f"{counts['bindings']} bindings, {counts['fields']} field maps"
    )
    return EXIT_OK
