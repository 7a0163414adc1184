"""Kafka Streams in Python over kafkatui's Backend: a DSL (`StreamsBuilder`) and the
Processor API compile to a `Topology` of named nodes (`describe()` in Kafka's text);
`TopologyTestDriver` runs one on a manual clock; `KafkaStreams` runs it on a cluster,
with tasks per input partition and SQLite state stores behind changelog topics."""

from kafkatui.ecosystem.streams.builder import StreamsBuilder
from kafkatui.ecosystem.streams.driver import TopologyTestDriver
from kafkatui.ecosystem.streams.joins import Joined, StreamJoined
from kafkatui.ecosystem.streams.processor import STREAM_TIME, WALL_CLOCK_TIME, Processor, PunctuationType
from kafkatui.ecosystem.streams.records import Record, TimeWindow, Windowed
from kafkatui.ecosystem.streams.registry_serdes import AvroSerde, JsonSchemaSerde, ProtobufSerde
from kafkatui.ecosystem.streams.serdes import Serde, Serdes, SerializationError
from kafkatui.ecosystem.streams.stores import Stores
from kafkatui.ecosystem.streams.task import StreamsError
from kafkatui.ecosystem.streams.topology import Topology, TopologyError
from kafkatui.ecosystem.streams.windows import (
    JoinWindows,
    SessionWindows,
    SlidingWindows,
    Suppressed,
    TimeWindows,
    unbounded,
)

__all__ = [
    "STREAM_TIME",
    "WALL_CLOCK_TIME",
    "AvroSerde",
    "JoinWindows",
    "Joined",
    "JsonSchemaSerde",
    "Processor",
    "ProtobufSerde",
    "PunctuationType",
    "Record",
    "Serde",
    "Serdes",
    "SerializationError",
    "SessionWindows",
    "SlidingWindows",
    "Stores",
    "StreamJoined",
    "StreamsBuilder",
    "StreamsError",
    "Suppressed",
    "TimeWindow",
    "TimeWindows",
    "Topology",
    "TopologyError",
    "TopologyTestDriver",
    "Windowed",
    "unbounded",
]
