"""Where a run keeps its state and its reports: the ledger URL and the reports folder.

Every command finds them the same way, the operator's commands too (``status`` and
``explain`` look in the ledger a run wrote): relative paths are taken from the config
file's folder, not from wherever the command was started.
"""

from __future__ import annotations

from pathlib import Path

from lockstep.config.loader import LoadedConfig


def resolve_paths(loaded: LoadedConfig, reports: Path | None = None) -> tuple[str, Path]:
    """The ledger URL and reports directory (``reports`` when given, else the config's
    ``run.reports``), relative paths taken from the config's folder."""
    base = loaded.path.resolve().parent
    url = loaded.config.run.ledger
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str(base / url[len(prefix) :])
    folder = reports or loaded.config.run.reports
    return url, folder if folder.is_absolute() else base / folder
