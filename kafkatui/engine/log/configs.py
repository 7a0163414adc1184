"""Kafka's topic-level configs: their types, defaults and validators, and a topic's overrides.

Models ``TopicConfig``/``LogConfig`` and the parts of ``ConfigDef`` they rely on: each value is
parsed and validated as Kafka does it (same rules, same ``ConfigException`` wording), and is shown
the way ``DescribeConfigs`` shows it (Java's ``toString`` of the parsed value).

The rules are those of Kafka 3.9, the last 3.x release. Where Kafka 4.0 differs it is noted next
to the config; the two configs Kafka 4.0 removed (``message.format.version`` and
``message.timestamp.difference.max.ms``, deprecated since 3.0/3.6) are left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kafkatui.common.admin import ConfigEntry, ConfigSource, ConfigType
from kafkatui.common.errors import ErrorCode, KafkaError


def _invalid(name: str, value: object, reason: str) -> KafkaError:
    # Kafka's ConfigException(name, value, message) wording; brokers return it as INVALID_CONFIG.
    return KafkaError(
        ErrorCode.INVALID_CONFIG,
        f"Invalid value {_java_str(value)} for configuration {name}: {reason}",
    )


def _java_double(x: float) -> str:
    """Java's ``Double.toString``: plain notation in [1e-3, 1e7), else ``d.dddE<n>``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)  # Python also prints these in plain notation, with the shortest digits
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits))
    power = len(text) + int(exponent) - 1
    text = text.rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def _java_str(value: object) -> str:
    """Java's ``toString`` of a parsed config value, as Kafka's messages print it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, list):
        return "[" + ", ".join(_java_str(item) for item in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Range:
    """``ConfigDef.Range``: a number within [min, max]; ``also`` is one extra allowed value."""

    min: int | None = None
    max: int | None = None
    also: int | None = None  # only for gzip's "-1 = library default" level

    def problem(self, value: float) -> tuple[object, str] | None:
        """The offending value and Kafka's reason if ``value`` is out of range, else None."""
        too_low = self.min is not None and value < self.min
        too_high = self.max is not None and value > self.max
        if self.also is not None:
            if (too_low or too_high) and value != self.also:
                return (
                    value,
                    f"Value must be between {self.min} and {self.max} or equal to {self.also}",
                )
        elif too_low:
            return value, f"Value must be at least {self.min}"
        elif too_high:
            return value, f"Value must be no more than {self.max}"
        return None

    def __str__(self) -> str:
        # Kafka's "Valid Values" text, e.g. "[1,...]" or "[1,...,9] or -1".
        bounds = [str(b) for b in (self.min, "...", self.max) if b is not None]
        return f"[{','.join(bounds)}]" + (f" or {self.also}" if self.also is not None else "")


@dataclass(frozen=True)
class ValidString:
    """``ConfigDef.ValidString``: one of a fixed set of strings (case-sensitive, as in Kafka)."""

    allowed: tuple[str, ...]

    def problem(self, value: str) -> tuple[object, str] | None:
        """The value and Kafka's reason if it is not one of the allowed strings, else None."""
        if value in self.allowed:
            return None
        return value, "String must be one of: " + ", ".join(self.allowed)

    def __str__(self) -> str:
        return "[" + ", ".join(self.allowed) + "]"


@dataclass(frozen=True)
class ValidList(ValidString):
    """``ConfigDef.ValidList``: a list whose every item is one of a fixed set of strings."""

    def problem(self, value: list[str]) -> tuple[object, str] | None:  # type: ignore[override]
        for item in value:  # Kafka checks item by item, so it reports the first one not allowed
            if (problem := super().problem(item)) is not None:
                return problem
        return None


