"""Loading the ``package.module:function`` transforms."""

from __future__ import annotations

import pytest

from lockstep.mapping.errors import MappingError
from lockstep.mapping.transforms import guarded, resolve

T = "lockstep_mapping_transforms"


def test_resolve_loads_the_function_once() -> None:
    function = resolve(f"{T}:upper")
    assert function("abc") == "ABC"
    assert resolve(f"{T}:upper") is function


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no_such_module_here:f", "cannot load transform 'no_such_module_here:f': "),
        (f"{T}:missing", f"cannot load transform '{T}:missing': AttributeError"),
        (f"{T}:NOT_CALLABLE", f"transform '{T}:NOT_CALLABLE' is not callable"),
        ("no_colon", "transform 'no_colon' must be written 'package.module:function'"),
    ],
)
def test_resolve_failures_name_the_path(path: str, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        resolve(path)
    assert str(caught.value).startswith(message)


def test_guarded_turns_a_failure_into_a_mapping_error() -> None:
    call = guarded(f"{T}:explode")
    with pytest.raises(MappingError) as caught:
        call(3)
    assert str(caught.value) == f"transform '{T}:explode' failed on 3 (int): ValueError: no thanks"
    assert isinstance(caught.value.__cause__, ValueError)
