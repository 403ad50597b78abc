"""The AMS database of the seed 003 example: companies and individual customers, with
the flaws a real migration meets (a duplicate company, a record Salesforce refuses,
people whose employer cannot be migrated, a shared e-mail address).

    python -m lockstep.demo.ams_data ams.db [--companies 60] [--individuals 200]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

SCHEMA = """
CREATE TABLE company (
    company_id INTEGER PRIMARY KEY,
    company_name TEXT NOT NULL,
    parent_company_id INTEGER REFERENCES company (company_id),
    city TEXT, country TEXT, phone TEXT, website TEXT,
    member_type TEXT CHECK (member_type IN ('CORP', 'ASSOC', 'NONMEMBER')),
    annual_dues NUMERIC,
    sf_account_id VARCHAR(18), global_id VARCHAR(40), sync_status VARCHAR(20)
);
CREATE TABLE individual (
    customer_id INTEGER PRIMARY KEY,
    first_name TEXT, last_name TEXT NOT NULL, email TEXT, phone TEXT, title TEXT,
    employer_id INTEGER REFERENCES company (company_id),
    sf_contact_id VARCHAR(18), sync_status VARCHAR(20)
);
"""

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
WORDS = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Litware",
    "Adatum",
    "Proseware",
]
KINDS = ["Traders", "Ltd", "Group", "Partners", "Labs", "Works", "Holdings", "Foundation"]
CITIES = [("Leeds", "UK"), ("Seattle", "US"), ("Lyon", "FR"), ("Porto", "PT"), ("Graz", "AT")]
TITLES = ["Director", "Member Services", "Treasurer", "Engineer", "Chair"]

# The flaws, by key (documented in examples/ams-migration/README.md).
DUPLICATE_OF = {8: 7}  # company 8 repeats company 7's name and city
NEGATIVE_DUES = 13  # Salesforce's validation rule refuses it
PRE_EXISTING = 3  # already in Salesforce (the demo creates it there first)
SHARED_EMAIL = (21, 22)  # two people, one address


def company_name(n: int) -> str:
    return f"{WORDS[n % len(WORDS)]} {KINDS[(n // len(WORDS)) % len(KINDS)]} {n}"


def create(path: Path, companies: int = 60, individuals: int = 200) -> None:
    """Write a fresh AMS database at ``path``."""
    rng = random.Random(3)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        rows = []
        for n in range(1, companies + 1):
            source = DUPLICATE_OF.get(n, n)
            city, country = CITIES[source % len(CITIES)]
            dues = Decimal(-50) if n == NEGATIVE_DUES else Decimal(rng.randrange(100, 5000))
            parent = n - 9 if n > 10 and n % 10 == 0 else None
            rows.append(
                (
                    n,
                    company_name(source),
                    parent,
                    city,
                    country,
                    f"+44 113 496 {n:04d}",
                    f"https://company{n}.example.org",
                    ["CORP", "ASSOC", "NONMEMBER"][n % 3],
                    str(dues),
                )
            )
        db.executemany(
            "INSERT INTO company (company_id, company_name, parent_company_id, city, country, "
            "phone, website, member_type, annual_dues) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        people = []
        for n in range(1, individuals + 1):
            first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
            email_n = SHARED_EMAIL[0] if n in SHARED_EMAIL else n
            employer = 1 + (n * 7) % companies
            people.append(
                (
                    n,
                    first,
                    f"{last} {n}",
                    f"person{email_n}@members.example.org",
                    f"+44 113 555 {n:04d}",
                    TITLES[n % len(TITLES)],
                    employer,
                )
            )
        db.executemany(
            "INSERT INTO individual (customer_id, first_name, last_name, email, phone, title, "
            "employer_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            people,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the AMS example database.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--companies", type=int, default=60)
    parser.add_argument("--individuals", type=int, default=200)
    args = parser.parse_args(argv)
    create(args.path, args.companies, args.individuals)
    print(f"wrote {args.path}: {args.companies} companies, {args.individuals} individuals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
