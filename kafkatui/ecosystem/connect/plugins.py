"""Finding connector plugins: every class named in the `kafkatui.connectors` entry-point
group of an installed distribution (kafkatui's own built-ins are registered there too, in
pyproject.toml), each under its Kafka-style class name. A config names a plugin as Connect
lets it (Plugins.connectorClass): by that full class name, by its simple name, or by the
simple name without "Connector" (`FileStreamSource`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata

from kafkatui.ecosystem.connect.api import Connector

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


class UnknownPlugin(Exception):
    pass


def _load(target: str) -> type[Connector]:
    return metadata.EntryPoint(name="", value=target, group=GROUP).load()


def discover() -> dict[str, PluginDesc]:
    """Every connector plugin, by class name (an entry point that cannot be loaded is
    logged and left out, as Connect's plugin scanner skips a broken jar)."""
    targets = dict(BUILTINS)
    for entry in metadata.entry_points(group=GROUP):
        targets[entry.name] = entry.value
    found: dict[str, PluginDesc] = {}
    for name, target in targets.items():
        try:
            cls = _load(target)
        except Exception as error:
            log.warning("connector plugin %s (%s) cannot be loaded: %s", name, target, error)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector) and cls.kind in ("source", "sink")):
            log.warning("connector plugin %s (%s) is not a SourceConnector or SinkConnector", name, target)
            continue
        found[name] = PluginDesc(name, cls)
    return dict(sorted(found.items()))


class Plugins:
    def __init__(self, plugins: dict[str, PluginDesc] | None = None) -> None:
        self.plugins = discover() if plugins is None else plugins

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
