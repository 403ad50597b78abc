"""The org-sync example (seed 002) set up for a test: two emulator orgs holding a few
of the hub's customers already, the hub database, and the example's config."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import requests
import yaml
from lockstep_emulator.client import EmulatorInfo, connect

from lockstep.config.loader import LoadedConfig, load_config
from lockstep.demo import hub_data

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "org-sync"


def env(prefix: str, info: EmulatorInfo) -> dict[str, str]:
    return {
        f"{prefix}_LOGIN_URL": info.login_url,
        f"{prefix}_CA_CERT": info.ca_cert,
        f"{prefix}_CLIENT_ID": info.client_id,
        f"{prefix}_CLIENT_SECRET": info.client_secret,
    }


def client(info: EmulatorInfo) -> Any:
    http = requests.Session()
    http.verify, http.trust_env = info.ca_cert, False
    return connect(info, http)


def soql(sf: Any, query: str) -> list[dict[str, Any]]:
    return list(sf.query_all(query)["records"])


def prepare(
    hub_url: str,
    directory: Path,
    fsc_info: EmulatorInfo,
    sales_info: EmulatorInfo,
    *,
    customers: int = 30,
    contacts: int = 60,
    capture: bool = False,
) -> tuple[LoadedConfig, Any, Any]:
    """The hub's data, both orgs emptied but for the accounts they hold already, and the
    example's config (in ``directory``) pointed at them, with ``capture`` on every
    binding for sync (triggers in the hub, polling in the orgs); the config and both
    clients."""
    hub_data.create(hub_url, customers=customers, contacts=contacts)
    fsc, sales = client(fsc_info), client(sales_info)
    for sf, ids in ((fsc, hub_data.IN_FSC), (sales, hub_data.IN_SALES)):
        for obj in ("Contact", "Account"):
            for row in soql(sf, f"SELECT Id FROM {obj}"):
                getattr(sf, obj).delete(row["Id"])
        for account in hub_data.existing_accounts(ids):
            sf.Account.create(account)
    shutil.copy(EXAMPLE / "lockstep.yaml", directory / "lockstep.yaml")
    if capture:
        config = yaml.safe_load((directory / "lockstep.yaml").read_text())
        for entity in config["entities"].values():
            for system, binding in entity["bindings"].items():
                binding["capture"] = {"mode": "triggers" if system == "hub" else "poll"}
        (directory / "lockstep.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    environ = {**env("FSC", fsc_info), **env("SALES", sales_info), "HUB_DATABASE_URL": hub_url}
    return load_config(directory / "lockstep.yaml", environ=environ), fsc, sales
