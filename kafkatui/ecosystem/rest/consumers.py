"""v2 consumer instances (Confluent's `KafkaConsumerManager`): created by name in a
group, found by (group, name), closed on DELETE or after consumer.instance.timeout.ms
without a request (the expiry runs on the backend's clock)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from kafkatui.backends.base import Backend
from kafkatui.common.clients import ConsumerConfig
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.rest import errors
from kafkatui.ecosystem.rest.decode import RecordDecoder
from kafkatui.ecosystem.rest.formats import EmbeddedFormat
from kafkatui.ecosystem.rest.instance import ConsumerInstance, InstanceConfig
from kafkatui.ecosystem.serde.client import RegistryClient

log = logging.getLogger("kafkatui.ecosystem.rest")

INSTANCE_TIMEOUT_MS = 300_000  # consumer.instance.timeout.ms
REQUEST_TIMEOUT_MS = 1_000  # consumer.request.timeout.ms: how long a read waits at most
REQUEST_MAX_BYTES = 64 * 1024 * 1024  # consumer.request.max.bytes
EXPIRY_CHECK_MS = 1_000  # Confluent's ExpirationThread looks once a second


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return int(value)  # Confluent's fields are strings or numbers
    except (TypeError, ValueError):
        raise errors.invalid_consumer_config(f"{name} must be an integer, not {value!r}") from None


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise errors.invalid_consumer_config(
        f"Invalid value {value} for configuration enable.auto.commit: "
        "Expected value to be either true or false"
    )


def instance_config(group: str, body: Any) -> InstanceConfig:
    """CreateConsumerInstanceRequest: `name` (or the older `id`), `format` (binary by
    default), `auto.offset.reset`, `auto.commit.enable`, `fetch.min.bytes`,
    `consumer.request.timeout.ms`. Invalid consumer configs are 42204."""
    if not isinstance(body, dict):
        raise errors.bad_request("the request must be a JSON object")
    name = body.get("id") or body.get("name") or f"rest-consumer-{uuid.uuid4()}"
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise errors.unprocessable(f"invalid consumer instance name {name!r}")
    fmt = EmbeddedFormat.parse(body.get("format", "binary"))
    if fmt is None:
        raise errors.unprocessable("Invalid format type.")
    auto_commit = _flag(body.get("auto.commit.enable"))
    try:
        consumer = ConsumerConfig(
            group_id=group,
            client_id=name,  # what the group's members list shows (the Groups panel)
            auto_offset_reset=str(body.get("auto.offset.reset") or "latest"),
            # Committed here, not by the client (instance.py says why).
            enable_auto_commit=False,
        )
    except KafkaError as error:
        raise errors.invalid_consumer_config(error.message) from None
    return InstanceConfig(
        name,
        fmt,
        consumer,
        _optional_int(body, "fetch.min.bytes"),
        _optional_int(body, "consumer.request.timeout.ms"),
        auto_commit=True if auto_commit is None else auto_commit,
    )


class ConsumerManager:
    def __init__(
        self,
        backend: Backend,
        registry: RegistryClient | None,
        *,
        instance_timeout_ms: int = INSTANCE_TIMEOUT_MS,
        request_timeout_ms: int = REQUEST_TIMEOUT_MS,
        request_max_bytes: int = REQUEST_MAX_BYTES,
    ) -> None:
        self.backend = backend
        self.registry = registry
        self.instance_timeout_ms = instance_timeout_ms
        self.request_timeout_ms = request_timeout_ms
        self.request_max_bytes = request_max_bytes
        self._instances: dict[tuple[str, str], ConsumerInstance] = {}
        self._expiry: asyncio.Task[None] | None = None
        # Told of an instance closed without a request for it: "expired", "shutdown".
        self.on_closed: Callable[[ConsumerInstance, str], None] | None = None

    def now_ms(self) -> int:
        return self.backend.clock.now_ms()

    def start(self) -> None:
        self._expiry = asyncio.create_task(self._expire_idle(), name="rest-proxy-consumer-expiry")

    def create(self, group: str, body: Any) -> ConsumerInstance:
        config = instance_config(group, body)
        key = (group, config.name)
        if key in self._instances:
            raise errors.instance_exists()
        instance = ConsumerInstance(
            self.backend, group, config, RecordDecoder(config.format, self.registry), self.now_ms()
        )
        self._instances[key] = instance
        return instance

    def get(self, group: str, name: str) -> ConsumerInstance:
        """The instance, its idle time reset (any request counts as activity)."""
        instance = self._instances.get((group, name))
        if instance is None:
            raise errors.instance_not_found()
        instance.last_used_ms = self.now_ms()
        return instance

    def instances(self) -> list[ConsumerInstance]:
        return list(self._instances.values())

    async def delete(self, group: str, name: str) -> None:
        instance = self.get(group, name)
        del self._instances[(group, name)]
        async with instance.lock:
            await instance.close(self.now_ms())

    def read_wait_ms(self, instance: ConsumerInstance, timeout_ms: int) -> int:
        """How long a read may wait: its `timeout`, at most consumer.request.timeout.ms
        (the instance's own, else the service's), as KafkaConsumerReadTask."""
        limit = instance.config.request_timeout_ms or self.request_timeout_ms
        return limit if timeout_ms <= 0 else min(timeout_ms, limit)

    def read_max_bytes(self, max_bytes: int) -> int:
        return self.request_max_bytes if max_bytes <= 0 else min(max_bytes, self.request_max_bytes)

    async def _expire_idle(self) -> None:
        clock = self.backend.clock
        while True:
            await clock.sleep(min(EXPIRY_CHECK_MS, self.instance_timeout_ms / 2) / 1000)
            now = self.now_ms()
            for key, instance in list(self._instances.items()):
                busy = instance.lock.locked()
                if not busy and now - instance.last_used_ms >= self.instance_timeout_ms:
                    del self._instances[key]
                    log.info("REST consumer %s/%s expired (consumer.instance.timeout.ms)", *key)
                    self._closed(instance, "expired")
                    with contextlib.suppress(Exception):  # a broker being down must not stop expiry
                        await instance.close(now)

    async def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
            self._expiry = None
        for instance in self._instances.values():
            self._closed(instance, "shutdown")
            with contextlib.suppress(Exception):
                await instance.close(self.now_ms())
        self._instances.clear()

    def _closed(self, instance: ConsumerInstance, reason: str) -> None:
        if self.on_closed is not None:
            self.on_closed(instance, reason)