@dataclass(frozen=True)
class ThrottledReplicaList:
    """``ThrottledReplicaListValidator``: ``*`` or a list of ``partitionId:brokerId`` pairs."""

    def problem(self, value: list[str]) -> tuple[object, str] | None:
        items = [item.strip() for item in value]
        if all(re.fullmatch(r"([0-9]+:[0-9]+)?", item) for item in items) or "".join(items) == "*":
            return None
        return value, (
            "must be the literal '*' or a list of replicas in the following format: "
            "[partitionId]:[brokerId],[partitionId]:[brokerId],..."
        )

    def __str__(self) -> str:
        return "[partitionId]:[brokerId],[partitionId]:[brokerId],..."


Validator = Range | ValidString | ValidList | ThrottledReplicaList

_JAVA_WHITESPACE = "".join(map(chr, range(33)))  # what Java's String.trim() removes
_LIST_SEPARATOR = re.compile(r"\s*,\s*", re.ASCII)
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")  # Long.parseLong's syntax (ASCII digits only)
# Double.parseDouble's syntax, except hexadecimal floats.
_DOUBLE_RE = re.compile(r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)")
_INTEGER_BITS = {ConfigType.SHORT: 16, ConfigType.INT: 32, ConfigType.LONG: 64}


@dataclass(frozen=True)
class ConfigDef:
    """One entry of Kafka's ``ConfigDef``: a config's name, type, default, doc and validator."""

    name: str
    type: ConfigType
    default: str | None  # as DescribeConfigs prints it; None if Kafka's default is null
    doc: str
    validator: Validator | None = None

    def parse(self, raw: str) -> object:
        """Parse and validate ``raw`` as ``ConfigDef.parseValue`` does; raise INVALID_CONFIG."""
        value = self._parse_type(raw)
        problem = None if self.validator is None else self.validator.problem(value)
        if problem is not None:
            bad_value, reason = problem
            # ThrottledReplicaListValidator puts the config name in front of its reason.
            prefix = f"{self.name} " if isinstance(self.validator, ThrottledReplicaList) else ""
            raise _invalid(self.name, bad_value, prefix + reason)
        return value

    def _parse_type(self, raw: str) -> Any:
        """``ConfigDef.parseType``: a trimmed string to this config's Python type."""
        text = raw.strip(_JAVA_WHITESPACE)
        kind = self.type
        if kind is ConfigType.BOOLEAN:
            if text.lower() not in ("true", "false"):
                raise _invalid(self.name, raw, "Expected value to be either true or false")
            return text.lower() == "true"
        if kind in _INTEGER_BITS:
            limit = 1 << (_INTEGER_BITS[kind] - 1)
            if not _INTEGER_RE.fullmatch(text) or not -limit <= int(text) < limit:
                raise _invalid(self.name, raw, f"Not a number of type {kind.name}")
            return int(text)
        if kind is ConfigType.DOUBLE:
            if not _DOUBLE_RE.fullmatch(text):
                raise _invalid(self.name, raw, f"Not a number of type {kind.name}")
            return float(text.rstrip("fFdD"))
        if kind is ConfigType.LIST:
            return _LIST_SEPARATOR.split(text) if text else []
        return text  # STRING, PASSWORD and CLASS (a class name: there is no JVM to load it into)

    def to_string(self, value: object) -> str:
        """``ConfigDef.convertToString``: how DescribeConfigs shows a parsed value."""
        if isinstance(value, list):
            return ",".join(map(str, value))
        return _java_str(value)

    def normalize(self, raw: str) -> str:
        """``raw`` as DescribeConfigs shows it: ``"compact, delete"`` -> ``"compact,delete"``."""
        return self.to_string(self.parse(raw))

    @property
    def default_value(self) -> object:
        """The default, parsed (None if Kafka's default is null)."""
        return None if self.default is None else self.parse(self.default)


_BOOLEAN, _STRING, _INT, _LONG, _DOUBLE, _LIST = (
    ConfigType.BOOLEAN, ConfigType.STRING, ConfigType.INT, ConfigType.LONG, ConfigType.DOUBLE,
    ConfigType.LIST,
)  # fmt: skip
_MAX_LONG = str(2**63 - 1)


