"""The hub database of the org-sync example (seed 002): the golden customers and their
contacts, and the few records each org already holds.

    python -m lockstep.demo.hub_data hub.db [--customers 40] [--contacts 100]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa


def tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The hub's two tables, the same on SQLite, MariaDB and PostgreSQL."""
    customers = sa.Table(
        "customers",
        metadata,
        sa.Column("customer_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("segment", sa.String(20)),
        sa.Column("phone", sa.String(40)),
        sa.Column("global_customer_id", sa.String(40), unique=True),
        sa.Column("fsc_account_id", sa.String(18)),
        sa.Column("sales_account_id", sa.String(18)),
    )
    contacts = sa.Table(
        "contacts",
        metadata,
        sa.Column("contact_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "customer_id", sa.Integer, sa.ForeignKey("customers.customer_id"), nullable=False
        ),
        sa.Column("first_name", sa.String(80)),
        sa.Column("last_name", sa.String(80), nullable=False),
        sa.Column("email", sa.String(120)),
        sa.Column("global_customer_id", sa.String(40), unique=True),
        sa.Column("fsc_contact_id", sa.String(18)),
        sa.Column("sales_contact_id", sa.String(18)),
    )
    return customers, contacts


NAMES = ["Harbor", "Summit", "Cedar", "Beacon", "Meridian", "Aurora", "Granite", "Willow"]
KINDS = ["Bank", "Capital", "Advisors", "Trust", "Partners"]
COUNTRIES = ["US", "CA", "GB", "DE"]
SEGMENTS = ["retail", "wealth", "commercial"]
FIRST = ["Maya", "Omar", "Lena", "Ravi", "Ines", "Tomas", "Aiko", "Noah"]
LAST = ["Okafor", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Silva", "Novak", "Reyes"]

# Records each org holds already, by customer id: the same business, typed differently.
IN_FSC = (2, 5, 9)
IN_SALES = (5, 12)


def customer(n: int) -> tuple[str, str]:
    return f"{NAMES[n % len(NAMES)]} {KINDS[(n // len(NAMES)) % len(KINDS)]} {n}", COUNTRIES[n % 4]


def create(target: Path | str, customers: int = 40, contacts: int = 100) -> None:
    """A fresh hub: ``target`` is a SQLite file or a SQLAlchemy URL (an empty database)."""
    if isinstance(target, Path):
        target.unlink(missing_ok=True)
        target = f"sqlite:///{target}"
    engine = sa.create_engine(target)
    try:
        metadata = sa.MetaData()
        customer_table, contact_table = tables(metadata)
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                customer_table.insert(),
                [
                    {
                        "customer_id": n,
                        "name": customer(n)[0],
                        "country": customer(n)[1],
                        "segment": SEGMENTS[n % 3],
                        "phone": f"+1 555 01{n:02d}",
                    }
                    for n in range(1, customers + 1)
                ],
            )
            conn.execute(
                contact_table.insert(),
                [
                    {
                        "contact_id": n,
                        "customer_id": 1 + n % customers,
                        "first_name": FIRST[n % len(FIRST)],
                        "last_name": f"{LAST[(n // len(FIRST)) % len(LAST)]} {n}",
                        "email": f"contact{n}@clients.example.com",
                    }
                    for n in range(1, contacts + 1)
                ],
            )
    finally:
        engine.dispose()


def existing_accounts(ids: tuple[int, ...]) -> list[dict[str, str]]:
    """The Accounts an org holds before the sync: names in other case and spacing."""
    return [
        {"Name": "  " + customer(n)[0].upper() + " ", "BillingCountry": customer(n)[1]} for n in ids
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the org-sync hub database.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--contacts", type=int, default=100)
    args = parser.parse_args(argv)
    create(args.path, args.customers, args.contacts)
    print(f"wrote {args.path}: {args.customers} customers, {args.contacts} contacts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
