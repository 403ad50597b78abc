"""The ``--schema`` YAML file's shape, as pydantic models.

These models check only what one field or one object says on its own (types, ranges,
unknown keys); whether names exist and references resolve is the loader's job, since
that needs the whole file and the built-in objects. Every model forbids unknown keys,
so a typo is an error with a line number rather than a silently ignored setting.
Strict mode keeps YAML's own types: ``length: "80"`` is an error, not an 80.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from lockstep_emulator.schema.auto_number import DEFAULT_FORMAT, format_problem

STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)

Label = Annotated[str, Field(min_length=1, max_length=80)]


class _FieldBase(BaseModel):
    model_config = STRICT

    label: Label | None = Field(None, description="Label shown in describe; derived from the name.")


class TextField(_FieldBase):
    """string, textarea, email, phone, url."""

    type: Literal["string", "textarea", "email", "phone", "url"] = Field(
        description="The field's Salesforce type."
    )
    length: int | None = Field(
        None, ge=1, le=131072, description="Maximum characters (string 255, textarea 32768)."
    )
    required: bool = Field(False, description="A save without a value fails.")
    unique: bool = Field(False, description="No two live records share a value.")
    external_id: bool = Field(False, description="Usable as the key of an upsert.")
    case_sensitive: bool = Field(False, description="Uniqueness and matching respect case.")
    default: str | None = Field(None, description="Value a create gets when it sends none.")

    @field_validator("unique", "external_id")
    @classmethod
    def _keyable(cls, value: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("type")
        if value and kind not in ("string", "email"):
            raise ValueError(f"{info.field_name} needs type string or email, not {kind}")
        return value

    @field_validator("case_sensitive")
    @classmethod
    def _with_unique(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("unique"):
            raise ValueError("case_sensitive only applies with unique: true")
        return value


class PicklistField(_FieldBase):
    """picklist and multipicklist."""

    type: Literal["picklist", "multipicklist"] = Field(description="The field's Salesforce type.")
    values: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        min_length=1, description="The allowed values, in display order."
    )
    restricted: bool = Field(False, description="Values outside the list are rejected.")
    required: bool = Field(False, description="A save without a value fails.")
    default: str | None = Field(None, description="Value a create gets when it sends none.")

    @field_validator("values")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        repeated = sorted({v for v in value if value.count(v) > 1})
        if repeated:
            raise ValueError(f"values repeat: {', '.join(repeated)}")
        return value

    @field_validator("default")
    @classmethod
    def _default_is_a_value(cls, value: str | None, info: ValidationInfo) -> str | None:
        values = info.data.get("values")
        if value is not None and values is not None and value not in values:
            raise ValueError(f"default {value!r} is not one of the values")
        return value


class BooleanField(_FieldBase):
    """A checkbox: never null, false unless a default says otherwise."""

    type: Literal["boolean"] = Field(description="The field's Salesforce type.")
    default: bool = Field(False, description="Value a create gets when it sends none.")


class NumberField(_FieldBase):
    """int, double, currency, percent."""

    type: Literal["int", "double", "currency", "percent"] = Field(
        description="The field's Salesforce type."
    )
    precision: int = Field(18, ge=1, le=18, description="Total digits.")
    scale: int = Field(0, ge=0, le=17, description="Digits after the decimal point.")
    required: bool = Field(False, description="A save without a value fails.")
    unique: bool = Field(False, description="No two live records share a value.")
    external_id: bool = Field(False, description="Usable as the key of an upsert.")
    default: int | float | None = Field(None, description="Value a create gets when it sends none.")

    @field_validator("scale")
    @classmethod
    def _scale_fits(cls, value: int, info: ValidationInfo) -> int:
        precision = info.data.get("precision")
        if precision is not None and value > precision:
            raise ValueError(f"scale {value} exceeds precision {precision}")
        return value

    @field_validator("unique", "external_id")
    @classmethod
    def _keyable(cls, value: bool, info: ValidationInfo) -> bool:
        kind = info.data.get("type")
        if value and kind not in ("int", "double"):
            raise ValueError(f"{info.field_name} needs type int or double, not {kind}")
        return value


class DateField(_FieldBase):
    """date and datetime."""

    type: Literal["date", "datetime"] = Field(description="The field's Salesforce type.")
    required: bool = Field(False, description="A save without a value fails.")


class ReferenceField(_FieldBase):
    """A lookup: optional unless ``required``; the child survives the parent's delete."""

    type: Literal["reference"] = Field(description="The field's Salesforce type.")
    to: str = Field(min_length=1, description="The parent object (built-in or in this file).")
    relationship_name: str | None = Field(
        None, description="Name of the parent in SOQL (default: the field's name with __r)."
    )
    child_relationship: str | None = Field(
        None, description="Name of the children seen from the parent (default: <PluralLabel>__r)."
    )
    required: bool = Field(False, description="A save without a value fails.")


