"""The ``to_native`` / ``from_native`` callables a field map names as
``package.module:function``: loaded once, and guarded so that a failure names them.

A transform takes one value and returns one value. It is never called with ``None``:
``None`` maps to ``None`` (the caller does that), so a transform need not test for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from lockstep.config.crossref import import_callable
from lockstep.mapping.errors import MappingError, shown

Transform = Callable[[Any], Any]


@functools.cache
def resolve(path: str) -> Transform:
    """The callable ``path`` names; ``MappingError`` naming ``path`` when it cannot be
    loaded. Successful look-ups are cached."""
    if ":" not in path:
        raise MappingError(f"transform '{path}' must be written 'package.module:function'")
    try:
        return import_callable(path)
    except TypeError as exc:
        raise MappingError(f"transform {exc}") from None
    except Exception as exc:  # ImportError, AttributeError, or the module's own failure
        raise MappingError(f"cannot load transform '{path}': {type(exc).__name__}: {exc}") from None


def guarded(path: str) -> Transform:
    """``path``'s callable, wrapped so that anything it raises becomes a
    ``MappingError`` naming ``path`` and the value."""
    function = resolve(path)

    def call(value: Any) -> Any:
        try:
            return function(value)
        except MappingError:
            raise
        except Exception as exc:
            raise MappingError(
                f"transform '{path}' failed on {shown(value)}: {type(exc).__name__}: {exc}"
            ) from exc

    return call
