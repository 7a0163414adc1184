"""Standalone mode (Kafka's ConnectStandalone and StandaloneHerder): one worker is its
own Connect cluster. Its connectors come from files given at start (Java properties or
JSON), their configs and statuses live in memory (MemoryConfigBackingStore,
MemoryStatusBackingStore: no connect-configs or connect-status topic), and source
offsets in a local file, `offset.storage.file.filename` (FileOffsetBackingStore), so a
restarted standalone worker resumes its sources where they stopped.

The stores are the distributed worker's (`storage.py`), over `MemoryLog`/`FileLog`
instead of a `KafkaLog`: a write is applied at once, as read back from a topic would be.
*Differs from Kafka:* the offsets file is JSON (`[key, value]` pairs, each the same JSON
text connect-offsets would hold), not a Java-serialized HashMap."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafkatui.common.clients import ConsumerRecord, TimestampType
from kafkatui.ecosystem.connect.converters import canonical
from kafkatui.ecosystem.connect.storage import dumps

OFFSETS_FILE_FORMAT = "kafkatui-connect-offsets-v1"


class MemoryLog:
    """KafkaLog's interface over memory: each write is applied at once, in order."""

    def __init__(self, topic: str, apply: Callable[[ConsumerRecord], None]) -> None:
        self.topic = topic
        self._apply = apply
        self._producer: Any = self  # "open" (the worker flushes open logs as it stops)
        self._offset = 0

    async def start(self) -> None:
        return None

    def _record(self, key: bytes, value: bytes | None) -> None:
        record = ConsumerRecord(
            self.topic,
            0,
            self._offset,
            int(time.time() * 1000),
            TimestampType.CREATE_TIME,
            key,
            value,
            (),
            -1,
        )
        self._offset += 1
        self._apply(record)

    async def send(self, key: str, value: Any, *, wait: bool = True) -> None:
        self._record(key.encode(), None if value is None else dumps(value))

    async def send_raw(self, key: bytes, value: bytes | None) -> None:
        self._record(key, value)

    async def flush(self) -> None:
        return None

    async def read_to_end(self) -> None:
        return None

    async def close(self) -> None:
        self._producer = None


class FileLog(MemoryLog):
    """The offsets, kept in memory and written to `path` on every flush (atomically: a
    worker killed mid-write leaves the previous file)."""

    def __init__(self, path: Path, apply: Callable[[ConsumerRecord], None]) -> None:
        super().__init__(str(path), apply)
        self.path = path
        self._data: dict[bytes, bytes | None] = {}

    async def start(self) -> None:
        if not self.path.exists():
            return
        try:
            saved = json.loads(self.path.read_text())
            pairs = saved["offsets"] if saved.get("format") == OFFSETS_FILE_FORMAT else None
        except (OSError, ValueError, AttributeError, KeyError) as error:
            raise StandaloneError(f"{self.path}: not an offsets file kafkatui wrote ({error})") from None
        if pairs is None:
            raise StandaloneError(f"{self.path}: not an offsets file kafkatui wrote")
        for key, value in pairs:
            self._keep(key.encode(), None if value is None else value.encode())

    def _keep(self, key: bytes, value: bytes | None) -> None:
        self._data[key] = value
        self._record(key, value)

    async def send_raw(self, key: bytes, value: bytes | None) -> None:
        self._keep(key, value)

    async def flush(self) -> None:
        pairs = [[k.decode(), None if v is None else v.decode()] for k, v in self._data.items()]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".tmp")
        partial.write_text(json.dumps({"format": OFFSETS_FILE_FORMAT, "offsets": pairs}))
        os.replace(partial, self.path)

    async def close(self) -> None:
        await self.flush()
        await super().close()


def use_local_storage(worker: Any, offsets_file: Path) -> None:
    """Put a worker's stores on memory and the offsets file (StandaloneHerder's)."""
    worker.configs.log = MemoryLog("config", worker.configs._apply)
    worker.configs.transactional_id = None  # one writer, no topic: nothing to fence
    worker.status.log = MemoryLog("status", worker.status._apply)
    worker.offsets.log = FileLog(offsets_file, worker.offsets._apply)


# --- the files connect-standalone.sh reads -------------------------------------------------


class StandaloneError(Exception):
    """A worker or connector file that cannot be used: one line naming file (and line)."""


@dataclass(frozen=True)
class Properties:
    """A Java properties file: its values, and the line each key was on."""

    path: Path
    values: dict[str, str]
    lines: dict[str, int]

    def where(self, key: str) -> str:
        return f"{self.path}:{self.lines[key]}" if key in self.lines else str(self.path)


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str, path: Path, line: int) -> str:
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        n = text[i + 1]
        if n == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise StandaloneError(f"{path}:{line}: Malformed \\uxxxx encoding.")
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(n, n))
        i += 2
    return "".join(out)


