"""How commands speak: results on stdout, problems on stderr, one line each."""

from __future__ import annotations

import sys
from collections.abc import Iterable


def say(line: str) -> None:
    print(line, flush=True)


def errors_out(command: str, lines: Iterable[str]) -> int:
    """Print each problem line on stderr; return how many there were."""
    count = 0
    for line in lines:
        print(f"{line}", file=sys.stderr)
        count += 1
    if count:
        noun = "problem" if count == 1 else "problems"
        print(f"{command}: {count} {noun}", file=sys.stderr, flush=True)
    return count
