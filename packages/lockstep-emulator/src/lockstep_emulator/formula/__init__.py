"""Validation-rule formulas: a safe subset of Salesforce's formula language.

``parse`` (text → tree) and ``compile_formula`` (tree → checked function) never
``eval`` anything: a formula reaches fields and the functions listed in
``functions.py`` and ``compile.py``, nothing else. The language is documented in
docs/emulator.md, "Validation rules".
"""

from lockstep_emulator.formula.compile import Formula, compile_formula
from lockstep_emulator.formula.env import Catalog, Env, FieldRef
from lockstep_emulator.formula.parse import FormulaError, parse

__all__ = ["Catalog", "Env", "FieldRef", "Formula", "FormulaError", "compile_formula", "parse"]
