"""Configs are dataclasses; presets set their defaults; ``--set field=value`` overrides any field."""
from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

from lawm.errors import LawmError

C = TypeVar("C")


def to_dict(config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(cls: type[C], values: dict[str, Any]) -> C:
    """Build ``cls`` from a dict, refusing names it does not have."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise LawmError(f"{cls.__name__} has no field '{unknown[0]}'; its fields are: {', '.join(sorted(names))}")
    return cls(**values)


def check_minimums(config, minimums: dict[str, int]) -> None:
    """Refuse, in one sentence naming it, the first field of ``config`` below its minimum in ``minimums``."""
    for name, least in minimums.items():
        value = getattr(config, name)
        if value < least:
            raise LawmError(f"the config field '{name}' must be at least {least}, got {value}")


def parse_overrides(cls: type, pairs: list[str]) -> dict[str, Any]:
    """Turn ``["batch_size=32", "lr=1e-4"]`` into typed values for the fields of ``cls``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise LawmError(f"the override '{pair}' must look like field=value")
        if name not in fields:
            raise LawmError(f"{cls.__name__} has no field '{name}'; its fields are: {', '.join(sorted(fields))}")
        values[name] = _parse_value(name, text, fields[name].default)
    return values


def _parse_value(name: str, text: str, default: Any) -> Any:
    kind = type(default)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        if kind in (int, float, str):
            return kind(float(text)) if kind is int and "e" in text.lower() else kind(text)
        return json.loads(text)
    except ValueError:
        raise LawmError(f"the value '{text}' for field '{name}' is not a valid {kind.__name__}") from None


def build(cls: type[C], presets: dict[str, dict[str, Any]], preset: str, overrides: list[str] = ()) -> C:
    """The config of ``preset`` with ``overrides`` applied."""
    if preset not in presets:
        raise LawmError(f"unknown preset '{preset}'; presets are: {', '.join(presets)}")
    return from_dict(cls, {**presets[preset], **parse_overrides(cls, list(overrides))})
