"""The seed's enrichment join: each sale on `sales` (JSON, `{"client_id": "c0001",
"product": "book", "price": 42.0, …}`, any key; the sales example's `"client"` works
too) joined with its client's row of the `clients` table (JSON keyed by the client id:
`{"name", "email", "city", …}`, as the datagen quickstarts write them), to
`sales-enriched`: the sale with `client_name` and `client_city` (None for a client not
in the table yet), keyed by the client id.

The sales are re-keyed by client first, so they go through the repartition topic
`sales-enrichment-KSTREAM-KEY-SELECT-0000000004-repartition`, created with as many
partitions as `clients` has (the join's co-partitioning), and the join reads the
table's current row when each sale arrives (table updates emit nothing).

    kafkatui topic create clients --config cleanup.policy=compact
    kafkatui topic create sales
    kafkatui streams run kafkatui.ecosystem.streams.examples.enrichment
"""

from __future__ import annotations

from typing import Any

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder

CONFIG = {"application.id": "sales-enrichment", "commit.interval.ms": 1000}
SALES, CLIENTS, OUTPUT = "sales", "clients", "sales-enriched"


def payload(value: Any) -> Any:
    """The value itself, or the payload of a JsonConverter envelope (schemas.enable)."""
    if isinstance(value, dict) and set(value) == {"schema", "payload"}:
        return value["payload"]
    return value


def client_of(sale: Any) -> str | None:
    sale = payload(sale)
    if not isinstance(sale, dict):
        return None
    client = sale.get("client_id", sale.get("client"))
    return None if client is None else str(client)


def enrich(sale: dict[str, Any], client: dict[str, Any] | None) -> dict[str, Any]:
    client = payload(client) or {}
    return {**payload(sale), "client_name": client.get("name"), "client_city": client.get("city")}


def topology(builder: StreamsBuilder) -> None:
    clients = builder.table(CLIENTS, value_serde=Serdes.json(), store="clients-by-id")
    sales = builder.stream(SALES, value_serde=Serdes.json())
    by_client = sales.filter(lambda key, sale: client_of(sale) is not None).select_key(
        lambda key, sale: client_of(sale)
    )
    by_client.left_join(clients, enrich).to(OUTPUT, value_serde=Serdes.json())
