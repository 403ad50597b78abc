"""Read ``lockstep.yaml``: every problem of the file at once, each at its file:line:col.

One pass, in stages that each report everything they find: the file is read and parsed
(YAML syntax stops it there), ``${VAR}`` is substituted, each system, entity and the
``run`` section is validated on its own (so a mistake in one does not hide the others),
and the cross-references are checked among the parts that validated. Nothing is written.

Secrets never appear in a message: every value of a ``SecretStr`` field (whether
written in the file or taken from the environment) is masked in each line.
"""

from __future__ import annotations

import os
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, SecretStr, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from lockstep.config import crossref
from lockstep.config.base import Strict
from lockstep.config.entities import Entity
from lockstep.config.interpolate import interpolate
from lockstep.config.models import Config
from lockstep.config.run import RunSettings
from lockstep.config.systems import JwtAuth, SalesforceSystem, System
from lockstep.config.yaml_locate import (
    Loc,
    Located,
    Problems,
    Where,
    YamlSyntaxError,
    load,
)
from lockstep.errors import ConfigError

MASK = "***"


@dataclass(frozen=True)
class LoadedConfig:
    """A valid config and the file it came from, so that later checks (against the live
    systems) can report at file:line too."""

    config: Config
    path: Path
    located: Located
    masked: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """Texts no message may show: the secrets, and the variables that went into them."""

    def problems(self) -> Problems:
        """A fresh collector on this file (its messages mask this config's secrets)."""
        return ConfigProblems(str(self.path), self.located, secrets=self.masked)

    def where(self, loc: Loc, *, at_key: bool = False) -> Where:
        return self.located.where(loc, at_key=at_key)


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    """The config in ``path``, ``${VAR}`` taken from ``environ`` (default ``os.environ``);
    ``ConfigError`` with every problem, in file order."""
    file = Path(path)
    source = str(file)
    located = _parse(source, _read(file, source))
    interpolated = interpolate(located.data, os.environ if environ is None else environ)
    data = interpolated.data
    secret = dict(_secrets(Config, data, ()))
    masked = (
        *secret.values(),
        *(value for loc, value in interpolated.values if loc in secret),
    )
    problems = ConfigProblems(source, located, secrets=masked)
    for where, message in located.duplicates:
        problems.add_at(where, message)
    for loc, message in interpolated.problems:
        problems.add(loc, message)
        problems.hide(loc)  # the text is left as written: say nothing more about it
    config = _validate(problems, data)
    if config is not None:
        config = _resolve_files(config, file.resolve().parent, problems)
    if config is None or problems.found:
        raise ConfigError(problems.messages())
    return LoadedConfig(config, file, located, masked)


def _resolve_files(config: Config, base: Path, problems: ConfigProblems) -> Config:
    """Files the config names (a CA certificate, a JWT key), taken relative to the
    config file's folder, and reported where they are missing."""
    systems: dict[str, Any] = {}
    for name, system in config.systems.items():
        if not isinstance(system, SalesforceSystem):
            continue
        update: dict[str, Any] = {}
        if system.ca_cert is not None:
            update["ca_cert"] = _existing(
                base, system.ca_cert, problems, ("systems", name, "ca_cert")
            )
        auth = system.auth
        if isinstance(auth, JwtAuth) and auth.private_key_file is not None:
            key = _existing(
                base, auth.private_key_file, problems, ("systems", name, "auth", "private_key_file")
            )
            update["auth"] = auth.model_copy(update={"private_key_file": key})
        if update:
            systems[name] = system.model_copy(update=update)
    if not systems:
        return config
    return config.model_copy(update={"systems": {**config.systems, **systems}})


def _existing(base: Path, path: Path, problems: ConfigProblems, loc: tuple[str, ...]) -> Path:
    full = path if path.is_absolute() else base / path
    if not full.is_file():
        problems.add(loc, f"no such file: {full}")
    return full


def _read(file: Path, source: str) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{source}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{source}: is a directory, not a config file"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{source}: not UTF-8 text (byte {exc.start})"]) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read the file: {exc.strerror}"]) from None


def _parse(source: str, text: str) -> Located:
    try:
        return load(text)
    except YamlSyntaxError as exc:
        place = f"{source}:{exc.line}:{exc.column}" if exc.line else source
        raise ConfigError([f"{place}: invalid YAML: {exc.message}"]) from None


class _Top(Strict):
    """``Config``'s top level with each section left for its own validation."""

    version: Literal[1] = 1
    systems: dict[str, Any] = Field(min_length=1)
    entities: dict[str, Any] = Field(default_factory=dict)
    run: dict[str, Any] = Field(default_factory=dict)


