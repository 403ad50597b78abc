"""A table of broken files: each YAML text, and the exact lines ``load_config`` reports.

Every case starts from the same small, valid file (``GOOD``, checked by the first test)
with one mistake; the last cases make several at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lockstep.config import LoadedConfig

Load = Callable[..., LoadedConfig]
Problems = Callable[..., list[str]]

GOOD = """\
systems:
  crm:
    kind: salesforce
    instance_url: https://acme.my.salesforce.com
    auth: {flow: access_token, access_token: "${SF_TOKEN}"}
  app: {kind: sql, url: "sqlite:///app.db"}
entities:
  customer:
    fields: {name: string, tier: string}
    bindings:
      crm: {object: Account, fields: {name: Name, tier: Rating}}
      app: {table: companies, fields: {name: name, tier: tier}}
    owner: crm
  contact:
    fields: {email: string, status: string}
    references: {account: customer}
    bindings:
      crm: {object: Contact, fields: {email: Email, account: AccountId}}
    owner: crm
    lock: "account.tier == 'gold' and status != null"
run:
  schedules:
    - {name: nightly, cron: "0 2 * * *", entities: [customer]}
"""
ENV = {"SF_TOKEN": "00Dxx!token"}


def test_the_base_file_is_valid(load: Load) -> None:
    loaded = load(GOOD, ENV)
    assert list(loaded.config.entities) == ["customer", "contact"]


def edit(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


CASES: list[tuple[str, str, list[str]]] = [
    # -- shape: keys and types -----------------------------------------------------------
    (
        "unknown key in a binding",
        edit("crm: {object: Account,", "crm: {objekt: Account,"),
        ["lockstep.yaml:11:13: entities.customer.bindings.crm.objekt: unknown key"],
    ),
    (
        "unknown top-level key",
        GOOD + "sytems: {}\n",
        ["lockstep.yaml:24:1: sytems: unknown key"],
    ),
    (
        "misspelt top-level key, so a required one is missing",
        edit("systems:\n", "sistems:\n"),
        [
            "lockstep.yaml:1:1: missing required key 'systems'",
            "lockstep.yaml:1:1: sistems: unknown key",
        ],
    ),
    (
        "missing required key",
        edit("    owner: crm\n    lock", "    lock"),
        ["lockstep.yaml:15:5: entities.contact: missing required key 'owner'"],
    ),
    (
        "wrong type: text for a number",
        edit('url: "sqlite:///app.db"}', 'url: "sqlite:///app.db", batch_size: many}'),
        [
            "lockstep.yaml:6:57: systems.app.batch_size: Input should be a valid integer, "
            "unable to parse string as an integer"
        ],
    ),
    (
        "wrong type: a list for a mapping",
        edit("fields: {email: string, status: string}", "fields: [email, status]"),
        ["lockstep.yaml:15:13: entities.contact.fields: expected a mapping"],
    ),
    (
        "wrong type: an unquoted yes where text is expected",
        edit("{object: Contact,", "{object: yes,"),
        [
            "lockstep.yaml:18:21: entities.contact.bindings.crm.object: expected text, got a "
            "boolean: YAML reads yes/no/on/off unquoted as booleans, so quote the value"
        ],
    ),
    (
        "a value outside a fixed set",
        edit("fields: {name: string, tier: string}", "fields: {name: string, tier: strng}"),
        [
            "lockstep.yaml:9:34: entities.customer.fields.tier: unknown value 'strng'; "
            "expected one of: string, text, integer, decimal, float, boolean, date, datetime, id"
        ],
    ),
    (
        "a mapping where a single value is expected",
        edit("tier: Rating}", "tier: {field: Rating, constant: [1, 2]}}"),
        [
            "lockstep.yaml:11:83: entities.customer.bindings.crm.fields.tier.constant: "
            "expected text, a number, a boolean or null"
        ],
    ),
    (
        "unknown auth flow",
        edit("{flow: access_token,", "{flow: token,"),
        [
            "lockstep.yaml:5:18: systems.crm.auth.flow: unknown flow 'token'; expected one of: "
            "password, client_credentials, jwt, refresh_token, access_token"
        ],
    ),
    (
        "a flow's missing key is reported on the auth mapping, not on a key named like the flow",
        edit(
            '{flow: access_token, access_token: "${SF_TOKEN}"}',
            "{flow: password, client_id: x, client_secret: y, password: z}",
        ),
        ["lockstep.yaml:5:11: systems.crm.auth: missing required key 'username'"],
    ),
    (
        "a model's own rule, and which half of it is wrong",
        edit("crm: {object: Contact,", "crm: {object: Contact, table: contacts,"),
        [
            "lockstep.yaml:18:12: entities.contact.bindings.crm: give exactly one of 'object' "
            "(Salesforce) and 'table' (SQL)",
            "lockstep.yaml:18:30: entities.contact.bindings.crm.table: 'crm' is a Salesforce "
            "system: give 'object', not 'table'",
        ],
    ),
    (
        "duplicate key",
        edit("    owner: crm\n    lock", "    owner: crm\n    owner: crm\n    lock"),
        ["lockstep.yaml:20:5: entities.contact.owner: duplicate key (first on line 19)"],
    ),
    # -- environment variables -------------------------------------------------------------
    (
        "missing environment variable",
        edit('url: "sqlite:///app.db"', 'url: "sqlite:///${APP_DB}"'),
        ["lockstep.yaml:6:25: systems.app.url: environment variable 'APP_DB' is not set"],
    ),
    (
        "a missing variable is reported once, not again as a bad value",
        edit('url: "sqlite:///app.db"}', 'url: "sqlite:///app.db", batch_size: "${BATCH}"}'),
        ["lockstep.yaml:6:57: systems.app.batch_size: environment variable 'BATCH' is not set"],
    ),
    (
        "malformed variable",
        edit('url: "sqlite:///app.db"', 'url: "sqlite:///${APP DB}"'),
        [
            "lockstep.yaml:6:25: systems.app.url: '${APP DB}' is not a variable: "
            "expected ${NAME} or ${NAME:-default}"
        ],
    ),
    # -- names that must exist -------------------------------------------------------------
    (
        "unknown system in bindings",
        edit("      app: {table: companies", "      ap: {table: companies"),
        [
            "lockstep.yaml:12:7: entities.customer.bindings.ap: unknown system 'ap'; "
            "expected one of: crm, app"
        ],
    ),
    (
        "owner not among the bindings",
        edit("    owner: crm\n    lock", "    owner: app\n    lock"),
        [
            "lockstep.yaml:19:12: entities.contact.owner: system 'app' has no binding for "
            "entity 'contact'"
        ],
    ),
    (
        "unknown system as field owner",
        edit(
            "    owner: crm\n  contact", "    owner: crm\n    field_owners: {tier: erp}\n  contact"
        ),
        [
            "lockstep.yaml:14:26: entities.customer.field_owners.tier: unknown system 'erp'; "
            "expected one of: crm, app"
        ],
    ),
    (
        "write-back ids for unknown and own systems",
        edit("tier: tier}}", "tier: tier}, write_back: {ids: {crm: sf_id, app: id, erp: e}}}"),
        [
            "lockstep.yaml:12:96: entities.customer.bindings.app.write_back.ids.app: "
            "'app' is this binding's own system",
            "lockstep.yaml:12:105: entities.customer.bindings.app.write_back.ids.erp: "
            "unknown system 'erp'; expected one of: crm, app",
        ],
    ),
    (
        "object for a SQL system",
        edit("app: {table: companies,", "app: {object: companies,"),
        [
            "lockstep.yaml:12:13: entities.customer.bindings.app.object: 'app' is a SQL "
            "system: give 'table', not 'object'"
        ],
    ),
    (
        "capture mode of the other kind of system",
        edit("tier: Rating}}", "tier: Rating}, capture: {mode: triggers}}"),
        [
            "lockstep.yaml:11:82: entities.customer.bindings.crm.capture.mode: capture mode "
            "'triggers' is not available for a Salesforce system; expected one of: poll, cdc, none"
        ],
    ),
    (
        "unknown entity in references",
        edit("references: {account: customer}", "references: {account: custmer}"),
        [
            "lockstep.yaml:16:27: entities.contact.references.account: unknown entity "
            "'custmer'; expected one of: customer, contact"
        ],
    ),
    (
        "unknown entity in a schedule",
        edit("entities: [customer]", "entities: [customer, acount]"),
        [
            "lockstep.yaml:23:63: run.schedules[0].entities[1]: unknown entity 'acount'; "
            "expected one of: customer, contact"
        ],
    ),
    (
        "unknown field in a binding",
        edit("fields: {email: Email,", "fields: {emial: Email,"),
        [
            "lockstep.yaml:18:39: entities.contact.bindings.crm.fields.emial: 'emial' is "
            "neither a field nor a reference of entity 'contact'"
        ],
    ),
    (
        "unknown field owned and matched on",
        edit(
            "    owner: crm\n  contact",
            "    owner: crm\n    field_owners: {tiers: app}\n    match: [{fields: [nam]}]\n"
            "  contact",
        ),
        [
            "lockstep.yaml:14:20: entities.customer.field_owners.tiers: 'tiers' is not a "
            "field of entity 'customer'",
            "lockstep.yaml:15:23: entities.customer.match[0].fields[0]: 'nam' is neither a "
            "field nor a reference of entity 'customer'",
        ],
    ),
    (
        "transforms that cannot be imported",
        edit(
            "tier: Rating}",
            "tier: {field: Rating, to_native: 'string:capwordz', "
            "from_native: 'no_such_module_xyz:f'}}",
        ),
        [
            "lockstep.yaml:11:84: entities.customer.bindings.crm.fields.tier.to_native: "
            "cannot import 'string:capwordz': module 'string' has no attribute 'capwordz'",
            "lockstep.yaml:11:116: entities.customer.bindings.crm.fields.tier.from_native: "
            "cannot import 'no_such_module_xyz:f': No module named 'no_such_module_xyz'",
        ],
    ),
    # -- expressions -----------------------------------------------------------------------
    (
        "lock syntax error",
        edit("account.tier == 'gold'", "account.tier = 'gold'"),
        [
            "lockstep.yaml:20:11: entities.contact.lock: invalid lock expression: unexpected "
            "character '=' (compare with ==) (at character 14)"
        ],
    ),
    (
        "lock names: a field that is not there",
        edit("status != null", "stauts != null"),
        [
            "lockstep.yaml:20:11: entities.contact.lock: unknown name 'stauts' in the lock: "
            "'stauts' is neither a field nor a reference of entity 'contact'"
        ],
    ),
    (
        "lock names: through something that is not a reference",
        edit("account.tier ==", "email.tier =="),
        [
            "lockstep.yaml:20:11: entities.contact.lock: unknown name 'email.tier' in the lock: "
            "'email' is not a reference of entity 'contact'"
        ],
    ),
    (
        "lock names: a field the referenced entity does not have",
        edit("account.tier ==", "account.teir =="),
        [
            "lockstep.yaml:20:11: entities.contact.lock: unknown name 'account.teir' in the "
            "lock: 'teir' is neither a field nor a reference of entity 'customer'"
        ],
    ),
    (
        "bad cron",
        edit('cron: "0 2 * * *"', 'cron: "0 25 * * *"'),
        [
            "lockstep.yaml:23:29: run.schedules[0].cron: invalid cron expression: hour: 25 is "
            "out of range 0-23"
        ],
    ),
    # -- the file itself -------------------------------------------------------------------
    (
        "YAML syntax error",
        edit("    owner: crm\n  contact", "    owner: [crm\n  contact"),
        ["lockstep.yaml:14:10: invalid YAML: expected ',' or ']', but got ':'"],
    ),
    (
        "empty file",
        "# nothing yet\n",
        ["lockstep.yaml:1:1: the file is empty: expected a mapping with the key 'systems'"],
    ),
    (
        "not a mapping",
        "- systems\n",
        ["lockstep.yaml:1:1: expected a mapping"],
    ),
    # -- several at once -------------------------------------------------------------------
    (
        "several problems, reported in file order whatever found them",
        edit("instance_url:", "instance_uri:")
        .replace("fields: {name: Name,", "fields: {nme: Name,")
        .replace("owner: crm\n  contact", "owner: crn\n  contact")
        .replace("'gold' and", "'gold' an")
        .replace('"0 2 * * *"', '"0 2 * *"'),
        [
            "lockstep.yaml:4:5: systems.crm.instance_uri: unknown key",
            "lockstep.yaml:11:39: entities.customer.bindings.crm.fields.nme: 'nme' is neither "
            "a field nor a reference of entity 'customer'",
            "lockstep.yaml:13:12: entities.customer.owner: unknown system 'crn'; expected one "
            "of: crm, app",
            "lockstep.yaml:20:11: entities.contact.lock: invalid lock expression: unexpected "
            "'an' (at character 24)",
            "lockstep.yaml:23:29: run.schedules[0].cron: invalid cron expression: expected 5 "
            "fields (minute hour day-of-month month day-of-week), got 4",
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(text, lines) for _, text, lines in CASES], ids=[c[0] for c in CASES]
)
def test_bad_config(problems: Problems, text: str, expected: list[str]) -> None:
    assert problems(text, ENV) == expected
