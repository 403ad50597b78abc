"""Write a config text as ``lockstep.yaml`` in a fresh directory and load it from there,
so that messages name the file as a user would see it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from lockstep.config import LoadedConfig, load_config
from lockstep.errors import ConfigError

Load = Callable[..., LoadedConfig]
Problems = Callable[..., list[str]]


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Load:
    monkeypatch.chdir(tmp_path)

    def load_text(text: str, environ: Mapping[str, str] | None = None) -> LoadedConfig:
        Path("lockstep.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return load_config("lockstep.yaml", environ=environ or {})

    return load_text


@pytest.fixture
def problems(load: Load) -> Problems:
    def problems_of(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            load(text, environ)
        return list(caught.value.problems)

    return problems_of
