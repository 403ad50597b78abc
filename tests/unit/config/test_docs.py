"""docs/config.md is what the generator makes of the models, and its example is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.config import load_config
from lockstep.config.docs import example, main, render
from lockstep.config.entities import Binding, Entity
from lockstep.config.graph import dependency_order, reference_cycles
from lockstep.config.models import Config
from lockstep.config.systems import SalesforceSystem, SqlSystem

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "config.md"
EXAMPLE = ROOT / "src" / "lockstep" / "config" / "example.yaml"
EXAMPLE_ENV = {
    "SF_CLIENT_ID": "3MVG9-example",
    "SF_CLIENT_SECRET": "example-secret",
    "SF_PASSWORD": "example-password",
    "APP_DATABASE_URL": "postgresql+psycopg://lockstep:pw@db/app",
}


def test_docs_config_md_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "docs/config.md is out of date with the config models or example.yaml; regenerate it "
        "with: .venv/bin/python -m lockstep.config.docs --write"
    )


def test_every_model_and_key_is_documented() -> None:
    text = render()
    for model in (Config, SalesforceSystem, SqlSystem, Entity, Binding):
        assert f"\n## {model.__name__}\n" in text
        for name in model.model_fields:
            assert f"| `{name}` |" in text, f"{model.__name__}.{name}"
    for flow in ("password", "client_credentials", "jwt", "refresh_token", "access_token"):
        assert f"with `flow: {flow}`" in text


def test_the_example_is_included_verbatim() -> None:
    assert example() == EXAMPLE.read_text(encoding="utf-8")
    assert f"```yaml\n{example().rstrip()}\n```" in render()


def test_the_example_loads_clean() -> None:
    loaded = load_config(EXAMPLE, environ=EXAMPLE_ENV)
    config = loaded.config
    assert list(config.systems) == ["crm", "app"]
    assert list(config.entities) == ["customer", "contact", "contract", "usage"]
    assert config.entities["usage"].lock == "contract.status == 'Fulfilled'"
    assert reference_cycles(config) == [("customer",)]
    assert dependency_order(config) == ["customer", "contact", "contract", "usage"]


def test_the_example_needs_its_secrets() -> None:
    from lockstep.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(EXAMPLE, environ={})
    assert [p.split(": ", 2)[2] for p in caught.value.problems] == [
        f"environment variable '{name}' is not set"
        for name in ("SF_CLIENT_ID", "SF_CLIENT_SECRET", "SF_PASSWORD", "APP_DATABASE_URL")
    ]


def test_the_command_prints_or_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    assert capsys.readouterr().out == render()
    main(["--write", str(tmp_path / "config.md")])
    assert (tmp_path / "config.md").read_text(encoding="utf-8") == render()
