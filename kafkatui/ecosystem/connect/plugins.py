"""Finding connector plugins: every class named in the `kafkatui.connectors` entry-point
group of an installed distribution (kafkatui's own built-ins are registered there too, in
pyproject.toml), each under its Kafka-style class name. A config names a plugin as Connect
lets it (Plugins.connectorClass): by that full class name, by its simple name, or by the
simple name without "Connector" (`FileStreamSource`).

Single message transforms and predicates are found the same way, in the
`kafkatui.transforms` and `kafkatui.predicates` groups, by full class name or simple
name (`org.apache.kafka.connect.transforms.InsertField$Value` or `InsertField$Value`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from kafkatui.ecosystem.connect.api import Connector
from kafkatui.ecosystem.connect.transforms.base import Predicate, Transformation

log = logging.getLogger("kafkatui.ecosystem.connect")

GROUP = "kafkatui.connectors"
# The built-ins, as pyproject.toml registers them: a source tree run without `pip install
# -e .` since they were added has no entry points yet, and still has its own connectors.
BUILTINS = {
    "org.apache.kafka.connect.file.FileStreamSourceConnector": (
        "kafkatui.ecosystem.connect.file:FileStreamSourceConnector"
    ),
    "org.apache.kafka.connect.file.FileStreamSinkConnector": (
        "kafkatui.ecosystem.connect.file:FileStreamSinkConnector"
    ),
    "kafkatui.connect.sqlite.SqliteSourceConnector": (
        "kafkatui.ecosystem.connect.sqlite_source:SqliteSourceConnector"
    ),
    "kafkatui.connect.sqlite.SqliteSinkConnector": (
        "kafkatui.ecosystem.connect.sqlite_sink:SqliteSinkConnector"
    ),
    "io.confluent.connect.http.HttpSinkConnector": "kafkatui.ecosystem.connect.http_sink:HttpSinkConnector",
    "io.confluent.kafka.connect.datagen.DatagenConnector": (
        "kafkatui.ecosystem.connect.datagen:DatagenConnector"
    ),
}

TRANSFORMS_GROUP, PREDICATES_GROUP = "kafkatui.transforms", "kafkatui.predicates"
_SMT = "org.apache.kafka.connect.transforms"
_FIELDS, _ROUTERS, _FILTER = (
    f"kafkatui.ecosystem.connect.transforms.{m}" for m in ("fields", "routers", "filter")
)
TRANSFORM_BUILTINS = {
    **{
        f"{_SMT}.{name}${part}": f"{_FIELDS}:{name}{part}"
        for name in ("InsertField", "ReplaceField", "MaskField", "ExtractField")
        for part in ("Key", "Value")
    },
    f"{_SMT}.ValueToKey": f"{_FIELDS}:ValueToKey",
    f"{_SMT}.TimestampRouter": f"{_ROUTERS}:TimestampRouter",
    f"{_SMT}.RegexRouter": f"{_ROUTERS}:RegexRouter",
    f"{_SMT}.Filter": f"{_FILTER}:Filter",
}
PREDICATE_BUILTINS = {
    f"{_SMT}.predicates.{name}": f"{_FILTER}:{name}"
    for name in ("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone")
}


@dataclass(frozen=True)
class PluginDesc:
    class_name: str
    cls: type[Connector]

    @property
    def kind(self) -> str:
        return self.cls.kind

    @property
    def version(self) -> str:
        return self.cls().version()

    def info(self) -> dict[str, str]:
        """PluginInfo, as GET /connector-plugins lists it."""
        return {"class": self.class_name, "type": self.kind, "version": self.version}


@dataclass(frozen=True)
class TransformDesc:
    """A transformation or predicate plugin."""

    class_name: str
    cls: type[Transformation] | type[Predicate]
    kind: str  # "transformation" or "predicate" (PluginType)

    def info(self) -> dict[str, str]:
        return {"class": self.class_name, "type": self.kind, "version": self.cls().version()}


class UnknownPlugin(Exception):
    pass


def _load(target: str, group: str) -> type:
    loaded: type = metadata.EntryPoint(name="", value=target, group=group).load()
    return loaded


def _classes(
    group: str, builtins: dict[str, str], kind: str, what: str, fits: Callable[[Any], bool]
) -> dict[str, Any]:
    """The classes named in `group` (and the built-ins), by name; one that cannot be
    loaded, or is not a `what`, is logged and left out, as Connect's plugin scanner skips
    a broken jar."""
    targets = dict(builtins)
    for entry in metadata.entry_points(group=group):
        targets[entry.name] = entry.value
    found: dict[str, Any] = {}
    for name, target in targets.items():
        try:
            cls = _load(target, group)
        except Exception as error:
            log.warning("%s plugin %s (%s) cannot be loaded: %s", kind, name, target, error)
            continue
        if not (isinstance(cls, type) and fits(cls)):
            log.warning("%s plugin %s (%s) is not a %s", kind, name, target, what)
            continue
        found[name] = cls
    return dict(sorted(found.items()))


def discover_transforms(kind: str) -> dict[str, TransformDesc]:
    """Every transformation (kind "transformation") or predicate plugin, by class name."""
    group, builtins, base = (
        (TRANSFORMS_GROUP, TRANSFORM_BUILTINS, Transformation)
        if kind == "transformation"
        else (PREDICATES_GROUP, PREDICATE_BUILTINS, Predicate)
    )
    found = _classes(group, builtins, kind, base.__name__, lambda cls: issubclass(cls, base))
    return {name: TransformDesc(name, cls, kind) for name, cls in found.items()}


def discover() -> dict[str, PluginDesc]:
    """Every connector plugin, by class name."""
    found = _classes(
        GROUP, BUILTINS, "connector", "SourceConnector or SinkConnector",
        lambda cls: issubclass(cls, Connector) and cls.kind in ("source", "sink"),
    )  # fmt: skip
    return {name: PluginDesc(name, cls) for name, cls in found.items()}


class Plugins:
    def __init__(
        self,
        plugins: dict[str, PluginDesc] | None = None,
        transformations: dict[str, TransformDesc] | None = None,
        predicates: dict[str, TransformDesc] | None = None,
    ) -> None:
        self.plugins = discover() if plugins is None else plugins
        self.transformations = (
            discover_transforms("transformation") if transformations is None else transformations
        )
        self.predicates = discover_transforms("predicate") if predicates is None else predicates

    def find_transformation(self, name: str) -> TransformDesc:
        return _find_named(self.transformations, name, "Transformation")

    def find_predicate(self, name: str) -> TransformDesc:
        return _find_named(self.predicates, name, "Predicate")

    def find(self, name: str) -> PluginDesc:
        name = name.strip()
        if name in self.plugins:
            return self.plugins[name]
        for class_name, desc in self.plugins.items():
            simple = class_name.rsplit(".", 1)[-1]
            if name in (simple, simple.removesuffix("Connector")):
                return desc
        available = ", ".join(self.plugins)
        raise UnknownPlugin(
            f"Failed to find any class that implements Connector and which name matches {name}, "
            f"available connectors are: {available}"
        )


def _find_named(found: dict[str, TransformDesc], name: str, kind: str) -> TransformDesc:
    name = name.strip()
    if name in found:
        return found[name]
    for class_name, desc in found.items():
        if name == class_name.rsplit(".", 1)[-1]:
            return desc
    raise UnknownPlugin(f"Class {name} could not be found: no {kind} plugin of that name")