def _define(
    name: str, type: ConfigType, default: str | None, validator: Validator | None, doc: str
) -> ConfigDef:
    # Same argument order as Kafka's ConfigDef.define(name, type, default, validator, ..., doc).
    return ConfigDef(name, type, default, doc, validator)


# Kafka 3.9's LogConfig definitions. A topic inherits its broker's default when it has no override;
# these defaults are the broker's own defaults (e.g. max.message.bytes from message.max.bytes).
# fmt: off
_DEFINITIONS = [
    _define("cleanup.policy", _LIST, "delete", ValidList(("compact", "delete")),
            "Retention policy for old segments: delete them, compact them by key, or both."),
    _define("compression.gzip.level", _INT, "-1", Range(1, 9, also=-1),
            "Compression level used when compression.type is gzip (-1: the codec's default)."),
    _define("compression.lz4.level", _INT, "9", Range(1, 17),
            "Compression level used when compression.type is lz4."),
    _define("compression.type", _STRING, "producer",
            ValidString(("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
            "Final compression of the topic's data; 'producer' keeps the producer's codec."),
    _define("compression.zstd.level", _INT, "3", Range(-131072, 22),
            "Compression level used when compression.type is zstd."),
    _define("delete.retention.ms", _LONG, "86400000", Range(0),
            "How long tombstones are kept in a compacted topic."),
    _define("file.delete.delay.ms", _LONG, "60000", Range(0),
            "How long to wait before deleting a file from the filesystem."),
    _define("flush.messages", _LONG, _MAX_LONG, Range(1),
            "Number of messages written before the log is forced to disk (fsync)."),
    _define("flush.ms", _LONG, _MAX_LONG, Range(0),
            "Time after which the log is forced to disk (fsync)."),
    _define("follower.replication.throttled.replicas", _LIST, "", ThrottledReplicaList(),
            "Replicas whose replication is throttled on the follower side, or '*' for all."),
    _define("index.interval.bytes", _INT, "4096", Range(0),
            "How many bytes of messages lie between two entries of the offset index."),
    _define("leader.replication.throttled.replicas", _LIST, "", ThrottledReplicaList(),
            "Replicas whose replication is throttled on the leader side, or '*' for all."),
    _define("local.retention.bytes", _LONG, "-2", Range(-2),
            "Largest local log of a tiered partition (-2: use retention.bytes)."),
    _define("local.retention.ms", _LONG, "-2", Range(-2),
            "How long a tiered partition keeps segments locally (-2: use retention.ms)."),
    _define("max.compaction.lag.ms", _LONG, _MAX_LONG, Range(1),
            "Longest time a message may stay ineligible for compaction."),
    _define("max.message.bytes", _INT, "1048588", Range(0),
            "Largest record batch the topic accepts, in bytes."),
    _define("message.downconversion.enable", _BOOLEAN, "true", None,
            "Whether to down-convert messages for old consumers (a no-op from Kafka 4.0)."),
    # Kafka 4.0 lowers this default to 3600000 (one hour).
    _define("message.timestamp.after.max.ms", _LONG, _MAX_LONG, Range(0),
            "How far a record's timestamp may be ahead of the broker's clock."),
    _define("message.timestamp.before.max.ms", _LONG, _MAX_LONG, Range(0),
            "How far a record's timestamp may be behind the broker's clock."),
    _define("message.timestamp.type", _STRING, "CreateTime",
            ValidString(("CreateTime", "LogAppendTime")),
            "Whether record timestamps are the producer's or the broker's append time."),
    _define("min.cleanable.dirty.ratio", _DOUBLE, "0.5", Range(0, 1),
            "Share of the log that must be uncompacted before the cleaner compacts it."),
    _define("min.compaction.lag.ms", _LONG, "0", Range(0),
            "Shortest time a message stays uncompacted."),
    _define("min.insync.replicas", _INT, "1", Range(1),
            "Fewest in-sync replicas that must have a write for acks=all to succeed."),
    _define("preallocate", _BOOLEAN, "false", None,
            "Whether to preallocate a new segment's file on disk."),
    _define("remote.log.copy.disable", _BOOLEAN, "false", None,
            "Whether to stop copying segments to tiered storage (tiered data turns read-only)."),
    _define("remote.log.delete.on.disable", _BOOLEAN, "false", None,
            "Whether to delete tiered data when tiered storage is turned off for the topic."),
    _define("remote.storage.enable", _BOOLEAN, "false", None,
            "Whether the topic uses tiered storage."),
    # No validator: Kafka accepts any long here, and any negative value means no limit.
    _define("retention.bytes", _LONG, "-1", None,
            "Largest size a partition may grow to before old segments are deleted (-1: none)."),
    _define("retention.ms", _LONG, "604800000", Range(-1),
            "How long a message is kept before its segment may be deleted (-1: forever)."),
    # At least LegacyRecord.RECORD_OVERHEAD_V0 (14) in Kafka 3.x; Kafka 4.0 raised it to 1 MiB.
    _define("segment.bytes", _INT, "1073741824", Range(14),
            "Size of one log segment file; the log rolls to a new segment when it is full."),
    _define("segment.index.bytes", _INT, "10485760", Range(4),
            "Size of the offset index preallocated for each segment."),
    _define("segment.jitter.ms", _LONG, "0", Range(0),
            "Largest random jitter subtracted from segment.ms to spread out segment rolls."),
    _define("segment.ms", _LONG, "604800000", Range(1),
            "Time after which the log rolls to a new segment even if this one is not full."),
    _define("unclean.leader.election.enable", _BOOLEAN, "false", None,
            "Whether a replica outside the ISR may become leader as a last resort, losing data."),
]
# fmt: on

TOPIC_CONFIGS: dict[str, ConfigDef] = {definition.name: definition for definition in _DEFINITIONS}


def _definition(name: str) -> ConfigDef:
    try:
        return TOPIC_CONFIGS[name]
    except KeyError:
        # LogConfig.validateNames' message.
        raise KafkaError(ErrorCode.INVALID_CONFIG, f"Unknown topic config name: {name}") from None


def validate_topic_configs(configs: Mapping[str, str | None]) -> dict[str, str | None]:
    """Check topic config overrides as ``LogConfig.validate`` does and normalize their values.

    Returns the overrides as DescribeConfigs would show them (e.g. ``"compact, delete"`` ->
    ``"compact,delete"``, ``"TRUE"`` -> ``"true"``). A None value means "delete this override" and
    is passed through. Raises ``KafkaError(INVALID_CONFIG)`` naming the offending key.
    """
    for name in configs:  # Kafka checks every name before any value.
        _definition(name)
    normalized = {
        name: None if raw is None else TOPIC_CONFIGS[name].normalize(str(raw))
        for name, raw in configs.items()
    }

    # LogConfig.validateValues: the one rule that relates two configs, checked over the defaults.
    def effective(name: str) -> int:
        return int(normalized.get(name) or TOPIC_CONFIGS[name].default or 0)

    min_lag, max_lag = effective("min.compaction.lag.ms"), effective("max.compaction.lag.ms")
    if min_lag > max_lag:
        raise KafkaError(
            ErrorCode.INVALID_CONFIG,
            f"conflict topic config setting min.compaction.lag.ms ({min_lag}) > "
            f"max.compaction.lag.ms ({max_lag})",
        )
    return normalized


class TopicConfig:
    """The effective configuration of one topic: its overrides over Kafka's defaults."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        checked = validate_topic_configs(overrides or {})
        # Read-only by convention: use with_changes() to derive a changed configuration.
        self.overrides: dict[str, str] = {k: v for k, v in checked.items() if v is not None}
        self._values: dict[str, Any] = {}
        for name, definition in TOPIC_CONFIGS.items():
            raw = self.overrides.get(name, definition.default)
            self._values[name] = None if raw is None else definition.parse(raw)

    def get(self, name: str) -> object:
        """The typed value of a config: the topic's override, else Kafka's default."""
        _definition(name)
        value = self._values[name]
        return list(value) if isinstance(value, list) else value  # a copy: the config is immutable

    def entries(self) -> list[ConfigEntry]:
        """Every topic config as DescribeConfigs lists it, sorted by name."""
        result = []
        for name in sorted(TOPIC_CONFIGS):
            definition = TOPIC_CONFIGS[name]
            overridden = name in self.overrides
            sensitive = definition.type is ConfigType.PASSWORD
            value = self.overrides[name] if overridden else definition.default
            source = ConfigSource.DYNAMIC_TOPIC_CONFIG if overridden else ConfigSource.DEFAULT_CONFIG
            result.append(
                ConfigEntry(
                    name=name,
                    value=None if sensitive else value,
                    source=source,
                    is_default=not overridden,
                    read_only=False,  # every topic config can be altered
                    sensitive=sensitive,
                    type=definition.type,
                    doc=definition.doc,
                )
            )
        return result

    def with_changes(self, changes: Mapping[str, str | None]) -> TopicConfig:
        """A new configuration with ``changes`` applied; a None value removes that override."""
        merged: dict[str, str] = dict(self.overrides)
        for name, value in validate_topic_configs(changes).items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        return TopicConfig(merged)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TopicConfig) and self.overrides == other.overrides

    def __hash__(self) -> int:
        return hash(frozenset(self.overrides.items()))

    def __repr__(self) -> str:
        return f"TopicConfig({self.overrides!r})"

    # Typed shortcuts for the configs the engine consults on its hot paths.

    @property
    def max_message_bytes(self) -> int:
        """max.message.bytes: the largest record batch the topic accepts."""
        return self._values["max.message.bytes"]

    @property
    def min_insync_replicas(self) -> int:
        """min.insync.replicas: in-sync replicas an acks=all write needs."""
        return self._values["min.insync.replicas"]

    @property
    def message_timestamp_type(self) -> str:
        """message.timestamp.type: ``CreateTime`` or ``LogAppendTime``."""
        return self._values["message.timestamp.type"]

    @property
    def message_timestamp_before_max_ms(self) -> int:
        """message.timestamp.before.max.ms: how far a CreateTime timestamp may lag the broker."""
        return self._values["message.timestamp.before.max.ms"]

    @property
    def message_timestamp_after_max_ms(self) -> int:
        """message.timestamp.after.max.ms: how far a CreateTime timestamp may lead the broker."""
        return self._values["message.timestamp.after.max.ms"]

    @property
    def cleanup_policy(self) -> list[str]:
        """cleanup.policy: some of ``delete`` and ``compact``."""
        return list(self._values["cleanup.policy"])

    @property
    def retention_ms(self) -> int:
        """retention.ms: how long messages are kept (-1: forever)."""
        return self._values["retention.ms"]

    @property
    def retention_bytes(self) -> int:
        """retention.bytes: the size limit of a partition (negative: none)."""
        return self._values["retention.bytes"]

    @property
    def segment_bytes(self) -> int:
        """segment.bytes: the size at which the log rolls to a new segment."""
        return self._values["segment.bytes"]

    @property
    def segment_ms(self) -> int:
        """segment.ms: the age (by record timestamps) at which the log rolls anyway."""
        return self._values["segment.ms"]

    @property
    def min_cleanable_dirty_ratio(self) -> float:
        """min.cleanable.dirty.ratio: how dirty a compacted log gets before it is cleaned."""
        return self._values["min.cleanable.dirty.ratio"]

    @property
    def min_compaction_lag_ms(self) -> int:
        """min.compaction.lag.ms: how long a record stays uncompacted at least."""
        return self._values["min.compaction.lag.ms"]

    @property
    def delete_retention_ms(self) -> int:
        """delete.retention.ms: how long a tombstone stays after the cleaner first sees it."""
        return self._values["delete.retention.ms"]
