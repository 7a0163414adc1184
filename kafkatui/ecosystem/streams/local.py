"""The applications this process knows from inside: the bundled examples, buildable on
another input topic, and the `KafkaStreams` instances started here (by the workbench's
Streams panel, or `kafkatui streams run`). From outside (admin.py) an application is its
group and internal topics; only an instance running here has a topology to describe,
records processed to count and stores restored to report."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from kafkatui.ecosystem.streams.app_module import config_of, load_module
from kafkatui.ecosystem.streams.builder import StreamsBuilder
from kafkatui.ecosystem.streams.kstream import KStream
from kafkatui.ecosystem.streams.ktable import GlobalKTable, KTable
from kafkatui.ecosystem.streams.runtime import KafkaStreams
from kafkatui.ecosystem.streams.topology import Topology


@dataclass(frozen=True)
class Example:
    """A bundled application: its module, and the topic its first stream reads."""

    name: str
    module: str
    description: str
    input_topic: str

    def load(self) -> ModuleType:
        return load_module(self.module)

    @property
    def application_id(self) -> str:
        return str(config_of(self.load()).get("application.id", self.name))


_PACKAGE = "kafkatui.ecosystem.streams.examples"
EXAMPLES: tuple[Example, ...] = (
    Example(
        "word_count", f"{_PACKAGE}.word_count", "count of each word of text lines", "streams-plaintext-input"
    ),
    Example("sales", f"{_PACKAGE}.sales", "average price per client of JSON sales", "sales"),
    Example("enrichment", f"{_PACKAGE}.enrichment", "sales joined with the clients table", "sales"),
    Example("clicks", f"{_PACKAGE}.clicks", "clicks per user per minute, final counts", "clicks"),
)


def example(name: str) -> Example:
    found = next((e for e in EXAMPLES if e.name == name), None)
    if found is None:
        raise KeyError(f"no bundled example {name!r} (examples: {', '.join(e.name for e in EXAMPLES)})")
    return found


class _Renaming(StreamsBuilder):
    """A builder that reads `renames[topic]` where the module says `topic`, so an example
    written for `sales` runs on the learner's `orders` with its node names unchanged."""

    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self._renames = renames

    def stream(self, *topics: str, **serdes: Any) -> KStream:
        return super().stream(*(self._renames.get(t, t) for t in topics), **serdes)

    def table(self, topic: str, **options: Any) -> KTable:
        return super().table(self._renames.get(topic, topic), **options)

    def global_table(self, topic: str, **options: Any) -> GlobalKTable:
        return super().global_table(self._renames.get(topic, topic), **options)


def build_example(name: str, input_topic: str | None = None) -> tuple[Topology, dict[str, Any]]:
    """An example's topology (reading `input_topic` instead of its own, if given) and
    its CONFIG."""
    chosen = example(name)
    module = chosen.load()
    renames = {chosen.input_topic: input_topic} if input_topic else {}
    builder = _Renaming(renames)
    made = module.topology(builder)
    return (made if isinstance(made, Topology) else builder.build()), config_of(module)


# application.id -> the newest instance started in this process under it
_RUNNING: dict[str, KafkaStreams] = {}


def register(streams: KafkaStreams) -> None:
    """Make an instance known here (its topology described, its metrics read)."""
    _RUNNING[streams.config.application_id] = streams


def local_instance(application_id: str) -> KafkaStreams | None:
    return _RUNNING.get(application_id)


def local_instances() -> dict[str, KafkaStreams]:
    return dict(_RUNNING)


def forget(streams: KafkaStreams) -> None:
    if _RUNNING.get(streams.config.application_id) is streams:
        del _RUNNING[streams.config.application_id]
