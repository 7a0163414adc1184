"""The datagen source: the seed's `clients` and `sales` records as Structs keyed by
client id, `iterations` of them, the same ones for the same `random.seed` — also across
a worker restart mid-run, which resumes at the committed `current.iteration`."""

from __future__ import annotations

import json
from typing import Any

from tests.ecosystem.connect.conftest import ServedConnect
from tests.ecosystem.connect.test_sqlite import topic_log

DATAGEN = "io.confluent.kafka.connect.datagen.DatagenConnector"


def _records(connect: ServedConnect, topic: str, count: int) -> list[tuple[Any, Any]]:
    def enough() -> list[Any] | None:
        got = topic_log(connect, topic)
        return got if len(got) >= count else None

    got = connect.until(enough, f"{count} records in {topic}")
    return [(json.loads(r.key)["payload"], json.loads(r.value)) for r in got]


def _create(connect: ServedConnect, name: str, topic: str, **more: str) -> None:
    config = {"connector.class": "Datagen", "kafka.topic": topic, "max.interval": "0", **more}
    answer = connect.create(name, **config)
    assert answer.status_code == 201, answer.text


def test_sales_are_keyed_by_client_and_the_seed_makes_them_the_same(connect: ServedConnect) -> None:
    _create(connect, "a", "sales-a", quickstart="sales", iterations="200", **{"random.seed": "42"})
    _create(connect, "b", "sales-b", quickstart="sales", iterations="200", **{"random.seed": "42"})
    _create(connect, "c", "sales-c", quickstart="sales", iterations="200", **{"random.seed": "43"})
    a, b, c = (_records(connect, f"sales-{x}", 200) for x in "abc")
    assert a == b and a != c
    _, first = a[0]
    assert set(first["payload"]) == {"order_id", "client_id", "product", "quantity", "price", "sold_at"}
    assert first["schema"]["name"] == "ksql.sales" and first["schema"]["type"] == "struct"
    assert all(k == v["payload"]["client_id"] for k, v in a)
    assert [v["payload"]["order_id"] for _, v in a] == list(range(1, 201))
    connect.until(
        lambda: (
            connect.http.get("/connectors/a/offsets").json()["offsets"]
            == [{"partition": {"task.id": 0}, "offset": {"current.iteration": 200}}]
        ),
        "the offset of the last iteration",
    )
    assert len(topic_log(connect, "sales-a")) == 200  # iterations: no more than that


def test_clients_quickstart(connect: ServedConnect) -> None:
    _create(connect, "cl", "clients", quickstart="clients", iterations="20", **{"random.seed": "7"})
    got = _records(connect, "clients", 20)
    for key, value in got:
        payload = value["payload"]
        assert key == payload["client_id"] and key.startswith("c")
        assert payload["email"].isascii() and "@" in payload["email"] and payload["name"] and payload["city"]


def test_a_restart_mid_run_goes_on_with_the_same_sequence(connect: ServedConnect) -> None:
    paced = {"max.interval": "10", "random.seed": "5"}
    _create(connect, "paced", "paced", quickstart="sales", iterations="300", **paced)
    _records(connect, "paced", 30)
    connect.restart_worker()  # graceful: what was sent is committed
    assert len(topic_log(connect, "paced")) < 300  # stopped mid-run (300 take ~1.5 s)
    _create(connect, "whole", "whole", quickstart="sales", iterations="300", **{"random.seed": "5"})
    assert _records(connect, "paced", 300) == _records(connect, "whole", 300)


def test_validation_lists_every_problem(connect: ServedConnect) -> None:
    answer = connect.http.put(
        f"/connector-plugins/{DATAGEN}/config/validate",
        json={"connector.class": DATAGEN, "name": "d", "quickstart": "orders", "max.interval": "-5",
              "random.seed": "x"},
    )  # fmt: skip
    errors = {
        c["value"]["name"]: c["value"]["errors"] for c in answer.json()["configs"] if c["value"]["errors"]
    }
    assert set(errors) == {"kafka.topic", "quickstart", "max.interval", "random.seed"}
    assert errors["quickstart"] == [
        "Invalid value orders for configuration quickstart: String must be one of: clients, sales"
    ]
