"""The standard objects every emulated org starts with, with their usual fields.

Field lists follow the Salesforce object reference, trimmed to what integrations use;
a ``--schema`` file can add fields to any of them.
"""

from __future__ import annotations

from typing import Any

from lockstep_emulator.schema.build import ObjectSpec
from lockstep_emulator.schema.model import FieldDef, FieldType

T = FieldType


def text(name: str, length: int = 255, **kw: Any) -> FieldDef:
    return FieldDef(name, T.STRING, length=length, **kw)


def area(name: str, length: int = 32000) -> FieldDef:
    return FieldDef(name, T.TEXTAREA, length=length)


def pick(name: str, *values: str, **kw: Any) -> FieldDef:
    return FieldDef(name, T.PICKLIST, length=255, picklist_values=values, **kw)


def ref(name: str, target: str, rel: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name,
        T.REFERENCE,
        length=18,
        reference_to=(target,),
        relationship_name=rel,
        **kw,
    )


def flag(name: str, default: bool = False, **kw: Any) -> FieldDef:
    return FieldDef(name, T.BOOLEAN, nillable=False, default=default, **kw)


def num(name: str, kind: FieldType = T.DOUBLE, precision: int = 18, scale: int = 2) -> FieldDef:
    return FieldDef(name, kind, precision=precision, scale=scale)


def date(name: str, **kw: Any) -> FieldDef:
    return FieldDef(name, T.DATE, **kw)


def readonly(f: FieldDef) -> FieldDef:
    from dataclasses import replace

    return replace(f, createable=False, updateable=False)


def _address(prefix: str) -> tuple[FieldDef, ...]:
    return (
        area(f"{prefix}Street", 255),
        text(f"{prefix}City", 40),
        text(f"{prefix}State", 80),
        text(f"{prefix}PostalCode", 20),
        text(f"{prefix}Country", 80),
    )


NAME_REQUIRED: dict[str, Any] = {"required": True, "nillable": False, "name_field": True}
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")

ORGANIZATION = ObjectSpec(
    "Organization",
    "00D",
    (
        readonly(text("Name", 80, name_field=True)),
        readonly(flag("IsSandbox")),
        readonly(text("OrganizationType", 40)),
        readonly(text("InstanceName", 40)),
        readonly(text("LanguageLocaleKey", 40)),
        readonly(text("TimeZoneSidKey", 40)),
        readonly(text("DefaultLocaleSidKey", 40)),
        readonly(text("PrimaryContact", 80)),
        readonly(text("NamespacePrefix", 15)),
        readonly(FieldDef("TrialExpirationDate", T.DATETIME)),
    ),
    has_owner=False,
    createable=False,
    deletable=False,
)

USER = ObjectSpec(
    "User",
    "005",
    (
        text("Username", 80, required=True, nillable=False, unique=True),
        text("FirstName", 40),
        text("LastName", 80, required=True, nillable=False),
        readonly(text("Name", 121, name_field=True)),
        FieldDef("Email", T.EMAIL, length=128, required=True, nillable=False),
        text("Alias", 8, required=True, nillable=False),
        flag("IsActive", True),
        text("TimeZoneSidKey", 40, default="GMT"),
        text("LocaleSidKey", 40, default="en_US"),
        text("LanguageLocaleKey", 40, default="en_US"),
        text("Title", 80),
        text("CompanyName", 80),
    ),
    has_owner=False,
)

RECORD_TYPE = ObjectSpec(
    "RecordType",
    "012",
    (
        text("Name", 80, **NAME_REQUIRED),
        text("DeveloperName", 80, required=True, nillable=False),
        text("SobjectType", 40, required=True, nillable=False),
        flag("IsActive", True),
        text("Description", 255),
    ),
    has_owner=False,
)

ACCOUNT = ObjectSpec(
    "Account",
    "001",
    (
        text("Name", 255, **NAME_REQUIRED),
        text("AccountNumber", 40),
        pick("Type", "Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"),
        pick(
            "Industry",
            "Agriculture",
            "Banking",
            "Education",
            "Energy",
            "Finance",
            "Healthcare",
            "Manufacturing",
            "Media",
            "Retail",
            "Technology",
            "Other",
        ),
        ref("ParentId", "Account", "Parent"),
        ref("RecordTypeId", "RecordType", "RecordType"),
        FieldDef("Phone", T.PHONE, length=40),
        FieldDef("Fax", T.PHONE, length=40),
        FieldDef("Website", T.URL, length=255),
        *_address("Billing"),
        *_address("Shipping"),
        num("AnnualRevenue", T.CURRENCY),
        num("NumberOfEmployees", T.INT, precision=8, scale=0),
        pick("Rating", "Hot", "Warm", "Cold"),
        text("Site", 80),
        pick("Ownership", "Public", "Private", "Subsidiary", "Other"),
        text("Sic", 20),
        text("SicDesc", 80),
        text("TickerSymbol", 20),
        area("Description"),
        pick("AccountSource", *LEAD_SOURCES),
        text("Jigsaw", 20),
        readonly(text("JigsawCompanyId", 20)),
        readonly(date("LastActivityDate")),
    ),
    child_names=(("ParentId", "ChildAccounts"),),
)

