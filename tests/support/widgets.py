"""The *widget*: the object the connector tests hold in every system, and the org that
has it (``widget_org.yaml``: ``Widget__c``, besides the standard objects), which the
``lockstep validate`` tests and ``bench/connectors_bench.py`` use too.

A widget has a name, an amount (never negative: each system refuses it its own way),
a flag, a date, a timestamp, a unique external key and a category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from lockstep_emulator.client import EmulatorInfo

from lockstep.config.systems import PasswordAuth, SalesforceSystem
from tests.support.databases import create_tables
from tests.support.emulators import OrgSpec

WIDGET_ORG = OrgSpec(Path(__file__).with_name("widget_org.yaml"))


def sf_system(info: EmulatorInfo, **overrides: Any) -> SalesforceSystem:
    """The config of the emulator org as a ``salesforce`` system (password flow)."""
    settings: dict[str, Any] = {
        "kind": "salesforce",
        "login_url": info.login_url,
        "ca_cert": Path(info.ca_cert),
        "auth": PasswordAuth(
            flow="password",
            client_id=info.client_id,
            client_secret=info.client_secret,  # type: ignore[arg-type]
            username=info.username,
            password=info.password + info.security_token,  # type: ignore[arg-type]
        ),
        **overrides,
    }
    return SalesforceSystem.model_validate(settings)


def widgets_table(metadata: sa.MetaData) -> sa.Table:
    """The SQL widget table, the same on every dialect."""
    return sa.Table(
        "widgets",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80)),
        sa.Column("amount", sa.Numeric(16, 2)),
        sa.Column("active", sa.Boolean),
        sa.Column("due", sa.Date),
        sa.Column("seen_at", sa.DateTime(timezone=True)),
        sa.Column("ext", sa.String(40), unique=True),
        sa.Column("category", sa.String(20)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("amount >= 0", name="widgets_amount_not_negative"),
    )


def create_widgets(url: str) -> None:
    """The widget table, empty, at ``url``."""
    create_tables(url, widgets_table)
