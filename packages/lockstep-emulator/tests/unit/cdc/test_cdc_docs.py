"""Every CometD and CDC admin route the emulator serves is documented."""

from __future__ import annotations

import re
from pathlib import Path

import lockstep_emulator.api.streaming as streaming

DOCS = Path(__file__).parents[3] / "docs" / "emulator.md"


def test_every_streaming_route_is_in_docs_emulator_md() -> None:
    source = Path(streaming.__file__).read_text()
    paths = re.findall(r'Route\("([^"{]+)', source)
    assert "/_emulator/cdc/gap" in paths
    docs = DOCS.read_text()
    section = docs[docs.index("## Change Data Capture (CometD)") :]
    assert [p for p in paths if p.rstrip("/") not in section] == []
