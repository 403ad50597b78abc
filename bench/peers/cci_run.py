"""``cci`` itself, with one optional, declared workaround for a known emulator gap.

    python bench/peers/cci_run.py [--org-info-without-namespace] task run load_dataset ...

Without the flag this is exactly the ``cci`` console script (``cumulusci.cli.cci.main``).

``--org-info-without-namespace``: before every Salesforce task CumulusCI refreshes the
org's details with ``GET sobjects/Organization/{id}`` and reads ``NamespacePrefix`` from
the reply (``OrgConfig._load_orginfo``). An emulator whose Organization has no such field
makes every task fail with ``KeyError: 'NamespacePrefix'`` before it starts. With the
flag the same call is made and the same four values are stored, with ``namespace`` set to
None (what a real org without a namespace answers) when the field is absent. The data
load and extract code is untouched. ``cumulusci_load_extract.py`` passes the flag only
when the emulator's Organization describe lacks the field, and says so in its summary.
"""

from __future__ import annotations

import sys

from cumulusci.cli.cci import main
from cumulusci.core.config import OrgConfig


def _load_orginfo_without_namespace(self: OrgConfig) -> None:
    self._org_sobject = self.salesforce_client.Organization.get(self.org_id)
    self.config.update(
        {
            "org_type": self._org_sobject["OrganizationType"],
            "is_sandbox": self._org_sobject["IsSandbox"],
            "instance_name": self._org_sobject["InstanceName"],
            "namespace": self._org_sobject.get("NamespacePrefix"),
        }
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--org-info-without-namespace"]:
        args = args[1:]
        OrgConfig._load_orginfo = _load_orginfo_without_namespace
    sys.exit(main(["cci", *args]))
