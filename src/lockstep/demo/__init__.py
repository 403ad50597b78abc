"""``lockstep demo``: the main job on embedded defaults, narrated step by step."""

from lockstep.demo.emulator_tour import run_emulator_tour

__all__ = ["run_emulator_tour"]
