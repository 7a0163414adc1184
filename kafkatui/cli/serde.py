"""Schemas in `kafkatui produce`: the format of each side of a record (its key, its
value), and the registry's serde (`ecosystem/serde`) applied to it.

`produce --value-format avro|json-schema|protobuf` takes values as JSON and sends them in
Confluent's wire format. The schema is a file (`--value-schema`, registered under the
subject name strategy's subject, or its id reused when the subject has it: Confluent's
`auto.register.schemas`) or a registered version (`--value-subject S --value-version
N|latest`: `use.latest.version`); the same for keys. Every value is serialized before
the first is sent (produce holds stdin until it ends), so one that does not fit sends
nothing. Reading them back: `cli/consume_decode.py`.

Which registry: `cli/registry.py`. The codecs and the registry client load only when a
command uses a schema.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kafkatui.cli.context import fail
from kafkatui.cli.produce_input import InputError, InputRecord
from kafkatui.common.errors import ErrorCode, KafkaError

if TYPE_CHECKING:
    from kafkatui.ecosystem.registry.schemas import ParsedSchema
    from kafkatui.ecosystem.serde.client import RegistryClient
    from kafkatui.ecosystem.serde.codecs import Serializer
    from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy


class WriteFormat(enum.StrEnum):
    raw = "raw"  # the bytes as given (no schema)
    avro = "avro"
    json_schema = "json-schema"
    protobuf = "protobuf"


class Strategy(enum.StrEnum):
    """Confluent's subject name strategies, as `--subject-name-strategy` spells them."""

    topic = "topic"
    record = "record"
    topic_record = "topic-record"

    def strategy(self) -> SubjectNameStrategy:
        from kafkatui.ecosystem.serde.strategy import SubjectNameStrategy

        return {
            Strategy.topic: SubjectNameStrategy.TOPIC,
            Strategy.record: SubjectNameStrategy.RECORD,
            Strategy.topic_record: SubjectNameStrategy.TOPIC_RECORD,
        }[self]


# The registry's schemaType for each format.
SCHEMA_TYPES = {"avro": "AVRO", "json-schema": "JSON", "protobuf": "PROTOBUF"}
_BY_EXTENSION = {".avsc": "avro", ".json": "json-schema", ".proto": "protobuf"}


def _format_option(side: str) -> Any:
    return typer.Option(
        f"--{side}-format",
        show_default=False,
        help=f"How {side}s are written: raw (the bytes as given; the default), or avro, json-schema or "
        f"protobuf: each {side} is given as JSON and sent in Confluent's wire format (magic byte 0, the "
        "schema id, the encoding). Default with a schema file: from its extension (.avsc, .json, .proto).",
    )


ValueFormatOption = Annotated[WriteFormat | None, _format_option("value")]
KeyFormatOption = Annotated[WriteFormat | None, _format_option("key")]


def _schema_option(side: str) -> Any:
    return typer.Option(
        f"--{side}-schema",
        metavar="FILE",
        help=f"The {side}s' schema (.avsc, .json, .proto): registered under the subject the "
        f"--subject-name-strategy names (orders-{side} for topic orders), or its id reused when the "
        "subject has it already (Confluent's auto.register.schemas). A schema with references: register "
        f"it with `kafkatui schema register --reference`, then use --{side}-subject.",
    )


def _subject_option(side: str) -> Any:
    # The value's also go by the shorter --subject and --version: most topics have a
    # schema for their values only.
    return typer.Option(
        f"--{side}-subject",
        *(("--subject",) if side == "value" else ()),
        help=f"Use the {side}s' schema registered under this subject (at --{side}-version) instead of a "
        f"file: Confluent's use.latest.version. With only --{side}-format: the strategy's subject, latest.",
    )


def _version_option(side: str) -> Any:
    return typer.Option(
        f"--{side}-version",
        *(("--version",) if side == "value" else ()),
        metavar="N|latest",
        help=f"With --{side}-subject: which version (default latest).",
    )


def _message_option(side: str) -> Any:
    return typer.Option(
        f"--{side}-message",
        metavar="NAME",
        help=f"Protobuf: which message of the .proto the {side}s are (default the first; a nested one as "
        "Outer.Inner). Its place among the file's messages goes in every record (its message indexes).",
    )


