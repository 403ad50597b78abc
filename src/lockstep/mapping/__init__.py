"""Mapping between a system's native rows and lockstep's canonical records.

- ``values``: ``coerce`` a value to a canonical kind, ``same`` to compare two;
- ``valuemap``: picklist value maps, both ways;
- ``transforms``: the ``package.module:function`` callables a field map names;
- ``record``: ``compile_reader`` / ``compile_writer`` per binding, and ``diff``;
- ``ownership``: who owns each field, and the fingerprint of what a system holds;
- ``payload``: what a queued change carries, a ``Canonical`` as stored.

All of it is pure: no I/O, values in, values out.
"""

from lockstep.mapping.errors import MappingError
from lockstep.mapping.record import Canonical, Reader, Writer, compile_reader, compile_writer, diff
from lockstep.mapping.values import coerce, same

__all__ = [
    "Canonical",
    "MappingError",
    "Reader",
    "Writer",
    "coerce",
    "compile_reader",
    "compile_writer",
    "diff",
    "same",
]