class MasterDetailField(_FieldBase):
    """A master-detail reference: always required; deleting the master deletes the detail."""

    type: Literal["master_detail"] = Field(description="The field's Salesforce type.")
    to: str = Field(min_length=1, description="The master object (built-in or in this file).")
    relationship_name: str | None = Field(
        None, description="Name of the master in SOQL (default: the field's name with __r)."
    )
    child_relationship: str | None = Field(
        None, description="Name of the details seen from the master (default: <PluralLabel>__r)."
    )


class RollupField(_FieldBase):
    """A roll-up summary over the details of a master-detail relationship."""

    type: Literal["rollup"] = Field(description="The field's Salesforce type.")
    function: Literal["COUNT", "SUM", "MIN", "MAX"] = Field(description="The aggregate.")
    child: str = Field(min_length=1, description="The detail object.")
    via: str = Field(min_length=1, description="The detail's master-detail field to this object.")
    field: str | None = Field(
        None,
        validate_default=True,
        description="The detail field aggregated (not used by COUNT, required otherwise).",
    )

    @field_validator("field")
    @classmethod
    def _matches_function(cls, value: str | None, info: ValidationInfo) -> str | None:
        function = info.data.get("function")
        if function == "COUNT" and value is not None:
            raise ValueError("COUNT counts records: remove 'field'")
        if function not in (None, "COUNT") and value is None:
            raise ValueError(f"{function} needs 'field': the detail field to aggregate")
        return value


def _display_format(value: str) -> str:
    problem = format_problem(value)
    if problem:
        raise ValueError(problem)
    return value


DisplayFormat = Annotated[
    str,
    AfterValidator(_display_format),
    Field(description="How each number is written, e.g. A-{0000} or {YYYY}-{000}."),
]
StartingNumber = Annotated[
    int, Field(ge=0, le=999_999_999, description="The number the first record gets.")
]


class AutoNumberField(_FieldBase):
    """A read-only text field numbered on create."""

    type: Literal["auto_number"] = Field(description="The field's Salesforce type.")
    external_id: bool = Field(False, description="Usable as the key of an upsert.")
    display_format: DisplayFormat = DEFAULT_FORMAT
    starting_number: StartingNumber = 1


FieldModel = Annotated[
    TextField
    | PicklistField
    | BooleanField
    | NumberField
    | DateField
    | ReferenceField
    | MasterDetailField
    | RollupField
    | AutoNumberField,
    Field(discriminator="type"),
]


class NameField(BaseModel):
    """A custom object's ``Name``: free text (80 characters) or an auto-number."""

    model_config = STRICT

    label: Label | None = Field(None, description="Label of the Name field.")
    type: Literal["text", "auto_number"] = Field("text", description="text or auto_number.")
    display_format: DisplayFormat | None = None
    starting_number: StartingNumber | None = None

    @field_validator("display_format", "starting_number")
    @classmethod
    def _numbered(cls, value: object, info: ValidationInfo) -> object:
        if value is not None and info.data.get("type") != "auto_number":
            raise ValueError(f"{info.field_name} needs type auto_number")
        return value


class ValidationRuleModel(BaseModel):
    """A rule whose ``expression`` (a formula) being true makes a save fail with ``message``."""

    model_config = STRICT

    name: str = Field(min_length=1, max_length=40, description="The rule's unique name.")
    expression: str = Field(min_length=1, description="Formula; true means the record is bad.")
    message: str = Field(min_length=1, max_length=255, description="The error a client sees.")
    field: str | None = Field(None, description="Field the error is shown on (else the record).")


class ObjectModel(BaseModel):
    """One object: a custom one (name ends with __c) or a built-in it adds fields to.

    ``fields`` stays raw here: each field is validated on its own (``FieldModel``) so
    that one bad field does not hide the errors of the others.
    """

    model_config = STRICT

    label: Label | None = Field(None, description="Singular label (custom objects only).")
    plural_label: Label | None = Field(None, description="Plural label (custom objects only).")
    name_field: NameField | None = Field(None, description="The Name field (custom objects only).")
    fields: dict[str, Any] = Field(default_factory=dict, description="Field name → definition.")
    validation_rules: list[ValidationRuleModel] = Field(
        default_factory=list, description="Rules checked on every save."
    )
