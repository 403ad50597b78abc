"""Which columns make an update of a captured table a change (``watched_fields``)."""

from __future__ import annotations

from typing import Any

from lockstep.config.entities import Binding
from lockstep.sync.capture import watched_fields


def binding(fields: dict[str, Any], **more: Any) -> Binding:
    return Binding.model_validate(
        {"table": "t", "key": "id", "fields": fields, "capture": {"mode": "triggers"}, **more}
    )


def test_the_mapped_columns_of_every_binding_of_the_table_not_the_housekeeping() -> None:
    first = binding(
        {"name": "name", "phone": {"field": "tel"}},
        global_id_field="gid",
        write_back={"ids": {"crm": "sf_id"}, "status": {"field": "sync_status"}},
    )
    second = binding({"email": "email", "name": "name"})
    assert watched_fields([first]) == ("name", "tel")
    assert watched_fields([first, second]) == ("email", "name", "tel")


def test_a_filter_on_any_binding_of_the_table_watches_every_update() -> None:
    assert watched_fields([binding({"name": "name"}), binding({"x": "x"}, filter="x > 1")]) == ()
