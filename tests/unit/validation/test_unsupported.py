"""Settings nothing implements yet, or that the binding's capture mode never reads, are
found with their place in the file; a config without them has no finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lockstep.config import Config, load_config
from lockstep.validation.unsupported import unsupported

TOKEN = {"flow": "access_token", "access_token": "t"}
SYSTEMS = {
    "crm": {"kind": "salesforce", "instance_url": "https://x", "auth": TOKEN},
    "app": {"kind": "sql", "url": "sqlite://"},
}
EXAMPLE = Path(__file__).resolve().parents[3] / "src" / "lockstep" / "config" / "example.yaml"


def config(crm: dict[str, Any], app: dict[str, Any], **run: Any) -> Config:
    entity = {
        "fields": {"name": "string"},
        "owner": "app",
        "bindings": {
            "crm": {"object": "Account", "fields": {"name": "Name"}, **crm},
            "app": {"table": "t", "fields": {"name": "name"}, **app},
        },
    }
    return Config.model_validate({"systems": SYSTEMS, "entities": {"customer": entity}, "run": run})


def found(cfg: Config) -> list[tuple[tuple[str | int, ...], str, bool]]:
    return [(f.loc, f.message, f.at_key) for f in unsupported(cfg)]


def test_capture_and_run_as_implemented_have_no_finding() -> None:
    cfg = config(
        {"capture": {"mode": "poll", "column": "LastModifiedDate", "lookback_seconds": 5}},
        {"capture": {"mode": "triggers", "interval_seconds": 10}},
        ledger="sqlite:///l.db",
        keep_days=3,
    )
    assert found(cfg) == []
    assert (
        found(
            config(
                {"capture": {"mode": "none"}},
                {"capture": {"mode": "watermark", "column": "u", "lookback_seconds": 1}},
            )
        )
        == []
    )


def test_cdc_is_not_supported_yet() -> None:
    cfg = config({"capture": {"mode": "cdc", "column": "SystemModstamp"}}, {})
    assert found(cfg) == [
        (
            ("entities", "customer", "bindings", "crm", "capture", "mode"),
            "not supported yet: Change Data Capture ('cdc') is not read yet; use 'poll' "
            "(SystemModstamp polling)",
            False,
        )
    ]


def test_schedules_are_not_supported_yet() -> None:
    cfg = config({}, {}, schedules=[{"name": "s", "cron": "@hourly"}])
    [(loc, message, at_key)] = found(cfg)
    assert (loc, at_key) == (("run", "schedules"), True)
    assert message.startswith("not supported yet: schedules are for `lockstep run`")


def test_a_capture_setting_its_mode_does_not_read_is_refused() -> None:
    cfg = config(
        {"capture": {"mode": "none", "interval_seconds": 5}},
        {"capture": {"mode": "triggers", "column": "updated_at", "lookback_seconds": 0}},
    )
    where = ("entities", "customer", "bindings")
    assert found(cfg) == [
        (
            (*where, "crm", "capture", "interval_seconds"),
            "capture mode 'none' does not read 'interval_seconds' (only triggers, watermark "
            "and poll do); remove it",
            True,
        ),
        (
            (*where, "app", "capture", "column"),
            "capture mode 'triggers' does not read 'column' (only watermark and poll do); "
            "remove it",
            True,
        ),
        (
            (*where, "app", "capture", "lookback_seconds"),
            "capture mode 'triggers' does not read 'lookback_seconds' (only watermark and poll "
            "do); remove it",
            True,
        ),
    ]


def test_the_documented_example_uses_only_what_works() -> None:
    environ = {
        "SF_CLIENT_ID": "id",
        "SF_CLIENT_SECRET": "secret",
        "SF_PASSWORD": "password",
        "APP_DATABASE_URL": "postgres://lockstep@db/app",
    }
    assert unsupported(load_config(EXAMPLE, environ=environ).config) == []