ValueSchemaOption = Annotated[Path | None, _schema_option("value")]
KeySchemaOption = Annotated[Path | None, _schema_option("key")]
ValueSubjectOption = Annotated[str | None, _subject_option("value")]
KeySubjectOption = Annotated[str | None, _subject_option("key")]
ValueVersionOption = Annotated[str | None, _version_option("value")]
KeyVersionOption = Annotated[str | None, _version_option("key")]
ValueMessageOption = Annotated[str | None, _message_option("value")]
KeyMessageOption = Annotated[str | None, _message_option("key")]
StrategyOption = Annotated[
    Strategy,
    typer.Option(
        "--subject-name-strategy",
        help="Which subject a schema file is registered under: topic (TopicNameStrategy, the default: "
        "orders-value, orders-key), record (RecordNameStrategy: the record's full name, e.g. shop.Order) "
        "or topic-record (TopicRecordNameStrategy: orders-shop.Order).",
    ),
]


# --- produce ----------------------------------------------------------------------------------


@dataclass
class SideSchema:
    """What the command line says of one side's schema (keys or values)."""

    side: str  # "key" or "value"
    fmt: WriteFormat | None
    schema_file: Path | None
    subject: str | None
    version: str | None
    message: str | None
    parsed: ParsedSchema | None = None  # the file's schema, once `load`ed

    @property
    def used(self) -> bool:
        """A schema for this side: a format, a file or a subject (whose type it then takes)."""
        return self.format is not None or self.subject is not None

    @property
    def format(self) -> str | None:
        """The format in use: as given, else the schema file's, else none (raw bytes)."""
        if self.fmt is not None:
            return None if self.fmt is WriteFormat.raw else self.fmt.value
        if self.schema_file is not None:
            return _BY_EXTENSION.get(self.schema_file.suffix.lower(), "avro")
        return None

    def check(self, strategy: Strategy) -> None:
        """Usage errors, before anything is opened."""
        flag = f"--{self.side}"
        if self.schema_file is not None and self.subject is not None:
            raise typer.BadParameter(
                f"{flag}-schema registers a schema, {flag}-subject uses a registered one: not both",
                param_hint=f"{flag}-subject",
            )
        if self.fmt is WriteFormat.raw and (self.schema_file or self.subject):
            raise typer.BadParameter("raw bytes have no schema", param_hint=f"{flag}-format")
        if self.version is not None:
            if self.subject is None and self.schema_file is not None:
                raise typer.BadParameter(
                    f"picks a version of {flag}-subject, not of a schema file", param_hint=f"{flag}-version"
                )
            if self.version != "latest" and not (self.version.isdigit() and int(self.version) > 0):
                raise typer.BadParameter(
                    f"'{self.version}' is not a version number or latest", param_hint=f"{flag}-version"
                )
        if self.message is not None and self.format not in (None, "protobuf"):
            raise typer.BadParameter("names a Protobuf message", param_hint=f"{flag}-message")
        if self.subject is None and self.schema_file is None:
            if self.format is None and (self.version or self.message):
                raise typer.BadParameter(f"needs {flag}-format or a schema", param_hint=f"{flag}-version")
            if self.format is not None and strategy is not Strategy.topic:
                raise typer.BadParameter(
                    f"--subject-name-strategy {strategy} names the subject after the record: give "
                    f"{flag}-schema FILE (or {flag}-subject)",
                    param_hint=f"{flag}-format",
                )

    def load(self) -> None:
        """Read and parse the schema file (an INVALID_SCHEMA error names it), before any
        cluster or registry is opened."""
        if self.schema_file is None or self.format is None:
            return
        from kafkatui.ecosystem.registry.schemas import InvalidSchema, SchemaType, parse_schema

        try:
            text = self.schema_file.read_text()
        except (OSError, UnicodeDecodeError) as error:
            why = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            raise typer.BadParameter(
                f"cannot read {self.schema_file}: {why}", param_hint=f"--{self.side}-schema"
            ) from None
        try:
            self.parsed = parse_schema(SchemaType(SCHEMA_TYPES[self.format]), text, {})
        except InvalidSchema as error:
            raise _invalid_schema(
                f"{self.schema_file} is not a valid {self.format} schema: {_one_line(str(error))}"
            ) from None
        self.message = _protobuf_message(self.parsed, self.message, self.side)

    async def serializer(self, client: RegistryClient, topic: str, strategy: Strategy) -> Serializer:
        """The file's schema registered (or found) under the strategy's subject, or the
        subject's version."""
        from kafkatui.cli.registry import refused
        from kafkatui.ecosystem.registry import errors
        from kafkatui.ecosystem.serde.client import RegistryClientError
        from kafkatui.ecosystem.serde.codecs import Serializer

        is_key = self.side == "key"
        if self.parsed is not None:
            return await Serializer.create(
                client, topic, self.parsed, is_key=is_key, strategy=strategy.strategy(), message=self.message
            )
        subject = self.subject or strategy.strategy().subject(topic, is_key=is_key, record_name=None)
        try:
            found = await client.version(subject, self.version or "latest")
        except RegistryClientError as error:
            if error.error_code not in (errors.SUBJECT_NOT_FOUND, errors.VERSION_NOT_FOUND):
                raise
            raise refused(
                error,
                f"register one with --{self.side}-schema FILE or `kafkatui schema register {subject} FILE`; "
                "`kafkatui schema list` lists them",
            ) from None
        if self.format is not None and found.schema.schema_type != SCHEMA_TYPES[self.format]:
            raise _invalid_schema(
                f"{subject} version {found.version} holds a {found.schema.schema_type} schema (schema id "
                f"{found.schema_id}), not {self.format} (--{self.side}-format)"
            )
        if self.message is not None and found.schema.schema_type != "PROTOBUF":
            raise typer.BadParameter(
                f"names a Protobuf message, and {subject} holds {found.schema.schema_type}",
                param_hint=f"--{self.side}-message",
            )
        message = _protobuf_message(found.schema, self.message, self.side)
        return Serializer(found.schema_id, found.schema, subject, message)


