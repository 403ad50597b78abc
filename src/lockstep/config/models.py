"""The whole ``lockstep.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lockstep.config.base import Strict
from lockstep.config.entities import Entity
from lockstep.config.run import RunSettings
from lockstep.config.systems import System


class Config(Strict):
    """One file says which records live where, who owns each field, and how they link."""

    version: Literal[1] = Field(1, description="The version of this file's format.")
    systems: dict[str, System] = Field(
        min_length=1, description="The systems lockstep connects, by name."
    )
    entities: dict[str, Entity] = Field(
        default_factory=dict, description="The entities of the canonical model, by name."
    )
    run: RunSettings = Field(default_factory=RunSettings, description="Ledger and reports.")
