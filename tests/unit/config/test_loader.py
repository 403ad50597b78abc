"""``load_config``: a good file becomes a ``LoadedConfig`` that can still place later
findings in the file; a bad one raises ``ConfigError`` with every problem, and no
message ever carries a secret."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from lockstep.config import Config, LoadedConfig, load_config
from lockstep.config.loader import _Top
from lockstep.config.systems import PasswordAuth, SqlSystem
from lockstep.errors import EXIT_USAGE, ConfigError

Load = Callable[..., LoadedConfig]
Problems = Callable[..., list[str]]

GOOD = """\
systems:
  crm:
    kind: salesforce
    login_url: https://login.salesforce.com
    auth:
      flow: password
      client_id: ${SF_CLIENT_ID}
      client_secret: ${SF_CLIENT_SECRET}
      username: integration@example.com
      password: ${SF_PASSWORD}
  app:
    kind: sql
    url: postgresql+psycopg://app:${DB_PASSWORD}@db/app
    batch_size: ${BATCH:-500}
entities:
  customer:
    fields: {name: string}
    bindings:
      crm: {object: Account, fields: {name: Name}}
      app: {table: companies, fields: {name: name}}
    owner: crm
"""
ENV = {
    "SF_CLIENT_ID": "3MVG9-client-id",
    "SF_CLIENT_SECRET": "client-secret-0123456789",
    "SF_PASSWORD": "pa55word-with-$ymbols",
    "DB_PASSWORD": "db-secret-9876",
}
SECRETS = ("client-secret-0123456789", "pa55word-with-$ymbols", "db-secret-9876")


def test_a_good_file_loads_with_variables_substituted(load: Load) -> None:
    loaded = load(GOOD, ENV)
    assert isinstance(loaded.config, Config)
    assert loaded.path == Path("lockstep.yaml")
    crm = loaded.config.systems["crm"]
    app = loaded.config.systems["app"]
    assert isinstance(crm.auth, PasswordAuth) and isinstance(app, SqlSystem)
    assert crm.auth.client_id == "3MVG9-client-id"
    assert crm.auth.password.get_secret_value() == "pa55word-with-$ymbols"
    assert app.url.get_secret_value() == "postgresql+psycopg://app:db-secret-9876@db/app"
    assert app.batch_size == 500  # the default, given as text, read as a number
    assert all(secret not in repr(loaded) for secret in SECRETS)


def test_a_variable_fills_a_number(load: Load) -> None:
    loaded = load(GOOD, {**ENV, "BATCH": "50"})
    app = loaded.config.systems["app"]
    assert isinstance(app, SqlSystem) and app.batch_size == 50


def test_the_process_environment_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "lockstep.yaml").write_text(GOOD)
    loaded = load_config(tmp_path / "lockstep.yaml")
    assert loaded.path == tmp_path / "lockstep.yaml"


def test_where_and_a_fresh_collector_place_later_findings(load: Load) -> None:
    loaded = load(GOOD, ENV)
    where = loaded.where(("entities", "customer", "bindings", "crm", "object"))
    assert (where.line, where.column, where.path) == (
        19,
        21,
        "entities.customer.bindings.crm.object",
    )
    problems = loaded.problems()
    problems.add(("entities", "customer", "bindings", "crm", "fields", "name"), "no such field")
    problems.add(("systems", "app", "url"), "cannot connect to db-secret-9876")
    assert problems.messages() == [
        "lockstep.yaml:13:10: systems.app.url: cannot connect to ***",
        "lockstep.yaml:19:45: entities.customer.bindings.crm.fields.name: no such field",
    ]
    assert loaded.problems().messages() == []  # each collector starts empty


def test_the_loaded_config_is_frozen(load: Load) -> None:
    loaded = load(GOOD, ENV)
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.path = Path("other.yaml")  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        loaded.config.version = 1  # type: ignore[misc]


def test_a_missing_file_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config("lockstep.yaml", environ={})
    assert caught.value.problems == ("lockstep.yaml: no such file",)
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.__suppress_context__  # raised without the OSError's traceback


def test_a_directory_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    assert caught.value.problems == (f"{tmp_path}: is a directory, not a config file",)


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "lockstep.yaml").write_bytes(b"systems: \xff\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "lockstep.yaml", environ={})
    assert caught.value.problems == (f"{tmp_path / 'lockstep.yaml'}: not UTF-8 text (byte 9)",)


def test_loading_writes_nothing(load: Load, tmp_path: Path) -> None:
    load(GOOD, ENV)
    assert [p.name for p in tmp_path.iterdir()] == ["lockstep.yaml"]


def test_secrets_never_appear_in_messages(problems: Problems) -> None:
    # Variables swapped by mistake: the password lands in `flow` and `lock`, whose
    # messages quote the value; and a problem sits next to every secret.
    text = (
        GOOD.replace("flow: password", "flow: ${SF_PASSWORD}\n      passwort: x")
        .replace("url: postgresql", "urll: ${DB_PASSWORD}\n    url: postgresql")
        .replace("    owner: crm\n", "    owner: crm\n    lock: ${DB_PASSWORD} == 1\n")
    )
    found = problems(text, ENV)
    assert found == [
        "lockstep.yaml:6:13: systems.crm.auth.flow: unknown flow '***'; expected one of: "
        "password, client_credentials, jwt, refresh_token, access_token",
        "lockstep.yaml:14:5: systems.app.urll: unknown key",
        "lockstep.yaml:24:11: entities.customer.lock: invalid lock expression: unexpected "
        "character '-' (at character 3)",
    ]
    everything = "\n".join(found)
    for secret in SECRETS:
        assert secret not in everything


def test_secret_values_are_masked_even_when_a_message_quotes_them(load: Load) -> None:
    text = GOOD.replace(
        "    owner: crm\n", "    owner: crm\n    lock: \"name == '${SF_PASSWORD}'\"\n"
    )
    loaded = load(text, ENV)  # a lock may compare with any text, even a secret one
    problems = loaded.problems()
    problems.add(
        ("entities", "customer", "lock"),
        f"cannot evaluate: {loaded.config.entities['customer'].lock}",
    )
    assert problems.messages() == [
        "lockstep.yaml:22:11: entities.customer.lock: cannot evaluate: name == '***'"
    ]


def test_an_invalid_entity_still_has_its_cross_references_checked(problems: Problems) -> None:
    text = GOOD.replace("fields: {name: string}", "fields: {name: strin}").replace(
        "    owner: crm\n", "    owner: erp\n"
    )
    assert problems(text, ENV) == [
        "lockstep.yaml:17:20: entities.customer.fields.name: unknown value 'strin'; expected "
        "one of: string, text, integer, decimal, float, boolean, date, datetime, id",
        "lockstep.yaml:21:12: entities.customer.owner: unknown system 'erp'; expected one "
        "of: crm, app",
    ]


def test_an_entity_whose_names_are_unclear_is_not_checked_against_a_guess(
    problems: Problems,
) -> None:
    # With its references unreadable, `account.name` cannot be judged: no second message.
    text = GOOD.replace(
        "    owner: crm\n",
        "    owner: crm\n  contact:\n    references: {account: [customer]}\n"
        "    bindings: {crm: {object: Contact, fields: {account: AccountId}}}\n"
        "    owner: crm\n    lock: account.name == 'x'\n",
    )
    assert problems(text, ENV) == [
        "lockstep.yaml:23:27: entities.contact.references.account: expected a mapping"
    ]


def test_a_broken_system_is_still_a_known_name_of_known_kind(problems: Problems) -> None:
    text = GOOD.replace("    batch_size:", "    batch_sise:").replace(
        "app: {table: companies,", "app: {object: companies,"
    )
    assert problems(text, ENV) == [
        "lockstep.yaml:14:5: systems.app.batch_sise: unknown key",
        "lockstep.yaml:20:13: entities.customer.bindings.app.object: 'app' is a SQL system: "
        "give 'table', not 'object'",
    ]


def test_the_top_level_stand_in_matches_the_config_model() -> None:
    assert list(_Top.model_fields) == list(Config.model_fields)
    for name, info in Config.model_fields.items():
        assert _Top.model_fields[name].is_required() == info.is_required(), name
