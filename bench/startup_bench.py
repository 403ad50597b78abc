"""Start-up benchmark: how long the ``lockstep`` command takes before it does anything.

Times, as the best of ``--runs`` fresh subprocesses (wall clock, start to exit), each of
- ``libraries``: ``python -c "import sqlalchemy, pydantic, typer"``, the floor set by
  lockstep's core libraries on this machine;
- ``help``: ``lockstep --help``;
- ``sync_help``: ``lockstep sync --help``;
- ``emulator_help``: ``lockstep emulator --help``;
and the ratio of ``help`` to ``libraries`` (the target is at most 2).

Prints one JSON object. ``--venv`` measures another installation (another checkout's
``.venv``), whose ``bin/python`` and ``bin/lockstep`` are used; given several times,
for a before/after, their processes take turns, so a busy moment on the machine
touches every installation alike.

    .venv/bin/python bench/startup_bench.py [--runs 15] [--venv PATH ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

LIBRARIES = "import sqlalchemy, pydantic, typer"


def commands(bin_dir: Path) -> dict[str, list[str]]:
    python, lockstep = str(bin_dir / "python"), str(bin_dir / "lockstep")
    return {
        "libraries": [python, "-c", LIBRARIES],
        "help": [lockstep, "--help"],
        "sync_help": [lockstep, "sync", "--help"],
        "emulator_help": [lockstep, "emulator", "--help"],
    }


def seconds(argv: list[str]) -> float:
    """One fresh process, start to exit; it must succeed."""
    env = {**os.environ, "COLUMNS": "100"}
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Processes per command.")
    parser.add_argument(
        "--venv",
        type=Path,
        action="append",
        help="An installation to measure (repeatable; default: this interpreter's).",
    )
    args = parser.parse_args()
    venvs = args.venv or [Path(sys.executable).parent.parent]
    argvs = {
        (str(venv), name): argv
        for venv in venvs
        for name, argv in commands(venv.absolute() / "bin").items()
    }
    for argv in argvs.values():  # warm the file cache and the bytecode once
        seconds(argv)
    timings: dict[tuple[str, str], list[float]] = {key: [] for key in argvs}
    for _ in range(args.runs):  # interleaved, so a busy moment touches every command
        for key, argv in argvs.items():
            timings[key].append(seconds(argv))
    results = {}
    for venv in map(str, venvs):
        best = {name: round(min(t), 3) for (v, name), t in timings.items() if v == venv}
        median = {
            name: round(statistics.median(t), 3) for (v, name), t in timings.items() if v == venv
        }
        results[venv] = {
            "best_seconds": best,
            "median_seconds": median,
            "help_over_libraries": round(best["help"] / best["libraries"], 2),
        }
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "python": platform.python_version(),
                "runs": args.runs,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "installations": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
