"""``entities:``: the canonical model, and how each entity binds to each system."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from lockstep.config.base import Strict
from lockstep.core.shapes import Kind

Scalar = str | int | float | bool | None
Normalizer = Literal["exact", "case", "whitespace", "email", "phone"]
CaptureMode = Literal["triggers", "watermark", "poll", "cdc", "none"]


class CanonicalField(Strict):
    """A field of the canonical record. Shorthand: `name: string` gives the type only."""

    type: Kind = Field("string", description="The canonical type.")
    required: bool = Field(False, description="A record without a value is an exception.")
    description: str | None = Field(None, description="What the field means, for people.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data


class FieldMap(Strict):
    """How one canonical field is stored in one system. Shorthand: `name: Native_Field__c`."""

    field: str | None = Field(
        None, description="The native field or column. Omit only with `constant`."
    )
    values: dict[str, Scalar] | None = Field(
        None,
        description="A value map, canonical value -> native value (picklists). Reading "
        "uses the reverse map; a value missing from the map is an exception.",
    )
    type: Kind | None = Field(
        None, description="Coerce the value to this type when writing to the system."
    )
    constant: Scalar = Field(
        None, description="Always write this native value; the canonical value is not used."
    )
    to_native: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="A Python callable `package.module:function` turning the canonical "
        "value into the native one, for what the other settings cannot say.",
    )
    from_native: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="A Python callable `package.module:function` turning the native value "
        "into the canonical one.",
    )
    read_only: bool = Field(
        False, description="Read from this system, never written to it (formula fields)."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"field": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _has_target(self) -> FieldMap:
        if self.field is None and self.constant is None:
            raise ValueError("give 'field' (or 'constant')")
        return self


class Capture(Strict):
    """How lockstep learns of changes in this binding."""

    mode: CaptureMode = Field(
        description="`triggers` (SQL: lockstep's triggers fill a change table), `watermark` "
        "(SQL: an updated-at column), `poll` (Salesforce: SystemModstamp), or `none`. "
        "`cdc` (Salesforce Change Data Capture) is not supported yet: it is refused."
    )
    column: str | None = Field(
        None,
        description="The timestamp column for `watermark` (required there) or `poll` "
        "(default SystemModstamp); the other modes refuse it.",
    )
    lookback_seconds: float = Field(
        0.0,
        ge=0,
        description="Re-read this far behind the last watermark, for late commits "
        "(`watermark` and `poll`; the other modes refuse it).",
    )
    interval_seconds: float = Field(
        60.0,
        gt=0,
        description="How often to look for changes: `lockstep sync` passes at the shortest "
        "interval of the bindings it reads (refused with mode `none`).",
    )

    @model_validator(mode="after")
    def _column(self) -> Capture:
        if self.mode == "watermark" and not self.column:
            raise ValueError("the watermark mode needs 'column'")
        return self


class SyncStatus(Strict):
    """A field that shows the state of the last sync of the record (seed 000), by one
    rule for sync, migrate and reconcile (docs/sync.md, "The sync status")."""

    field: str = Field(description="The native field that holds the status.")
    in_progress: str = Field(
        "In Progress",
        description="Written into a change's origin when lockstep takes the change up, "
        "and while it waits for a retry.",
    )
    success: str = Field(
        "Success",
        description="Written into the origin once its change reached every system, and "
        "with the values into every system lockstep writes the record to.",
    )
    failed: str = Field(
        "Failed", description="Written into the origin when its change failed for good."
    )
    reason: str | None = Field(
        None,
        description="A native text field that receives why the change failed (`CODE: "
        "message`) next to `failed`; emptied with the other statuses.",
    )
    in_progress_on_change: bool = Field(
        True,
        description="Write `in_progress` into the origin of every new change before "
        "carrying it (seed 000's reset on every update). `false` saves that write (one "
        "call per batch of changes): `in_progress` is then written only while a change "
        "waits for a retry.",
    )


class WriteBack(Strict):
    """What lockstep writes back into this system after syncing a record elsewhere."""

    ids: dict[str, str] = Field(
        default_factory=dict,
        description="Other system -> the native field here that receives that system's id "
        "of the record (for example `crm: salesforce_id`).",
    )
    status: SyncStatus | None = Field(None, description="A sync-status field to maintain.")


class Binding(Strict):
    """Where an entity lives in one system."""

    object: str | None = Field(None, description="The Salesforce object (Salesforce systems).")
    table: str | None = Field(None, description="The table (SQL systems).")
    key: str | None = Field(
        None, description="The native primary key; default `Id` (Salesforce) or `id` (SQL)."
    )
    external_id: str | None = Field(
        None,
        description="A unique field that carries the record's key from another system, "
        "used for idempotent upserts.",
    )
    fields: dict[str, FieldMap] = Field(
        default_factory=dict,
        description="Canonical field or reference -> how it is stored here.",
    )
    filter: str | None = Field(
        None,
        description="Only records passing this are in scope: a SOQL WHERE clause "
        "(Salesforce) or a SQL WHERE clause (SQL). `1=2` leaves the binding out.",
    )
    capture: Capture | None = Field(
        None,
        description="How `lockstep sync` reads this binding's changes: `{mode: poll}` "
        "(Salesforce) or `{mode: triggers}` (SQL), typically. Without it, sync does not "
        "read the binding's changes; it still writes changes from elsewhere into it.",
    )
    global_id_field: str | None = Field(
        None, description="A native field that receives lockstep's global id (seed 002)."
    )
    write_back: WriteBack | None = Field(
        None, description="Ids and sync status written back into this system."
    )

    @model_validator(mode="after")
    def _one_target(self) -> Binding:
        if (self.object is None) == (self.table is None):
            raise ValueError("give exactly one of 'object' (Salesforce) and 'table' (SQL)")
        return self

    @property
    def target(self) -> str:
        """The object or table name."""
        return self.object or self.table or ""


class Reference(Strict):
    """A lookup to another entity. Shorthand: `account: customer`."""

    entity: str = Field(description="The entity referred to.")
    required: bool = Field(
        False, description="A record whose referenced record is missing is an exception."
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"entity": data} if isinstance(data, str) else data


class MatchRule(Strict):
    """Records agree on these canonical fields: the same record, found in another system."""

    fields: list[str] = Field(min_length=1, description="Canonical fields that must all agree.")
    normalize: list[Normalizer] = Field(
        default_factory=list,
        description="Before comparing: `case` (fold case), `whitespace` (trim, collapse), "
        "`email` (trim, lower-case), `phone` (digits only); `exact` or none compares as is.",
    )


class Entity(Strict):
    """A kind of business record, bound to one object or table in each system."""

    description: str | None = Field(None, description="What the entity is, for people.")
    fields: dict[str, CanonicalField] = Field(
        default_factory=dict, description="The canonical fields, by name."
    )
    references: dict[str, Reference] = Field(
        default_factory=dict, description="Lookups to other entities, by name."
    )
    bindings: dict[str, Binding] = Field(
        min_length=1, description="System name -> where the entity lives there."
    )
    owner: str = Field(description="The system of record for the entity.")
    field_owners: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical field -> the system that owns it instead of `owner`.",
    )
    conflict: Literal["owner_wins", "last_writer_wins"] = Field(
        "owner_wins",
        description="When two systems change a field between syncs: the owner's value wins "
        "(`owner_wins`), or the later change (`last_writer_wins`). Either way it is recorded.",
    )
    match: list[MatchRule] = Field(
        default_factory=list,
        description="Rules tried in order to find an existing record before creating one.",
    )
    lock: str | None = Field(
        None,
        description="An expression over the record and the records it refers to, such as "
        "`contract.status == 'Fulfilled'`; while true, changes to the record are refused.",
    )

    @field_validator("fields", "references", "bindings", "field_owners")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = [name for name in value if not name.isidentifier()]
        if bad:
            raise ValueError(f"names must be identifiers (letters, digits, _): {', '.join(bad)}")
        return value
