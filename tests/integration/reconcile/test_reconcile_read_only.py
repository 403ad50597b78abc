"""A field bound read-only in a system (``read_only: true``: read, never written) cannot
be repaired there, so a difference in it is nothing ``--apply`` can do: reconcile must
come to rest rather than report (and "repair") the same update on every run."""

from __future__ import annotations

from reconcile_helpers import World, accounts, data_writes

READ_ONLY_BUG = (
    "reconcile/run.py _side: a binding's names include its read_only fields, so compare "
    "reports an 'update' of a field sync never writes; --apply makes a write call, counts "
    "it updated, and the next reconcile reports the same update again (migrate's planner "
    "leaves read_only fields out: `writable` in migrate/run.py)"
)


def test_a_difference_in_a_read_only_field_is_not_an_update_apply_cannot_make(
    world: World,
) -> None:
    customer = world.config["entities"]["customer"]
    customer["field_owners"] = {}  # the app owns the phone too
    customer["bindings"]["crm"]["fields"]["phone"] = {"field": "Phone", "read_only": True}
    world.insert("customers", [{"id": 1, "name": "Cust 1", "phone": "555-0001"}])
    world.settle()
    (account,) = accounts(world.sf).values()
    assert account["Phone"] is None  # sync never writes it
    world.admin.reset_stats()

    world.reconcile(apply=True)

    assert data_writes(world.admin.stats()) == {}
    again = world.reconcile()
    assert again.counts.updated == 0, again.as_dict()