def _validate(problems: ConfigProblems, data: Any) -> Config | None:
    if data is None:
        problems.add((), "the file is empty: expected a mapping with the key 'systems'")
        return None
    top: _Top | None = problems.check(_Top, data, ())
    if top is None:
        return None
    systems = {
        name: system
        for name, raw in top.systems.items()
        if (system := problems.check(System, raw, ("systems", name))) is not None
    }
    entities: dict[str, Entity] = {}
    for name, raw in top.entities.items():
        entity = problems.check(Entity, raw, ("entities", name)) or _salvage(Entity, raw)
        if isinstance(entity, Entity):
            entities[name] = entity
    run = problems.check(RunSettings, top.run, ("run",)) or _salvage(RunSettings, top.run)
    partial = Config.model_construct(
        version=1,
        systems=systems,
        entities=entities,
        run=run if isinstance(run, RunSettings) else RunSettings(),
    )
    kinds = {name: _kind(raw) for name, raw in top.systems.items()}
    for finding in crossref.check(partial, systems=kinds, entities=top.entities):
        problems.add(finding.loc, finding.message, at_key=finding.at_key)
    if problems.found:
        return None
    config: Config | None = problems.check(Config, data, ())
    return config


def _kind(raw: Any) -> str | None:
    """A system's kind, read even from a system that did not validate."""
    kind = raw.get("kind") if isinstance(raw, dict) else None
    return kind if kind in ("salesforce", "sql") else None


# -- what is valid in a part that is not -------------------------------------------------

_INVALID: Any = object()
# Parts other checks read names from: without them, the whole entity is left unchecked
# rather than checked against a guess.
_NEEDED = {(Entity, "fields"), (Entity, "references"), (Entity, "bindings")}


def _salvage(model: type[BaseModel], raw: Any) -> BaseModel | None:
    """``model`` built (unvalidated) from the valid parts of ``raw``, each invalid part
    left at its default, so that the cross-references of the valid parts are still
    checked; None when that cannot be done without guessing."""
    required = [name for name, info in model.model_fields.items() if info.is_required()]
    if not isinstance(raw, dict):
        return None if required else model.model_construct()
    parts: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in raw:
            if name in required:
                return None
            continue
        value = _quiet((model, name), Annotated[info.annotation, info], raw[name])
        if value is _INVALID:
            value = _salvage_part(info.annotation, raw[name])
        if value is not _INVALID:
            parts[name] = value
        elif name in required or (model, name) in _NEEDED:
            return None
    return model.model_construct(**parts)


def _salvage_part(kind: Any, raw: Any) -> Any:
    kind, _ = _unwrap(kind)
    if _is_model(kind):
        return _salvage(kind, raw) or _INVALID
    if get_origin(kind) is not dict or not isinstance(raw, dict):
        return _INVALID
    item_kind, _ = _unwrap(get_args(kind)[1])
    if not _is_model(item_kind):
        return _INVALID
    items: dict[str, Any] = {}
    for key, value in raw.items():
        item = _quiet(item_kind, item_kind, value)
        if item is _INVALID:
            item = _salvage(item_kind, value)
        if item is None or not isinstance(key, str):
            return _INVALID
        items[key] = item
    return items


def _quiet(key: Any, kind: Any, raw: Any) -> Any:
    try:
        return _adapter(kind, key).validate_python(raw)
    except ValidationError:
        return _INVALID


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


@dataclass
class ConfigProblems(Problems):
    """``Problems`` that know the config's types: pydantic's paths lose the tags of
    discriminated unions (``auth.password.username`` is ``auth.username`` in the file),
    a value that fits no member of a plain union is one message, problems inside a
    hidden place are dropped, and secrets (of four characters or more) are masked."""

    secrets: tuple[str, ...] = field(default=(), repr=False)
    hidden: list[tuple[str | int, ...]] = field(default_factory=list)

    def hide(self, loc: Loc) -> None:
        """Report nothing more at or below ``loc``."""
        self.hidden.append(tuple(loc))

    def add(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        place = tuple(loc)
        if any(place[: len(h)] == h for h in self.hidden):
            return
        super().add(loc, message, at_key=at_key)

    def check(self, kind: Any, data: Any, loc: Loc) -> Any:
        """``data`` validated as ``kind`` (a model or annotated type), or None after
        recording each problem at its place."""
        try:
            return _adapter(kind, kind).validate_python(data)
        except ValidationError as exc:
            unions: dict[tuple[str | int, ...], Any] = {}
            for error in exc.errors(include_url=False):
                path, union = _file_path(kind, error["loc"])
                if union is not None:
                    unions.setdefault((*loc, *path), union)
                else:
                    self._add_pydantic((*loc, *path), error)
            for place, union in unions.items():
                self.add(place, f"expected {_kinds_in_words(union)}")
            return None

    def _add_pydantic(self, loc: tuple[str | int, ...], error: Any) -> None:
        if error["type"] == "literal_error":
            expected = str(error["ctx"]["expected"]).replace("'", "").replace(" or ", ", ")
            self.add(loc, f"unknown value '{error['input']}'; expected one of: {expected}")
        else:
            super()._add_pydantic(loc, error)

    def messages(self) -> list[str]:
        secrets = sorted((s for s in self.secrets if len(s) >= 4), key=len, reverse=True)
        lines = super().messages()
        for secret in secrets:
            lines = [line.replace(secret, MASK) for line in lines]
        return lines


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any, key: Any) -> TypeAdapter[Any]:
    """A cached adapter for ``kind``, under ``key`` (hashable, and stable for the same
    kind, unlike an ``Annotated`` built on the fly)."""
    found = _ADAPTERS.get(key)
    if found is None:
        found = _ADAPTERS[key] = TypeAdapter(kind)
    return found