def _invalid_schema(message: str) -> typer.Exit:
    """Named as the registry names a schema it refuses, like `kafkatui schema`'s errors."""
    from kafkatui.ecosystem.registry import errors

    return fail(errors.error_name(errors.INVALID_SCHEMA), message)


def _protobuf_message(schema: ParsedSchema, message: str | None, side: str) -> str | None:
    """The full name of the message to write (the first one by default), checked."""
    from kafkatui.ecosystem.registry.schemas.protobuf import ProtobufSchema, message_indexes
    from kafkatui.ecosystem.serde.codecs import record_name

    if not isinstance(schema, ProtobufSchema):
        return None
    names = schema.message_names()
    full = record_name(schema, message)
    try:
        if full is None:
            raise KeyError(message)
        message_indexes(schema.descriptor, full)
    except KeyError:
        listed = ", ".join(names) or "none"
        raise typer.BadParameter(
            f"the schema has no message {message or ''}".rstrip() + f" (its messages: {listed})",
            param_hint=f"--{side}-message",
        ) from None
    return full


@dataclass
class RecordEncoder:
    """Records as read → records as sent: each side given as JSON and serialized with
    its schema, or left as it is (raw)."""

    key: Serializer | None = None
    value: Serializer | None = None

    @property
    def schema_ids(self) -> dict[str, int]:
        return {
            f"{side}_schema_id": s.schema_id for side, s in (("key", self.key), ("value", self.value)) if s
        }

    def __call__(self, record: InputRecord) -> InputRecord:
        key = record.key if self.key is None else self._encode(record, record.key, self.key, "key")
        value = (
            record.value if self.value is None else self._encode(record, record.value, self.value, "value")
        )
        return InputRecord(key, value, record.line)

    def _encode(
        self, record: InputRecord, data: bytes | None, serializer: Serializer, side: str
    ) -> bytes | None:
        from kafkatui.ecosystem.serde.codecs import ValueRefused

        if data is None:
            return None
        what = "is" if side == "value" else "has a key that is"
        try:
            given = json.loads(data.decode())
        except UnicodeDecodeError:
            raise _refused(record, f"{what} not UTF-8, so not JSON") from None
        except json.JSONDecodeError as error:
            raise _refused(
                record,
                f"{what} not JSON ({error.msg} at column {error.colno}): with --{side}-format a {side} is "
                "given as JSON",
            ) from None
        if given is None:  # JSON null: a null key, or a tombstone (Confluent's serializers: None)
            return None
        try:
            return serializer(given)
        except ValueRefused as error:
            what = "does not" if side == "value" else "has a key that does not"
            raise _refused(
                record,
                f"{what} fit the {side} schema ({serializer.subject}, schema id {serializer.schema_id}): "
                f"{_one_line(str(error)).rstrip('.')}",
            ) from None


def _refused(record: InputRecord, why: str) -> KafkaError:
    """INVALID_RECORD naming the stdin line (the record of --value: `the record`)."""
    if record.line is not None:
        return InputError(record.line, why)
    return KafkaError(ErrorCode.INVALID_RECORD, f"the record {why}; nothing was produced")


def _one_line(text: str) -> str:
    return " ".join(text.split())


async def encoder_for(
    client: RegistryClient, topic: str, key: SideSchema, value: SideSchema, strategy: Strategy
) -> RecordEncoder:
    return RecordEncoder(
        await key.serializer(client, topic, strategy) if key.used else None,
        await value.serializer(client, topic, strategy) if value.used else None,
    )