CONTACT = ObjectSpec(
    "Contact",
    "003",
    (
        text("FirstName", 40),
        text("LastName", 80, required=True, nillable=False),
        readonly(text("Name", 121, name_field=True)),
        pick("Salutation", "Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
        ref("AccountId", "Account", "Account"),
        ref("ReportsToId", "Contact", "ReportsTo"),
        ref("RecordTypeId", "RecordType", "RecordType"),
        FieldDef("Email", T.EMAIL, length=80),
        FieldDef("Phone", T.PHONE, length=40),
        FieldDef("MobilePhone", T.PHONE, length=40),
        FieldDef("HomePhone", T.PHONE, length=40),
        text("Title", 128),
        text("Department", 80),
        date("Birthdate"),
        *_address("Mailing"),
        pick("LeadSource", *LEAD_SOURCES),
        flag("HasOptedOutOfEmail"),
        flag("DoNotCall"),
        area("Description"),
        text("Jigsaw", 20),
        readonly(date("LastActivityDate")),
    ),
    child_names=(("ReportsToId", "ReportsTo__children"),),
)

CASE = ObjectSpec(
    "Case",
    "500",
    (
        readonly(text("CaseNumber", 30, name_field=True, auto_number=True, starting_number=1000)),
        text("Subject", 255),
        area("Description"),
        pick(
            "Status",
            "New",
            "Working",
            "Escalated",
            "Closed",
            default="New",
            restricted_picklist=True,
        ),
        pick("Priority", "High", "Medium", "Low", default="Medium"),
        pick("Origin", "Phone", "Email", "Web"),
        pick("Type", "Mechanical", "Electrical", "Electronic", "Structural", "Other"),
        pick("Reason", "Installation", "Equipment Complexity", "Performance", "Breakdown", "Other"),
        ref("AccountId", "Account", "Account"),
        ref("ContactId", "Contact", "Contact"),
        ref("ParentId", "Case", "Parent"),
        ref("RecordTypeId", "RecordType", "RecordType"),
        readonly(flag("IsClosed")),
        FieldDef("ClosedDate", T.DATETIME, createable=False, updateable=False),
        FieldDef("SuppliedEmail", T.EMAIL, length=80),
        text("SuppliedName", 80),
        FieldDef("SuppliedPhone", T.PHONE, length=40),
        flag("IsEscalated"),
    ),
    child_names=(("ParentId", "Cases"),),
)

OPPORTUNITY = ObjectSpec(
    "Opportunity",
    "006",
    (
        text("Name", 120, **NAME_REQUIRED),
        ref("AccountId", "Account", "Account"),
        pick(
            "StageName",
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Proposal/Price Quote",
            "Negotiation/Review",
            "Closed Won",
            "Closed Lost",
            required=True,
            nillable=False,
        ),
        date("CloseDate", required=True, nillable=False),
        num("Amount", T.CURRENCY),
        num("Probability", T.PERCENT, precision=3, scale=0),
        pick("Type", "Existing Customer - Upgrade", "New Customer", "Other"),
        pick("LeadSource", *LEAD_SOURCES),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2"),
        ref("RecordTypeId", "RecordType", "RecordType"),
        readonly(flag("IsClosed")),
        readonly(flag("IsWon")),
        text("NextStep", 255),
        area("Description"),
        readonly(date("LastActivityDate")),
    ),
    label_plural="Opportunities",
)

PRODUCT2 = ObjectSpec(
    "Product2",
    "01t",
    (
        text("Name", 255, **NAME_REQUIRED),
        text("ProductCode", 255),
        area("Description", 4000),
        flag("IsActive"),
        pick("Family", "None", "Hardware", "Software", "Services"),
        text("StockKeepingUnit", 180),
        text("QuantityUnitOfMeasure", 255),
    ),
    label="Product",
    child_names=(),
)

PRICEBOOK2 = ObjectSpec(
    "Pricebook2",
    "01s",
    (
        text("Name", 255, **NAME_REQUIRED),
        flag("IsActive"),
        readonly(flag("IsStandard")),
        text("Description", 255),
    ),
    label="Price Book",
)

PRICEBOOK_ENTRY = ObjectSpec(
    "PricebookEntry",
    "01u",
    (
        readonly(text("Name", 255, name_field=True)),
        ref("Pricebook2Id", "Pricebook2", "Pricebook2", required=True, nillable=False),
        ref("Product2Id", "Product2", "Product2", required=True, nillable=False),
        num("UnitPrice", T.CURRENCY),
        flag("IsActive"),
        flag("UseStandardPrice"),
        readonly(text("ProductCode", 255)),
    ),
    label="Price Book Entry",
    label_plural="Price Book Entries",
    has_owner=False,
    child_names=(("Pricebook2Id", "PricebookEntries"), ("Product2Id", "PricebookEntries")),
)

BUILTINS: tuple[ObjectSpec, ...] = (
    ORGANIZATION,
    USER,
    RECORD_TYPE,
    ACCOUNT,
    CONTACT,
    CASE,
    OPPORTUNITY,
    PRODUCT2,
    PRICEBOOK2,
    PRICEBOOK_ENTRY,
)
