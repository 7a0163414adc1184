"""The Schema Registry lesson: schemas with ids, and what the registry refuses.

The seed's "Schema Registry" section (each schema has an id; the consumer fetches the
schema by id; a message that does not follow the schema cannot even be sent) made
visible. A registry runs on an in-memory cluster, over HTTP as any client sees it, and
kafkatui's own serde talks to it: register an Avro schema, produce through the
serializer and look at one record's framing bytes (magic byte, schema id, payload), try
a record that does not fit, read back by id, evolve the schema compatibly (a field with
a default), then try two incompatible changes (a type change; a field removed without a
default, which BACKWARD allows and FULL refuses) and watch each refused with its reason.

Told in English or Brazilian Portuguese (the registry's own reasons stay in English, as
Confluent's do). Deterministic for a seed: the orders come from a seeded RNG and the
cluster runs on a ManualClock.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import fastavro

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig
from kafkatui.common.clock import ManualClock
from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.compatibility import read_messages
from kafkatui.ecosystem.registry.schemas import SchemaType, parse_schema
from kafkatui.ecosystem.registry.schemas.avro import AvroSchema
from kafkatui.ecosystem.registry.service import RegistryService
from kafkatui.ecosystem.serde import wire
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError, quote
from kafkatui.ecosystem.serde.codecs import Deserializer, Serializer, ValueRefused
from kafkatui.lessons import Story

TOPIC = "orders"
SUBJECT = f"{TOPIC}-value"  # TopicNameStrategy
LANGUAGES = ("en", "pt")
PRODUCTS = ("keyboard", "mouse", "monitor", "cable", "headset", "desk")
FIRST_ORDERS = 3
EVOLVED_ORDERS = 2
BAD_PRICE = "10,50"  # a price typed as text, with a Brazilian decimal comma


def _order(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": list(fields)})


ID = {"name": "id", "type": "string"}
PRODUCT = {"name": "product", "type": "string"}
PRICE = {"name": "price", "type": "double"}
QUANTITY = {"name": "quantity", "type": "int", "default": 1}
V1 = _order(ID, PRODUCT, PRICE)
V2 = _order(ID, PRODUCT, PRICE, QUANTITY)
PRICE_AS_TEXT = _order(ID, PRODUCT, {"name": "price", "type": "string"}, QUANTITY)
WITHOUT_PRODUCT = _order(ID, PRICE, QUANTITY)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "intro": "A Schema Registry keeps the format (the schema) of each topic's records, and gives "
        "each schema an id. Producers write that id in front of every record; consumers look it up.",
        "setup": "Topic {topic} (1 partition); its values use subject {subject} (TopicNameStrategy: "
        "<topic>-value). The registry keeps its schemas as records in the topic _schemas.",
        "register": "1. Register version 1 of Order: {fields}",
        "registered": "   → registered {subject} version {version}: schema id {id}",
        "produce": "2. Produce {count} orders through kafkatui's Avro serializer:",
        "produced": "   offset {offset}: {value} → {size} bytes (as JSON text: {json_size})",
        "framing": "   The bytes of offset {offset}, in Confluent's wire format:",
        "magic": "     magic byte  {hex:<12}  always 0: this framing",
        "schema_id": "     schema id   {hex:<12}  4 bytes, big-endian: id {id}",
        "payload": "     payload     {hex}  ({size} bytes of Avro: the values only, no field names)",
        "bad": "3. A record that does not fit: price {price} is text, not a number.",
        "bad_refused": "   refused before it was sent: {reason}",
        "bad_nothing_sent": "   (the topic still has {count} records)",
        "consume": "4. A consumer reads the topic. Each record's first 5 bytes say which schema wrote "
        "it; it asks the registry for that schema once, then keeps it:",
        "consumed": "   offset {offset}: schema id {id} → {value}",
        "lookups": "   ({requests} request(s) to the registry for {count} records)",
        "evolve": "5. Evolve it compatibly: add `quantity` (int) with default 1. {subject} is BACKWARD "
        "(the default): consumers on the new schema must still read the old records.",
        "compatible": "   check: compatible under {level}",
        "evolved": "   {count} more orders, now with a quantity:",
        "reader": "   A consumer on version 2 reads every record: the old ones get the default quantity 1:",
        "read_as_v2": "   offset {offset} (written with id {id}): {value}",
        "type_change": "6. An incompatible change: `price` becomes a string.",
        "refused": "   refused ({name}, {code}): {reason}",
        "removal": "7. Remove `product` (it has no default).",
        "removal_backward": "   Under BACKWARD that is allowed ({verdict}): a reader on the new schema just "
        "skips `product` in old records.",
        "allowed": "compatible",
        "not_allowed": "incompatible",
        "removal_full": "   But consumers still on version 2 need `product` in new records: set {subject} "
        "to FULL (BACKWARD and FORWARD).",
        "end": "{subject} keeps versions {versions} (ids {ids}); nothing refused was registered or sent. "
        "The registry itself is {records} records in the compacted topic _schemas.",
    },
    "pt": {
        "intro": "Um Schema Registry guarda o formato (o esquema) dos registros de cada tópico e dá um "
        "id a cada esquema. O produtor escreve esse id na frente de cada registro; o consumidor o "
        "consulta.",
        "setup": "Tópico {topic} (1 partição); seus valores usam o subject {subject} (TopicNameStrategy: "
        "<tópico>-value). O registry guarda os esquemas como registros no tópico _schemas.",
        "register": "1. Registrar a versão 1 de Order: {fields}",
        "registered": "   → registrado: {subject} versão {version}, id de esquema {id}",
        "produce": "2. Produzir {count} pedidos pelo serializador Avro do kafkatui:",
        "produced": "   offset {offset}: {value} → {size} bytes (como texto JSON: {json_size})",
        "framing": "   Os bytes do offset {offset}, no formato de fio da Confluent:",
        "magic": "     byte mágico     {hex:<12}  sempre 0: este enquadramento",
        "schema_id": "     id de esquema   {hex:<12}  4 bytes, big-endian: id {id}",
        "payload": "     payload         {hex}  ({size} bytes de Avro: só os valores, sem nomes de campos)",
        "bad": "3. Um registro que não segue o esquema: price {price} é texto, não número. (As razões "
        "vêm em inglês, como as do registry da Confluent.)",
        "bad_refused": "   recusado antes de ser enviado: {reason}",
        "bad_nothing_sent": "   (o tópico continua com {count} registros)",
        "consume": "4. Um consumidor lê o tópico. Os 5 primeiros bytes de cada registro dizem qual esquema "
        "o escreveu; ele pede esse esquema ao registry uma vez e o guarda:",
        "consumed": "   offset {offset}: id de esquema {id} → {value}",
        "lookups": "   ({requests} pedido(s) ao registry para {count} registros)",
        "evolve": "5. Evoluir de forma compatível: adicionar `quantity` (int) com default 1. {subject} é "
        "BACKWARD (o padrão): consumidores com o esquema novo ainda precisam ler os registros antigos.",
        "compatible": "   verificação: compatível em {level}",
        "evolved": "   mais {count} pedidos, agora com quantidade:",
        "reader": "   Um consumidor na versão 2 lê todos os registros: os antigos recebem o default "
        "quantity 1:",
        "read_as_v2": "   offset {offset} (escrito com o id {id}): {value}",
        "type_change": "6. Uma mudança incompatível: `price` vira string.",
        "refused": "   recusada ({name}, {code}): {reason}",
        "removal": "7. Remover `product` (ele não tem default).",
        "removal_backward": "   Em BACKWARD isso é permitido ({verdict}): quem lê com o esquema novo só "
        "ignora `product` nos registros antigos.",
        "allowed": "compatível",
        "not_allowed": "incompatível",
        "removal_full": "   Mas consumidores ainda na versão 2 precisam de `product` nos registros novos: "
        "{subject} passa a FULL (BACKWARD e FORWARD).",
        "end": "{subject} fica com as versões {versions} (ids {ids}); nada recusado foi registrado nem "
        "enviado. O próprio registry ocupa {records} registros no tópico compactado _schemas.",
    },
}


@dataclass
class Refusal:
    """Something the registry or the serializer would not take, and why."""

    what: str  # bad_record, type_change, field_removed
    reasons: list[str]
    error_code: int | None = None  # the registry's (409); None: the serializer refused
    compatibility: str | None = None


@dataclass
class SchemaRegistryReport:
    seed: int
    language: str
    topic: str
    subject: str
    versions: list[dict[str, int]]
    framing: dict[str, Any]
    records: list[dict[str, Any]]  # every record as a consumer on the latest version reads it
    refused: list[Refusal]
    removal_allowed_under_backward: bool
    registry_requests_to_decode: int
    schemas_topic_records: int
    story: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("story")
        return data


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _orders(rng: random.Random, first: int, count: int, *, quantity: bool) -> list[dict[str, Any]]:
    out = []
    for n in range(first, first + count):
        order: dict[str, Any] = {
            "id": f"order-{n}",
            "product": rng.choice(PRODUCTS),
            "price": round(rng.uniform(3, 200), 2),
        }
        if quantity:
            order["quantity"] = rng.randint(2, 5)
        out.append(order)
    return out


async def _read_all(backend: Backend, count: int) -> list[tuple[int, bytes]]:
    consumer = backend.consumer(ConsumerConfig(auto_offset_reset="earliest", enable_auto_commit=False))
    try:
        consumer.assign([(TOPIC, 0)])
        consumer.seek((TOPIC, 0), 0)
        records: list[tuple[int, bytes]] = []
        while len(records) < count:
            records += [(r.offset, r.value or b"") for r in await consumer.poll(1_000)]
        return records
    finally:
        await consumer.close()


async def schema_registry_scenario(
    seed: int = 1, language: str = "en", *, narrate: Callable[[str], None] | None = None
) -> SchemaRegistryReport:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    texts = TEXTS[language]
    story = Story(narrate)

    def say(key: str, **values: Any) -> None:
        story.say(texts[key].format(**values))

    rng = random.Random(seed)
    backend = await EmbeddedBackend.open(brokers=1, clock=ManualClock(), seed=seed)
    service = RegistryService(backend)
    client: RegistryClient | None = None
    try:
        await backend.create_topic(TOPIC, 1, 1)
        client = RegistryClient(await service.start(0))
        say("intro")
        say("setup", topic=TOPIC, subject=SUBJECT)

        # 1-2. Register version 1; produce through the serializer; one record's framing.
        say("register", fields=", ".join(f"{f['name']} ({f['type']})" for f in (ID, PRODUCT, PRICE)))
        v1 = parse_schema(SchemaType.AVRO, V1, {})
        serializer = await Serializer.create(client, TOPIC, v1)
        say("registered", subject=SUBJECT, version=1, id=serializer.schema_id)
        producer = backend.producer(ProducerConfig(linger_ms=0))
        say("produce", count=FIRST_ORDERS)
        sent = 0
        first_bytes = b""
        for order in _orders(rng, 1, FIRST_ORDERS, quantity=False):
            data = serializer(order)
            meta = await producer.send_and_wait(TOPIC, data, partition=0)
            sent += 1
            first_bytes = first_bytes or data
            say("produced", offset=meta.offset, value=_value(order), size=len(data),
                json_size=len(_value(order).encode()))  # fmt: skip
        framed = wire.unframe(first_bytes)
        say("framing", offset=0)
        say("magic", hex=_hex(first_bytes[:1]))
        say("schema_id", hex=_hex(first_bytes[1:5]), id=framed.schema_id)
        say("payload", hex=_hex(framed.payload), size=len(framed.payload))
        framing = {"offset": 0, "magic": first_bytes[0], "schema_id": framed.schema_id,
                   "schema_id_hex": _hex(first_bytes[1:5]), "payload_hex": _hex(framed.payload),
                   "payload_bytes": len(framed.payload)}  # fmt: skip

        # 3. A value that does not fit is refused by the serializer, before any send.
        refusals: list[Refusal] = []
        bad = {"id": f"order-{FIRST_ORDERS + 1}", "product": PRODUCTS[0], "price": BAD_PRICE}
        say("bad", price=_value(BAD_PRICE))
        try:
            await producer.send_and_wait(TOPIC, serializer(bad), partition=0)
            sent += 1
        except ValueRefused as error:
            say("bad_refused", reason=str(error))
            refusals.append(Refusal("bad_record", [str(error)]))
        say("bad_nothing_sent", count=sent)

        # 4. Read back by id: the deserializer asks the registry once per id.
        say("consume")
        reader_client = RegistryClient(client.url)
        try:
            deserialize = Deserializer(reader_client)
            for offset, data in await _read_all(backend, sent):
                decoded = await deserialize(data)
                say("consumed", offset=offset, id=decoded.schema_id, value=_value(decoded.value))
            lookups = reader_client.requests
        finally:
            await reader_client.close()
        say("lookups", requests=lookups, count=sent)

        # 5. Evolve compatibly; a reader on version 2 fills the default into old records.
        say("evolve", subject=SUBJECT)
        level, compatible = await _check(client, V2)
        if compatible:  # (if not, registering it below fails with the registry's reasons)
            say("compatible", level=level)
        v2 = parse_schema(SchemaType.AVRO, V2, {})
        serializer = await Serializer.create(client, TOPIC, v2)
        say("registered", subject=SUBJECT, version=2, id=serializer.schema_id)
        say("evolved", count=EVOLVED_ORDERS)
        for order in _orders(rng, FIRST_ORDERS + 1, EVOLVED_ORDERS, quantity=True):
            data = serializer(order)
            meta = await producer.send_and_wait(TOPIC, data, partition=0)
            sent += 1
            say("produced", offset=meta.offset, value=_value(order), size=len(data),
                json_size=len(_value(order).encode()))  # fmt: skip
        say("reader")
        records = []
        assert isinstance(v2, AvroSchema)
        for offset, data in await _read_all(backend, sent):
            framed = wire.unframe(data)
            writer = await client.schema_by_id(framed.schema_id)
            assert isinstance(writer, AvroSchema)
            value = fastavro.schemaless_reader(io.BytesIO(framed.payload), writer.parsed, v2.parsed)
            say("read_as_v2", offset=offset, id=framed.schema_id, value=_value(value))
            records.append({"offset": offset, "schema_id": framed.schema_id, "value": value})

        # 6. A type change: refused under BACKWARD, with the reason.
        say("type_change")
        refusals.append(await _try_register(client, "type_change", PRICE_AS_TEXT, say))

        # 7. A field removed without a default: BACKWARD allows it, FULL does not.
        say("removal")
        _, removal_allowed = await _check(client, WITHOUT_PRODUCT)
        say("removal_backward", verdict=texts["allowed" if removal_allowed else "not_allowed"])
        say("removal_full", subject=SUBJECT)
        await client.request("PUT", f"/config/{quote(SUBJECT)}", {"compatibility": "FULL"})
        refusals.append(await _try_register(client, "field_removed", WITHOUT_PRODUCT, say))

        await producer.close()
        versions = [
            {
                "version": v,
                "id": (await client.request("GET", f"/subjects/{quote(SUBJECT)}/versions/{v}"))["id"],
            }
            for v in await client.request("GET", f"/subjects/{quote(SUBJECT)}/versions")
        ]
        schemas_records = backend.describe_topic("_schemas").record_count
        say("end", subject=SUBJECT, versions=", ".join(str(v["version"]) for v in versions),
            ids=", ".join(str(v["id"]) for v in versions), records=schemas_records)  # fmt: skip
        return SchemaRegistryReport(
            seed, language, TOPIC, SUBJECT, versions, framing, records, refusals, removal_allowed,
            lookups, schemas_records, story.lines,
        )  # fmt: skip
    finally:
        if client is not None:
            await client.close()
        await service.close()
        await backend.close()


async def _check(client: RegistryClient, schema: str) -> tuple[str, bool]:
    """The subject's level, and whether `schema` would be accepted under it."""
    config = await client.request("GET", f"/config/{quote(SUBJECT)}", defaultToGlobal="true")
    answer = await client.request(
        "POST", f"/compatibility/subjects/{quote(SUBJECT)}/versions", {"schema": schema}
    )
    return config["compatibilityLevel"], bool(answer["is_compatible"])


async def _try_register(client: RegistryClient, what: str, schema: str, say: Callable[..., None]) -> Refusal:
    """Register `schema`, which the registry refuses (409): say its reasons."""
    try:
        answer = await client.request("POST", f"/subjects/{quote(SUBJECT)}/versions", {"schema": schema})
    except RegistryClientError as error:
        reasons, said = read_messages(error.message)
        texts = [r.description for r in reasons] or [error.message]
        for reason in texts:
            say("refused", name=errors.error_name(error.error_code), code=error.error_code, reason=reason)
        return Refusal(what, texts, error.error_code, said)
    raise AssertionError(f"the registry accepted {what} as id {answer['id']}")  # a registry bug