# -- walking the config's types along a path ----------------------------------------------


def _unwrap(kind: Any, discriminator: str | None = None) -> tuple[Any, str | None]:
    """``kind`` without ``Annotated`` and ``| None``, and its union's discriminator."""
    if get_origin(kind) is Annotated:
        kind, *extras = get_args(kind)
        for extra in extras:
            if isinstance(extra, FieldInfo) and isinstance(extra.discriminator, str):
                discriminator = extra.discriminator
    if _is_union(kind):
        members = [m for m in get_args(kind) if m is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0], discriminator)
    return kind, discriminator


def _is_union(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType)


def _tagged(kind: Any, discriminator: str, tag: Any) -> Any | None:
    for member in get_args(kind):
        info = getattr(member, "model_fields", {}).get(discriminator)
        if info is not None and tag in get_args(info.annotation):
            return member
    return None


def _model_field(kind: Any, key: Any) -> tuple[Any, str | None]:
    info = kind.model_fields.get(key) if isinstance(key, str) else None
    if info is None:
        return Any, None
    return info.annotation, info.discriminator if isinstance(info.discriminator, str) else None


def _file_path(root: Any, loc: Loc) -> tuple[tuple[str | int, ...], Any | None]:
    """pydantic's ``loc`` as a path of keys in the file, and the plain union whose
    members the error is about (None when it is not about one)."""
    kind, discriminator = root, None
    path: list[str | int] = []
    for step in loc:
        kind, discriminator = _unwrap(kind, discriminator)
        if _is_union(kind) and discriminator is not None:
            kind, discriminator = _tagged(kind, discriminator, step) or Any, None
            continue
        if _is_union(kind):
            return tuple(path), kind
        path.append(step)
        origin = get_origin(kind)
        if _is_model(kind):
            kind, discriminator = _model_field(kind, step)
        elif origin is dict:
            kind, discriminator = get_args(kind)[1], None
        elif origin is list:
            kind, discriminator = get_args(kind)[0], None
        else:
            kind, discriminator = Any, None
    return tuple(path), None


_WORDS: dict[Any, str] = {
    str: "text",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _kinds_in_words(union: Any) -> str:
    members = sorted(get_args(union), key=lambda m: m is type(None))  # null last
    words = list(dict.fromkeys(_WORDS.get(m, getattr(m, "__name__", "")) for m in members))
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


def _secrets(
    kind: Any, data: Any, loc: tuple[str | int, ...], discriminator: str | None = None
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each text at a ``SecretStr`` place of ``data`` (plain YAML data) read as ``kind``,
    with its path; when a union's tag is wrong, read as each of its members."""
    kind, discriminator = _unwrap(kind, discriminator)
    if kind is SecretStr:
        if isinstance(data, str):
            yield loc, data
    elif _is_union(kind):
        tagged = None
        if discriminator is not None and isinstance(data, dict):
            tagged = _tagged(kind, discriminator, data.get(discriminator))
        for member in [tagged] if tagged is not None else get_args(kind):
            yield from _secrets(member, data, loc)
    elif _is_model(kind) and isinstance(data, dict):
        for key, value in data.items():
            field_kind, field_discriminator = _model_field(kind, key)
            yield from _secrets(field_kind, value, (*loc, key), field_discriminator)
    elif get_origin(kind) is dict and isinstance(data, dict):
        for key, value in data.items():
            yield from _secrets(get_args(kind)[1], value, (*loc, key))
    elif get_origin(kind) is list and isinstance(data, list):
        for i, value in enumerate(data):
            yield from _secrets(get_args(kind)[0], value, (*loc, i))
