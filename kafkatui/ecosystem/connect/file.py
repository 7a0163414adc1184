"""Kafka's own example connectors (connect/file): FileStreamSource reads a text file's
new lines into a topic, one record per line, its offsets `{"filename": f}` →
`{"position": n}` (the byte after the last line sent) so a restarted task goes on where
the committed offset says; FileStreamSink appends each record's value as a line."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any, BinaryIO, TextIO

from kafkatui.ecosystem.connect.api import (
    SUPPORTED,
    UNSUPPORTED,
    ConnectException,
    Props,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)
from kafkatui.ecosystem.connect.config import (
    ConfigDef,
    ConfigException,
    ConfigType,
    Importance,
    at_least,
    non_empty_string,
)
from kafkatui.ecosystem.connect.data import STRING_SCHEMA

VERSION = "3.9.0"  # the Apache Kafka release whose connectors these follow
FILE_CONFIG = "file"
TOPIC_CONFIG = "topic"
TOPICS_CONFIG = "topics"
TASK_BATCH_SIZE_CONFIG = "batch.size"
DEFAULT_TASK_BATCH_SIZE = 2000
FILENAME_FIELD = "filename"
POSITION_FIELD = "position"
WAIT_S = 1.0  # FileStreamSourceTask waits a second for more data (or for the file)


class FileStreamSourceConnector(SourceConnector):
    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            # Kafka's default is null (read standard input); a kafkatui worker runs inside
            # the workbench or a served process, whose standard input is no data stream, so
            # here `file` is required, and the definition says so (required, no default)
            # as the validation does.
            .define(FILE_CONFIG, ConfigType.STRING, importance=Importance.HIGH,
                    documentation="Source filename. kafkatui's worker has no standard input to read, "
                    "so it must be set.")
            .define(TOPIC_CONFIG, ConfigType.LIST, importance=Importance.HIGH,
                    documentation="The topic to publish data to", validators=[_single_topic])
            .define(TASK_BATCH_SIZE_CONFIG, ConfigType.INT, DEFAULT_TASK_BATCH_SIZE, Importance.LOW,
                    "The maximum number of records the source task can read from the file each time it is "
                    "polled", validators=[at_least(1)])
        )  # fmt: skip

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        # Absent, the ConfigDef's required check says so; blank is no file either.
        if FILE_CONFIG in props and not str(props[FILE_CONFIG] or "").strip():
            value = props[FILE_CONFIG]
            return {
                FILE_CONFIG: [f"Invalid value {value} for configuration {FILE_CONFIG}: name the file to read"]
            }
        return {}

    def exactly_once_support(self, props: Mapping[str, str]) -> str:
        # Kafka's: a real file (appended to only) resumes at the committed position;
        # standard input, which it may read instead, cannot.
        return SUPPORTED if str(props.get(FILE_CONFIG) or "").strip() else UNSUPPORTED

    def start(self, props: Props) -> None:
        self.props = dict(props)
        self.values = self.config_def().parse(props)

    def task_class(self) -> type[Task]:
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        # One file is one stream: one task, whatever tasks.max says (as Kafka's).
        return [
            {
                FILE_CONFIG: self.values[FILE_CONFIG],
                TOPIC_CONFIG: self.values[TOPIC_CONFIG][0],
                TASK_BATCH_SIZE_CONFIG: str(self.values[TASK_BATCH_SIZE_CONFIG]),
            }
        ]


def _single_topic(name: str, value: Any) -> None:
    if value is not None and len([t for t in value if t]) != 1:
        raise ConfigException(
            "'topic' in FileStreamSourceConnector configuration requires definition of a single topic"
        )
    if value:
        non_empty_string(name, value[0])


class FileStreamSourceTask(SourceTask):
    def version(self) -> str:
        return VERSION

    def start(self, props: Props) -> None:
        self.filename = props[FILE_CONFIG]
        self.topic = props[TOPIC_CONFIG]
        self.batch_size = int(props.get(TASK_BATCH_SIZE_CONFIG, DEFAULT_TASK_BATCH_SIZE))
        self.stream: BinaryIO | None = None
        self.position = 0
        self.buffer = b""

    def _open(self) -> bool:
        """Open the file at the committed position; False while it does not exist (Kafka
        waits for it to be created). Anything else (a directory, no permission) fails."""
        try:
            stream = open(self.filename, "rb")  # noqa: SIM115 — held open across polls
        except FileNotFoundError:
            return False
        except OSError as error:
            raise ConnectException(
                f"Couldn't open file {self.filename}: {error.strerror or error}"
            ) from error
        offset = self.context.offset_storage_reader.offset({FILENAME_FIELD: self.filename})
        if offset is not None:
            position = offset.get(POSITION_FIELD)
            if not isinstance(position, int):
                raise ConnectException("Offset position is the incorrect type")
            stream.seek(position)
            self.position = position
        self.stream = stream
        return True

    async def poll(self) -> list[SourceRecord] | None:
        if self.stream is None and not self._open():
            await asyncio.sleep(WAIT_S)
            return None
        assert self.stream is not None
        records: list[SourceRecord] = []
        partition = {FILENAME_FIELD: self.filename}
        while len(records) < self.batch_size:
            if b"\n" not in self.buffer:
                chunk = self.stream.read(65536)
                if not chunk:
                    break
                self.buffer += chunk
                continue
            # Every whole line in the buffer at once (slicing per line would copy the
            # buffer once a line), up to batch.size.
            *lines, rest = self.buffer.split(b"\n", self.batch_size - len(records))
            self.buffer = rest
            position, topic, append = self.position, self.topic, records.append
            for line in lines:
                position += len(line) + 1
                text = line.removesuffix(b"\r").decode(errors="replace")
                append(SourceRecord(partition, {POSITION_FIELD: position}, topic, text, STRING_SCHEMA))
            self.position = position
        if not records:
            await asyncio.sleep(WAIT_S)
            return None
        return records

    def stop(self) -> None:
        if getattr(self, "stream", None) is not None:
            self.stream.close()
            self.stream = None


class FileStreamSinkConnector(SinkConnector):
    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        # Kafka's default is null (standard output): required here, as for the source.
        return ConfigDef().define(
            FILE_CONFIG, ConfigType.STRING, importance=Importance.HIGH,
            documentation="Destination filename. kafkatui's worker has no standard output to write to, "
            "so it must be set.",
        )  # fmt: skip

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        if FILE_CONFIG in props and not str(props[FILE_CONFIG] or "").strip():
            value = props[FILE_CONFIG]
            return {
                FILE_CONFIG: [
                    f"Invalid value {value} for configuration {FILE_CONFIG}: name the file to write"
                ]
            }
        return {}

    def start(self, props: Props) -> None:
        self.values = self.config_def().parse(props)

    def task_class(self) -> type[Task]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [{FILE_CONFIG: self.values[FILE_CONFIG]} for _ in range(max_tasks)]


class FileStreamSinkTask(SinkTask):
    def version(self) -> str:
        return VERSION

    def start(self, props: Props) -> None:
        self.filename = props[FILE_CONFIG]
        try:
            self.stream: TextIO = open(self.filename, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise ConnectException(
                f"Couldn't find or create file '{self.filename}' for FileStreamSinkTask: "
                f"{error.strerror or error}"
            ) from error

    def put(self, records: list[SinkRecord]) -> None:
        # Kafka's PrintStream over an unbuffered file stream: each put reaches the file
        # at once; flush (before the worker commits the offsets) makes it durable.
        values = [r.value for r in records]
        if all(v.__class__ is str for v in values):  # a topic of text: no per-record conversion
            values.append("")
            self.stream.write("\n".join(values))
        else:
            self.stream.write("".join(f"{_text(v)}\n" for v in values))
        self.stream.flush()

    def flush(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())

    def stop(self) -> None:
        if getattr(self, "stream", None) is not None:
            self.stream.close()


def _text(value: Any) -> str:
    """What Java's println(Object) would print for the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)
