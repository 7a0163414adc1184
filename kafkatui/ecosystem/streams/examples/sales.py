"""The seed's sales example: sales as JSON on `sales` (`{"client": "ana", "product":
"book", "price": 42.0}`, any key), the average price per client to
`average-price-per-client` (key: the client; value: JSON `{"client", "count", "total",
"average"}`), kept in the store `sales-per-client`.

    kafkatui topic create sales
    kafkatui streams run kafkatui.ecosystem.streams.examples.sales
"""

from __future__ import annotations

from typing import Any

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder

CONFIG = {"application.id": "sales-average", "commit.interval.ms": 1000}
INPUT, OUTPUT = "sales", "average-price-per-client"


def add(client: str, sale: dict[str, Any], total: dict[str, Any]) -> dict[str, Any]:
    count, amount = total["count"] + 1, total["total"] + float(sale["price"])
    return {"client": client, "count": count, "total": amount, "average": round(amount / count, 2)}


def topology(builder: StreamsBuilder) -> None:
    sales = builder.stream(INPUT, value_serde=Serdes.json())
    per_client = sales.filter(
        lambda key, sale: isinstance(sale, dict) and "client" in sale and "price" in sale
    )
    averages = per_client.group_by(
        lambda key, sale: str(sale["client"]), value_serde=Serdes.json()
    ).aggregate(lambda: {"count": 0, "total": 0.0}, add, value_serde=Serdes.json(), store="sales-per-client")
    averages.to_stream().to(OUTPUT, value_serde=Serdes.json())
