"""What an error code means and what to do about it, in words an administrator reads.

Codes are Salesforce's ``statusCode`` values, lockstep's own record codes
(``MISSING_PARENT``, ``DUPLICATE``, ``INVALID``) and the SQL connector's ``SQL_*`` codes.
The report shows this beside each code; an unknown code gets a general line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Advice:
    meaning: str
    action: str


_BULK_TIP = (
    "Where exceptions.csv gives a bulk job id, open it in Salesforce under Setup → "
    "Monitor → Jobs → Bulk Data Load Jobs to read the full error."
)

ADVICE: dict[str, Advice] = {
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": Advice(
        "A validation rule in Salesforce rejected the record. The message is the rule's "
        "own error text.",
        "Correct the data in the source system, or ask the Salesforce administrator to "
        "let the integration user bypass the rule during the migration, then run again.",
    ),
    "REQUIRED_FIELD_MISSING": Advice(
        "A field that Salesforce requires was empty. The message names the field.",
        "Fill in the field in the source system, or give it a default value in the "
        "lockstep configuration, then run again.",
    ),
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": Advice(
        "A picklist value is not one of the values the Salesforce field allows.",
        "Add the value to the picklist in Salesforce, or translate it to an allowed value "
        "in the configuration (a value map), then run again.",
    ),
    "DUPLICATE_VALUE": Advice(
        "Another record already has this value in a field that must be unique, often "
        "an external id. The message gives the other record's id.",
        "Look at both records: merge them or correct one of them, then run again.",
    ),
    "STRING_TOO_LONG": Advice(
        "A text value is longer than the Salesforce field allows. The message names the "
        "field and its maximum length.",
        "Shorten the value in the source system, or make the field longer in Salesforce, "
        "then run again.",
    ),
    "MALFORMED_ID": Advice(
        "A value used as a Salesforce record id is not a valid id.",
        "Check the id values in the source and the lookup's mapping. Ids from another org "
        "(for example from before a sandbox refresh) do not work: see `lockstep remap`.",
    ),
    "ENTITY_IS_DELETED": Advice(
        "The record to update, or a record it points to, has been deleted in Salesforce.",
        "Restore it from the Recycle Bin, or run `lockstep reconcile --apply` to create it again.",
    ),
    "INVALID_CROSS_REFERENCE_KEY": Advice(
        "A lookup points to a record that does not exist, or that the integration user cannot see.",
        "Check that the related record exists and is shared with the integration user. "
        "If it is migrated in this run, run `lockstep relink` afterwards.",
    ),
    "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY": Advice(
        "The integration user may not link to the related record (sharing or permissions).",
        "Give the integration user access to the related records, then run again.",
    ),
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": Advice(
        "An Apex trigger, flow or process in Salesforce failed while saving the record. "
        "The message says which one.",
        "Ask the Salesforce administrator to look at that automation, or to turn it off "
        "for the integration user during the migration, then run again.",
    ),
    "UNABLE_TO_LOCK_ROW": Advice(
        "Salesforce was busy with the same record (or its parent) and gave up waiting.",
        "Usually temporary: run again. If it keeps happening, load fewer records at once.",
    ),
    "INVALID_EMAIL_ADDRESS": Advice(
        "An email address is not in a form Salesforce accepts.",
        "Correct the address in the source system, then run again.",
    ),
    "MISSING_PARENT": Advice(
        "lockstep did not write this record because a record it depends on (its parent, "
        "such as the account of a contact) is not in the target yet.",
        "Fix the parent record first (its own row explains why it failed), then run "
        "again; records already migrated are not duplicated.",
    ),
    "DUPLICATE": Advice(
        "lockstep did not write this record: it matches several existing records, or "
        "several source records look like the same one.",
        "See duplicates.csv: merge the duplicates, or make the match rule stricter in "
        "the configuration, then run again.",
    ),
    "INVALID": Advice(
        "lockstep could not translate this record with the configuration: a required "
        "value is missing, or a value has no mapping.",
        "Read the message for the field; correct the source data or the mapping "
        "(`lockstep validate` checks the configuration), then run again.",
    ),
    "SQL_INTEGRITY": Advice(
        "The database refused the row because it breaks a rule of the table: a unique "
        "key, a required column, or a link to another table.",
        "The message names the rule; correct the data or the mapping, then run again.",
    ),
    "SQL_DATA": Advice(
        "A value does not fit its database column: too long, the wrong type, or out of range.",
        "Correct the value in the source, or change the mapping or the column, then run again.",
    ),
}

_SQL = Advice(
    "The database refused the change.",
    "Read the example message; a database administrator can tell what it means.",
)
_GENERIC = Advice(
    "The target system refused the record with this code.",
    "Read the example message and the rows in exceptions.csv. " + _BULK_TIP,
)


def advice(code: str) -> Advice:
    """What ``code`` means and what to do; a general answer for codes not known here."""
    known = ADVICE.get(code)
    if known is not None:
        return known
    return _SQL if code.startswith("SQL_") else _GENERIC
