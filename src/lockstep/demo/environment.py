"""Where the demo's scenarios run: the examples they copy, the environment that points
a config at an emulator, and the one question every scenario asks an org (how many?).

The orgs themselves are real emulator processes over HTTPS (``start_emulator``), one
or two per scenario; the databases are SQLite files in the scenario's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lockstep_emulator.client import EmulatorInfo

import lockstep


def examples_dir() -> Path:
    """The examples: in the repository (editable install) or inside the package."""
    here = Path(lockstep.__file__).resolve().parent
    for candidate in (here.parent.parent / "examples", here / "examples"):
        if (candidate / "ams-migration" / "lockstep.yaml").is_file():
            return candidate
    raise FileNotFoundError("the examples folder is missing from this installation")


def copy_example(example: Path, into: Path, *names: str) -> None:
    """Copy the example's ``names`` (its config, its org schema) into the work folder."""
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        (into / name).write_text((example / name).read_text())


def emulator_env(prefix: str, info: EmulatorInfo) -> dict[str, str]:
    """The variables an example's config reads to log in to the org behind ``info``
    (``SF_LOGIN_URL``, ``SF_CA_CERT``, … for the prefix ``SF``)."""
    return {
        f"{prefix}_LOGIN_URL": info.login_url,
        f"{prefix}_CA_CERT": info.ca_cert,
        f"{prefix}_CLIENT_ID": info.client_id,
        f"{prefix}_CLIENT_SECRET": info.client_secret,
        f"{prefix}_USERNAME": info.username,
        f"{prefix}_PASSWORD": info.password + info.security_token,
    }


def count(sf: Any, soql: str) -> int:
    """How many records the org answers ``soql`` with."""
    return int(sf.query(soql)["totalSize"])
