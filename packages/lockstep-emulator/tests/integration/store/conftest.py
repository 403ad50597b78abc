from __future__ import annotations

from collections.abc import Iterator

import pytest
from lockstep_emulator.org import Org, OrgSettings


@pytest.fixture
def org() -> Iterator[Org]:
    org = Org(OrgSettings(), None)
    yield org
    org.close()
