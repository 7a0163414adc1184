"""A datagen source with the configs of Confluent's kafka-connect-datagen
(io.confluent.kafka.connect.datagen.DatagenConnector), its quickstarts the seed's two
topics: `clients` (key the client id; name, email, city) and `sales` (key the client id
too, so one client's sales keep their order in one partition; order id, product,
quantity, price).

Each task sends to `kafka.topic`, waiting up to `max.interval` ms (a random share of it)
before each record, `iterations` records in all (less than 1: no end). `random.seed`
makes the data the same on every run (task n draws from seed + n). Its source partition
is `{"task.id": n}` and its offset `{"current.iteration": i}`, as datagen's, so a
restarted task goes on from the next iteration — with a seed, the same record it would
have sent next."""

from __future__ import annotations

import asyncio
import random
import unicodedata
from collections.abc import Mapping
from typing import Any

from kafkatui.ecosystem.connect.api import Props, SourceConnector, SourceRecord, SourceTask, Task
from kafkatui.ecosystem.connect.config import ConfigDef, ConfigType, Importance, at_least, one_of
from kafkatui.ecosystem.connect.data import Schema

VERSION = "0.6.5"  # the kafka-connect-datagen release whose configs these follow
QUICKSTARTS = ("clients", "sales")
TASK_ID, CURRENT_ITERATION = "task.id", "current.iteration"
BATCH = 500  # records a poll makes when it need not wait between them (max.interval=0)
IDLE_S = 0.5

FIRST = ("Ana", "Bruno", "Carla", "Diego", "Elisa", "Felipe", "Gabriela", "Heitor", "Iara", "João")
LAST = ("Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Rocha")
CITIES = ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Recife", "Porto Alegre")
PRODUCTS = (("notebook", 4299.0), ("mouse", 89.9), ("teclado", 249.0), ("monitor", 1199.0),
            ("headset", 379.5), ("webcam", 299.0))  # fmt: skip
CLIENTS = 1000  # client ids c0001 … c1000, shared by both quickstarts

KEY_SCHEMA = Schema("string")
CLIENT_SCHEMA = Schema("struct", name="ksql.clients", fields=(
    ("client_id", Schema("string")), ("name", Schema("string")), ("email", Schema("string")),
    ("city", Schema("string")), ("registered_at", Schema("int64")),
))  # fmt: skip
SALE_SCHEMA = Schema("struct", name="ksql.sales", fields=(
    ("order_id", Schema("int64")), ("client_id", Schema("string")), ("product", Schema("string")),
    ("quantity", Schema("int32")), ("price", Schema("float64")), ("sold_at", Schema("int64")),
))  # fmt: skip
EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00Z: timestamps advance from here, not from the clock


class DatagenConnector(SourceConnector):
    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("kafka.topic", ConfigType.STRING, importance=Importance.HIGH,
                    documentation="Topic to write to")
            .define("quickstart", ConfigType.STRING, importance=Importance.HIGH,
                    documentation="Name of the quickstart to generate: clients or sales (the seed's topics)",
                    validators=[one_of(*QUICKSTARTS)])
            .define("max.interval", ConfigType.LONG, 500, Importance.HIGH,
                    "Max interval between messages (ms)", validators=[at_least(0)])
            .define("iterations", ConfigType.INT, -1, Importance.HIGH,
                    "Number of messages to send from each task, or less than 1 for unlimited")
            .define("random.seed", ConfigType.LONG, None, Importance.LOW,
                    "The seed for the random generator: the same seed gives the same records")
        )  # fmt: skip

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        topic = props.get("kafka.topic")
        if topic is not None and not str(topic).strip():
            return {"kafka.topic": ["kafka.topic may not be empty"]}
        return {}

    def start(self, props: Props) -> None:
        self.props = dict(props)
        self.config_def().parse(props)

    def task_class(self) -> type[Task]:
        return DatagenTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [{**self.props, TASK_ID: str(n)} for n in range(max_tasks)]


class Generator:
    """The quickstart's records, drawn from one Random."""

    def __init__(self, quickstart: str, seed: int | None) -> None:
        self.quickstart = quickstart
        self.random = random.Random(seed)

    def make(self, iteration: int) -> tuple[str, dict[str, Any], Schema]:
        r = self.random
        client = f"c{r.randrange(1, CLIENTS + 1):04d}"
        at = EPOCH_MS + iteration * 1000 + r.randrange(1000)
        if self.quickstart == "clients":
            first, last = r.choice(FIRST), r.choice(LAST)
            value = {
                "client_id": client, "name": f"{first} {last}",
                "email": _ascii(f"{first}.{last}@example.com".lower()),
                "city": r.choice(CITIES), "registered_at": at,
            }  # fmt: skip
            return client, value, CLIENT_SCHEMA
        product, price = r.choice(PRODUCTS)
        value = {
            "order_id": iteration + 1, "client_id": client, "product": product,
            "quantity": r.randint(1, 5), "price": price, "sold_at": at,
        }  # fmt: skip
        return client, value, SALE_SCHEMA


class DatagenTask(SourceTask):
    def version(self) -> str:
        return VERSION

    def start(self, props: Props) -> None:
        v = DatagenConnector().config_def().parse(props)
        self.topic: str = v["kafka.topic"]
        self.max_interval_s = v["max.interval"] / 1000
        self.iterations: int = v["iterations"]
        self.task_id = int(props.get(TASK_ID, "0"))
        seed = v["random.seed"]
        self.generator = Generator(v["quickstart"], None if seed is None else seed + self.task_id)
        self.pacing = random.Random()  # the waits are not part of the data
        self.partition = {TASK_ID: self.task_id}
        offset = self.context.offset_storage_reader.offset(self.partition) or {}
        self.count = int(offset.get(CURRENT_ITERATION, 0))
        for i in range(self.count):  # replay the draws already sent: a seeded run goes on as one
            self.generator.make(i)

    def _done(self) -> bool:
        return 0 < self.iterations <= self.count

    async def poll(self) -> list[SourceRecord] | None:
        if self._done():
            await asyncio.sleep(IDLE_S)
            return None
        if self.max_interval_s > 0:
            await asyncio.sleep(self.max_interval_s * self.pacing.random())
            wanted = 1
        else:
            wanted = BATCH
        records = []
        while len(records) < wanted and not self._done():
            key, value, schema = self.generator.make(self.count)
            self.count += 1
            records.append(
                SourceRecord(
                    self.partition,
                    {CURRENT_ITERATION: self.count},
                    self.topic,
                    value,
                    schema,
                    key=key,
                    key_schema=KEY_SCHEMA,
                )
            )
        return records


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
