"""What the Bulk API 1.0 tests share besides fixtures."""

from __future__ import annotations

from lockstep_emulator.client import EmulatorInfo

VERSION = "59.0"


def base_url(info: EmulatorInfo) -> str:
    return f"{info.instance_url}/services/async/{VERSION}"
