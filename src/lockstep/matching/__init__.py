"""Finding the same record in another system: match rules, normalizers, the index.

- ``normalize``: how a rule spells values before comparing them;
- ``index``: rule keys, ``MatchIndex`` (find one / many / none) and
  ``source_duplicates`` (records of one side that look the same).

Pure: no I/O.
"""

from lockstep.matching.index import (
    Match,
    MatchIndex,
    key_of,
    rule_keys,
    rule_label,
    source_duplicates,
)
from lockstep.matching.normalize import normalizer

__all__ = [
    "Match",
    "MatchIndex",
    "key_of",
    "normalizer",
    "rule_keys",
    "rule_label",
    "source_duplicates",
]
