"""A served kafkatui with its Schema Registry and its REST Proxy (the registry's
`ServedRegistry`, plus a `RestService` on a free port over the same backend), and
httpx helpers that speak v2 as a REST client does. Test modules import the fixtures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kafkatui.ecosystem.rest.service import RestService
from tests.ecosystem.conftest import BACKENDS, ServedRegistry

V2 = "application/vnd.kafka.v2+json"
BINARY = "application/vnd.kafka.binary.v2+json"
JSON = "application/vnd.kafka.json.v2+json"
AVRO = "application/vnd.kafka.avro.v2+json"
JSONSCHEMA = "application/vnd.kafka.jsonschema.v2+json"
PROTOBUF = "application/vnd.kafka.protobuf.v2+json"


class ServedRest(ServedRegistry):
    def __init__(self, backend: str = "embedded", *, brokers: int = 1, **rest: Any) -> None:
        self.rest_options = rest
        super().__init__(backend, brokers=brokers)
        self.http = httpx.Client(base_url=self.rest_url, timeout=30)

    async def _open(self) -> None:
        await super()._open()
        self.rest = RestService(self.backend, schema_registry_url=self.url, **self.rest_options)
        self.rest_url = await self.rest.start(0)

    async def _shut(self) -> None:
        await self.rest.close()
        await super()._shut()

    def close(self) -> None:
        self.http.close()
        super().close()

    # --- a REST client's calls ---------------------------------------------------------

    def create_topic(self, name: str, partitions: int = 1) -> None:
        self.call(self.backend.create_topic(name, partitions, 1))

    def produce(self, topic: str, records: list[dict[str, Any]], content_type: str = JSON,
                path: str | None = None, **schemas: Any) -> httpx.Response:  # fmt: skip
        body = {"records": records, **schemas}
        return self.http.post(path or f"/topics/{topic}", json=body, headers={"Content-Type": content_type})

    def consumer(self, group: str, **config: Any) -> str:
        """Create an instance; its path (`/consumers/g/instances/name`)."""
        answer = self.http.post(f"/consumers/{group}", json=config, headers={"Content-Type": V2})
        assert answer.status_code == 200, answer.text
        return f"/consumers/{group}/instances/{answer.json()['instance_id']}"

    def post(self, path: str, body: Any = None) -> httpx.Response:
        if body is None:
            return self.http.post(path, headers={"Content-Type": V2})
        return self.http.post(path, json=body, headers={"Content-Type": V2})

    def records(self, instance: str, accept: str = JSON, **query: Any) -> httpx.Response:
        return self.http.get(f"{instance}/records", params=query, headers={"Accept": accept})

    def read_until(self, instance: str, count: int, accept: str = JSON, limit_s: float = 30) -> list[Any]:
        """Read until `count` records came (the first reads may be empty while the
        instance joins its group)."""
        got: list[Any] = []
        deadline = time.monotonic() + limit_s
        while len(got) < count and time.monotonic() < deadline:
            answer = self.records(instance, accept, timeout=500)
            assert answer.status_code == 200, answer.text
            got.extend(answer.json())
        return got

    def log(self, topic: str, partition: int = 0) -> list[Any]:
        return self.call(self.backend.read_log(topic, partition, 0, 10_000))


@pytest.fixture(params=BACKENDS)
def served_rest(request: pytest.FixtureRequest) -> Iterator[ServedRest]:
    """The REST Proxy on each backend in turn."""
    s = ServedRest(request.param)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def rest() -> Iterator[ServedRest]:
    """The REST Proxy on the embedded backend (for what does not depend on the backend)."""
    s = ServedRest("embedded")
    try:
        yield s
    finally:
        s.close()
