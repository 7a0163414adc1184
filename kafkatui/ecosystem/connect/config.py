"""Connect's ConfigDef (org.apache.kafka.common.config.ConfigDef): the configs a plugin
or the worker declares — name, type, default, importance, documentation, validators —
parsing the strings a REST client sends, and validation that reports every problem per
field, as `PUT /connector-plugins/{plugin}/config/validate` answers (ConfigInfos)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

NO_DEFAULT = object()  # ConfigDef.NO_DEFAULT_VALUE: the config is required


class ConfigType(StrEnum):
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class ConfigException(Exception):
    """Kafka's ConfigException: a value that cannot be parsed or is not valid."""


Validator = Callable[[str, Any], None]


def at_least(minimum: float) -> Validator:
    """ConfigDef.Range.atLeast."""

    def check(name: str, value: Any) -> None:
        if value is not None and value < minimum:
            raise ConfigException(
                f"Invalid value {value} for configuration {name}: Value must be at least {minimum}"
            )

    return check


def one_of(*allowed: str) -> Validator:
    """ConfigDef.ValidString.in (Kafka lowercases neither side)."""

    def check(name: str, value: Any) -> None:
        if value is not None and value not in allowed:
            raise ConfigException(
                f"Invalid value {value} for configuration {name}: String must be one of: {', '.join(allowed)}"
            )

    return check


def non_empty_string(name: str, value: Any) -> None:
    """ConfigDef.NonEmptyString."""
    if value is not None and not str(value).strip():
        raise ConfigException(f"Invalid value {value} for configuration {name}: String may not be empty")


@dataclass(frozen=True)
class ConfigKey:
    name: str
    type: ConfigType
    default: Any
    importance: Importance
    documentation: str
    validators: tuple[Validator, ...] = ()
    group: str | None = None
    display_name: str | None = None
    order: int = -1

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    def info(self) -> dict[str, Any]:
        """ConfigKeyInfo, as the REST API shows a config's definition."""
        return {
            "name": self.name,
            "type": self.type.value,
            "required": self.required,
            "default_value": None if self.required else unparse(self.type, self.default),
            "importance": self.importance.value,
            "documentation": self.documentation,
            "group": self.group,
            "width": "NONE",
            "display_name": self.display_name or self.name,
            "dependents": [],
            "order": self.order,
        }


def parse(key: ConfigKey, raw: Any) -> Any:
    """A config's value from what a client gave (strings mostly; JSON numbers and
    booleans too, as Jackson hands them to ConfigDef.parseType)."""
    if raw is None:
        return None
    name, kind = key.name, key.type
    text = raw.strip() if isinstance(raw, str) else raw
    try:
        if kind is ConfigType.BOOLEAN:
            if isinstance(text, bool):
                return text
            if str(text).lower() in ("true", "false"):
                return str(text).lower() == "true"
            raise ValueError
        if kind in (ConfigType.INT, ConfigType.LONG):
            if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
                raise ValueError
            value = int(text)
            if kind is ConfigType.INT and not -(2**31) <= value < 2**31:
                raise ValueError
            return value
        if kind is ConfigType.DOUBLE:
            return float(text)
        if kind is ConfigType.LIST:
            if isinstance(text, list):
                return [str(v).strip() for v in text]
            return [part.strip() for part in str(text).split(",")] if str(text) else []
    except (TypeError, ValueError):
        expected = {"BOOLEAN": "boolean", "INT": "32-bit integer", "LONG": "64-bit integer"}
        raise ConfigException(
            f"Invalid value {raw} for configuration {name}: Expected value to be a "
            f"{expected.get(kind.value, kind.value.lower())}"
        ) from None
    return str(raw)


def unparse(kind: ConfigType, value: Any) -> str | None:
    if value is None:
        return None
    if kind is ConfigType.LIST:
        return ",".join(value)
    if kind is ConfigType.BOOLEAN:
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class ConfigValue:
    """One config's outcome of validation (ConfigValueInfo)."""

    name: str
    value: Any
    errors: tuple[str, ...] = ()

    def info(self, kind: ConfigType | None) -> dict[str, Any]:
        shown = self.value if kind is None else unparse(kind, self.value)
        if kind is ConfigType.PASSWORD and shown is not None:
            shown = "[hidden]"
        return {
            "name": self.name,
            "value": shown,
            "recommended_values": [],
            "errors": list(self.errors),
            "visible": True,
        }


@dataclass
class ConfigDef:
    """A set of ConfigKeys, in definition order."""

    keys: dict[str, ConfigKey] = field(default_factory=dict)

    def define(
        self,
        name: str,
        type: ConfigType,
        default: Any = NO_DEFAULT,
        importance: Importance = Importance.MEDIUM,
        documentation: str = "",
        *,
        validators: Iterable[Validator] = (),
        group: str | None = None,
        display_name: str | None = None,
    ) -> ConfigDef:
        self.keys[name] = ConfigKey(
            name, type, default, importance, documentation, tuple(validators), group, display_name,
            order=len(self.keys) + 1,
        )  # fmt: skip
        return self

    def merged(self, other: ConfigDef) -> ConfigDef:
        """This def's keys, then `other`'s that this one does not define."""
        out = ConfigDef(dict(self.keys))
        for name, key in other.keys.items():
            out.keys.setdefault(name, key)
        return out

    def validate(self, props: Mapping[str, Any]) -> dict[str, ConfigValue]:
        """Every key's value and every problem with it (ConfigDef.validateAll)."""
        out: dict[str, ConfigValue] = {}
        for name, key in self.keys.items():
            problems: list[str] = []
            value: Any = None
            if name in props:
                try:
                    value = parse(key, props[name])
                except ConfigException as error:
                    problems.append(str(error))
                    value = props[name]
            elif key.required:
                problems.append(f'Missing required configuration "{name}" which has no default value.')
            else:
                value = key.default
            if not problems:
                for validator in key.validators:
                    try:
                        validator(name, value)
                    except ConfigException as error:
                        problems.append(str(error))
            out[name] = ConfigValue(name, value, tuple(problems))
        return out

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The typed values, or ConfigException naming the first problem (AbstractConfig)."""
        values = self.validate(props)
        for value in values.values():
            if value.errors:
                raise ConfigException(value.errors[0])
        return {name: v.value for name, v in values.items()}


TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