def _split(logical: str) -> tuple[str, str]:
    """Where java.util.Properties ends a key: the first unescaped '=', ':' or blank."""
    i = 0
    while i < len(logical):
        c = logical[i]
        if c == "\\":
            i += 2
            continue
        if c in "=: \t\f":
            break
        i += 1
    key, rest = logical[:i], logical[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def read_properties(path: Path) -> Properties:
    """java.util.Properties.load: comments (# !), continuation lines (a trailing odd
    backslash), `key=value`, `key: value` or `key value`, and its escapes."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StandaloneError(f"{path}: cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise StandaloneError(f"{path}: not UTF-8 text ({error.reason})") from None
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    physical = text.splitlines()
    i = 0
    while i < len(physical):
        number, line = i + 1, physical[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            line = line[:-1] + (physical[i].lstrip(" \t\f") if i < len(physical) else "")
            i += 1
        key, value = _split(line)
        if not key:
            raise StandaloneError(f"{path}:{number}: a value with no key before it: {line.strip()!r}")
        key = _unescape(key, path, number)
        values[key] = _unescape(value, path, number)
        lines[key] = number
    return Properties(path, values, lines)


def read_connector_file(path: Path) -> tuple[str, dict[str, str]]:
    """A connector file as ConnectStandalone reads it: JSON, either CreateConnectorRequest
    ({"name", "config"}) or a flat config, else Java properties; it must name the
    connector (`name`) and its class."""
    try:
        head = path.read_text(encoding="utf-8").lstrip()[:1]
    except (OSError, UnicodeDecodeError):
        head = ""
    if path.suffix.lower() == ".json" or head in ("{", "["):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise StandaloneError(f"{path}: cannot read it: {error.strerror or error}") from None
        except json.JSONDecodeError as error:
            raise StandaloneError(f"{path}:{error.lineno}: not valid JSON: {error.msg}") from None
        if isinstance(data, dict) and isinstance(data.get("config"), dict):
            config = {**data["config"], "name": data.get("name") or data["config"].get("name")}
        elif isinstance(data, dict):
            config = data
        else:
            raise StandaloneError(f'{path}: must hold {{"name": ..., "config": {{...}}}} or a flat config')
        props = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items() if v is not None}
        where = str(path)
    else:
        read = read_properties(path)
        props, where = read.values, str(path)
    name = props.get("name", "").strip()
    if not name:
        raise StandaloneError(f"{where}: Connector name configuration must be set and not empty (name=...)")
    if not props.get("connector.class", "").strip():
        raise StandaloneError(f"{where}: Connector config contains no connector type (connector.class=...)")
    return name, props


@dataclass(frozen=True)
class StandaloneConfig:
    """What connect-standalone.sh's worker.properties sets (StandaloneConfig), with
    Kafka's names and defaults."""

    offset_storage_file: Path
    offset_flush_interval_ms: int = 60_000
    key_converter: str | None = None
    value_converter: str | None = None
    bootstrap_servers: str | None = None
    host: str = "127.0.0.1"
    port: int = 8083
    task_shutdown_graceful_timeout_ms: int = 5_000


def _number(props: Properties, key: str, default: int, kind: str = "LONG") -> int:
    raw = props.values.get(key)
    if raw is None:
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise StandaloneError(
            f"{props.where(key)}: Invalid value {raw} for configuration {key}: Not a number of type {kind}"
        ) from None


def read_worker_config(path: Path) -> StandaloneConfig:
    props = read_properties(path)
    v = props.values
    offsets = v.get("offset.storage.file.filename", "").strip()
    if not offsets:
        raise StandaloneError(
            f'{path}: Missing required configuration "offset.storage.file.filename" '
            "which has no default value."
        )
    for key in ("key.converter", "value.converter"):
        if key in v and canonical(v[key].strip()) is None:
            raise StandaloneError(
                f"{props.where(key)}: Invalid value {v[key]} for configuration {key}: "
                f"Class {v[key]} could not be found."
            )
    host, port = (
        v.get("rest.host.name", "127.0.0.1").strip() or "127.0.0.1",
        _number(props, "rest.port", 8083, "INT"),
    )
    listeners = v.get("listeners", "").strip()
    if listeners:  # listeners=http://host:port wins over the deprecated rest.* (KIP-208)
        first = listeners.split(",")[0].strip()
        scheme, _, address = first.partition("://")
        where, _, raw_port = address.rpartition(":")
        if scheme.lower() != "http" or not raw_port.isdigit():
            raise StandaloneError(
                f"{props.where('listeners')}: Invalid value {listeners} for configuration listeners: "
                "expected http://host:port (kafkatui's REST API is plain HTTP)"
            )
        host, port = where or host, int(raw_port)
    return StandaloneConfig(
        offset_storage_file=Path(offsets).expanduser(),
        offset_flush_interval_ms=_number(props, "offset.flush.interval.ms", 60_000),
        key_converter=v.get("key.converter", "").strip() or None,
        value_converter=v.get("value.converter", "").strip() or None,
        bootstrap_servers=v.get("bootstrap.servers", "").strip() or None,
        host=host,
        port=port,
        task_shutdown_graceful_timeout_ms=_number(props, "task.shutdown.graceful.timeout.ms", 5_000),
    )
