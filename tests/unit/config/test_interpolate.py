"""``${VAR}`` substitution in the text values of the loaded YAML."""

from __future__ import annotations

import pytest

from lockstep.config.interpolate import interpolate, substitute

ENV = {"HOST": "db.example.com", "USER": "app", "EMPTY": "", "PORT": "5432"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${HOST}", "db.example.com"),
        ("postgresql://${USER}@${HOST}:${PORT}/app", "postgresql://app@db.example.com:5432/app"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),  # as the shell: unset or empty
        ("${EMPTY}", ""),
        ("${HOST:-fallback}", "db.example.com"),
        ("${MISSING:-}", ""),
        ("${MISSING:-a:-b}", "a:-b"),
        ("$${HOST}", "${HOST}"),
        ("cost: $5 and $HOST", "cost: $5 and $HOST"),  # only ${ is special
        ("a$${b}${USER}", "a${b}app"),
        ("no variables", "no variables"),
    ],
)
def test_substitute(text: str, expected: str) -> None:
    assert substitute(text, ENV) == (expected, ())


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("${MISSING}", ("environment variable 'MISSING' is not set",)),
        (
            "${A}${B}",
            ("environment variable 'A' is not set", "environment variable 'B' is not set"),
        ),
        ("x${", ("unclosed '${' (write '$${' for a literal '${')",)),
        ("${}", ("'${}' is not a variable: expected ${NAME} or ${NAME:-default}",)),
        ("${1ST}", ("'${1ST}' is not a variable: expected ${NAME} or ${NAME:-default}",)),
    ],
)
def test_problems_leave_the_text_as_written(text: str, problems: tuple[str, ...]) -> None:
    assert substitute(text, ENV) == (text, problems)


def test_interpolate_walks_mappings_and_lists_and_reports_each_place() -> None:
    data = {
        "systems": {"app": {"url": "postgresql://${USER}@${HOST}/app", "batch_size": 5}},
        "list": ["${PORT}", {"deep": "${NOPE}"}, None, True],
        "${HOST}": "keys are never substituted",
    }
    result = interpolate(data, ENV)
    assert result.data == {
        "systems": {"app": {"url": "postgresql://app@db.example.com/app", "batch_size": 5}},
        "list": ["5432", {"deep": "${NOPE}"}, None, True],
        "${HOST}": "keys are never substituted",
    }
    assert result.problems == ((("list", 1, "deep"), "environment variable 'NOPE' is not set"),)
    assert result.values == (
        (("systems", "app", "url"), "app"),
        (("systems", "app", "url"), "db.example.com"),
        (("list", 0), "5432"),
    )
    assert data["list"] == ["${PORT}", {"deep": "${NOPE}"}, None, True]  # not mutated


def test_defaults_are_not_reported_as_environment_values() -> None:
    assert interpolate({"a": "${MISSING:-x}"}, ENV).values == ()
