"""The service app's database in the service-app example (seed 001): the contracts it
reads from Salesforce and the ads it books on them (usages), laid out as a Django app
would keep them, with Django's lower-case choice keys.

    python -m lockstep.demo.app_data create app.db     # the two tables, empty
    python -m lockstep.demo.app_data contracts         # Contract__c records, as JSON
    python -m lockstep.demo.app_data ads app.db        # book ads on the contracts read

The contracts are Salesforce's: ``contracts`` prints them for
``lockstep emulator seed -``, and the app's ``contracts`` table fills only by syncing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson
import sqlalchemy as sa


def tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The app's two tables, the same on SQLite, PostgreSQL and MariaDB."""
    contracts = sa.Table(
        "contracts",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("salesforce_id", sa.String(18), unique=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("customer_name", sa.String(120)),
        sa.Column("product", sa.String(20)),
        sa.Column("units", sa.Integer),
        sa.Column("status", sa.String(20)),
    )
    usages = sa.Table(
        "usages",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("product", sa.String(20), nullable=False),
        sa.Column("units", sa.Integer, nullable=False, server_default="1"),
        sa.Column("ad_name", sa.String(80), nullable=False),
        sa.Column("salesforce_id", sa.String(18), unique=True),
        sa.Column("sync_status", sa.String(20)),
        sa.Column("global_id", sa.String(40), unique=True),
    )
    return contracts, usages


# Name, customer, product, units sold, status: what sales closed (Salesforce's values).
CONTRACTS = (
    ("MA-001", "Magic Ads Inc", "Gigantic", 5, "Active"),
    ("MA-002", "Magic Ads Inc", "Small", 3, "Active"),
    ("NW-001", "Northwind Outdoor", "Medium", 10, "Active"),
    ("CO-001", "Contoso Media", "Big", 4, "Active"),
    ("CO-002", "Contoso Media", "Small", 20, "Draft"),
    ("FA-001", "Fabrikam Events", "Gigantic", 2, "Active"),
)


def contracts() -> list[dict[str, str | int]]:
    """The Contract__c records the demo creates in the org before the first sync."""
    return [
        {
            "Name": name,
            "Customer_Name__c": customer,
            "Product__c": product,
            "Units__c": units,
            "Status__c": status,
        }
        for name, customer, product, units, status in CONTRACTS
    ]


def create(target: Path | str) -> None:
    """A fresh app database with empty tables: ``target`` is a SQLite file or a
    SQLAlchemy URL (an empty database)."""
    if isinstance(target, Path):
        target.unlink(missing_ok=True)
    engine = sa.create_engine(_url(target))
    try:
        metadata = sa.MetaData()
        tables(metadata)
        metadata.create_all(engine)
    finally:
        engine.dispose()


def seed_usages(target: Path | str, per_contract: int = 2) -> int:
    """Book up to ``per_contract`` more one-unit ads on every active contract the app
    has read, never more ads than the units sold; how many were booked."""
    engine = sa.create_engine(_url(target))
    try:
        contract_table, usage_table = tables(sa.MetaData())
        booked = (
            sa.select(sa.func.count())
            .where(usage_table.c.contract_id == contract_table.c.id)
            .scalar_subquery()
        )
        with engine.begin() as conn:
            active = conn.execute(
                sa.select(
                    contract_table.c.id,
                    contract_table.c.customer_name,
                    contract_table.c.product,
                    contract_table.c.units,
                    booked.label("booked"),
                )
                .where(contract_table.c.status == "active")
                .order_by(contract_table.c.id)
            ).all()
            rows = [
                {
                    "contract_id": row.id,
                    "product": row.product,
                    "units": 1,
                    "ad_name": f"{row.customer_name}: {row.product} ad {n}",
                }
                for row in active
                for n in range(row.booked + 1, min(row.booked + per_contract, row.units or 0) + 1)
            ]
            if rows:
                conn.execute(usage_table.insert(), rows)
            return len(rows)
    finally:
        engine.dispose()


def _url(target: Path | str) -> str:
    return f"sqlite:///{target}" if isinstance(target, Path) else target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The service app's example database.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create", help="write the app's tables, empty").add_argument(
        "path", type=Path
    )
    commands.add_parser("contracts", help="print the Contract__c records, as JSON")
    ads = commands.add_parser("ads", help="book ads on the active contracts the app has read")
    ads.add_argument("path", type=Path)
    ads.add_argument("--per-contract", type=int, default=2)
    args = parser.parse_args(argv)
    if args.command == "create":
        create(args.path)
        print(f"wrote {args.path}: tables contracts and usages")
    elif args.command == "contracts":
        print(orjson.dumps({"Contract__c": contracts()}, option=orjson.OPT_INDENT_2).decode())
    else:
        booked = seed_usages(args.path, args.per_contract)
        print(f"booked {booked} ads in {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
