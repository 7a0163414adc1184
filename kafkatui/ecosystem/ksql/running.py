"""Queries as they run over a Backend: a persistent query is a `KafkaStreams` application
(`_confluent-ksql-<service id>query_<query id>`, so its offsets and state survive a
restart); a push query is a transient one (`…transient_<n>_<ms>`) whose rows go to an
asyncio queue the client reads; a pull query reads the persistent query's store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.ecosystem.ksql.compiler import Plan
from kafkatui.ecosystem.ksql.errors import ErrorCode, KsqlError
from kafkatui.ecosystem.streams.runtime import KafkaStreams

DONE = object()


def streams_config(app_id: str, state_dir: Path, commit_interval_ms: int) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "state.dir": str(state_dir),
        "commit.interval.ms": commit_interval_ms,
        # ksqlDB's LogMetricAndContinueExceptionHandler: a record that does not read is
        # logged (the processing log) and skipped, never the end of the query.
        "default.deserialization.exception.handler": "logAndContinue",
    }


@dataclass
class RunningQuery:
    query_id: str
    plan: Plan
    streams: KafkaStreams

    def store_rows(self) -> list[tuple[Any, Any]]:
        """Every (key, aggregate) the query's store holds, over its tasks."""
        rows: list[tuple[Any, Any]] = []
        for task in self.streams.tasks.values():
            store = task.stores.get(self.plan.store) if self.plan.store else None
            if store is not None:  # a session store's keys are the sessions' windowed keys
                rows.extend(store.all())
        return rows


async def start_streams(
    plan: Plan, backend: Backend, app_id: str, state_dir: Path, commit_interval_ms: int
) -> KafkaStreams:
    streams = KafkaStreams(
        plan.builder.build(), streams_config(app_id, state_dir, commit_interval_ms), backend
    )
    await streams.start()
    return streams


async def latest_offsets(backend: Backend, topic: str) -> dict[int, int]:
    partitions = range(len(backend.describe_topic(topic).partitions))
    return await backend.list_offsets(topic, list(partitions), LATEST_TIMESTAMP)


@dataclass
class PushQuery:
    """A transient query: its rows (or DONE) in `queue`; `close` stops its application."""

    query_id: str
    plan: Plan
    limit: int | None
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    streams: KafkaStreams | None = None
    emitted: int = 0
    topics: frozenset[str] = frozenset()  # the topics it reads: one deleted ends it
    # Why it ended, when not by its LIMIT or a close: what the client is told last.
    error: KsqlError | None = None
    _closing: asyncio.Future[None] | None = None

    def offer(self, key: Any, row: dict[str, Any] | None, timestamp: int) -> None:
        if self.limit is not None and self.emitted >= self.limit:
            return
        if row is None:
            if self.plan.kind != "TABLE":
                return
            # A deleted table row: ksqlDB's push query gives the key with nulls.
            key_values = key.key if hasattr(key, "window") else key
            row = {self.plan.names[0]: key_values} if self.plan.names else {}
        self.emitted += 1
        self.queue.put_nowait([row.get(n) for n in self.plan.names])
        if self.limit is not None and self.emitted >= self.limit:
            self.queue.put_nowait(DONE)

    async def rows(
        self, gone: Callable[[], bool] | None = None, poll_s: float = 0.2
    ) -> AsyncIterator[list[Any]]:
        """The rows until the LIMIT or `close`; with `gone`, also until it says the
        reader went away (checked every `poll_s` while no row comes): aiohttp does not
        cancel a handler whose client disconnected, and a query with no new rows would
        otherwise wait for one forever, its transient topics kept. Also until a topic it
        reads is gone, then with `error` set."""
        while True:
            try:
                item = await asyncio.wait_for(self.queue.get(), poll_s)
            except TimeoutError:
                if gone is not None and gone():
                    return
                self.error = self.error or self._source_missing()
                if self.error is not None:
                    return
                continue
            if item is DONE:
                return
            yield item

    def _source_missing(self) -> KsqlError | None:
        """A topic it reads deleted (a DROP … DELETE TOPIC, a lesson's reset): Kafka
        Streams' MissingSourceTopicException ends the application, and ksqlDB the push
        query with it, its client told why (a server error, 50000)."""
        if self.streams is None or not self.topics:
            return None
        present = set(self.streams.backend.topic_names())
        missing = sorted(self.topics - present)
        return self.missing_error(missing) if missing else None

    def missing_error(self, topics: list[str]) -> KsqlError:
        return KsqlError(
            f"Query {self.query_id} terminated: MissingSourceTopicException: One or more source "
            f"topics were missing during rebalance (topic {', '.join(topics)} does not exist any more)",
            ErrorCode.SERVER_ERROR,
        )

    def fail(self, error: KsqlError) -> None:
        """End the rows with `error` (the engine deleted a topic it reads: a poll could
        miss a topic made again at once, as a lesson's reset does)."""
        if self.error is None:
            self.error = error
            self.queue.put_nowait(DONE)

    async def close(self) -> None:
        """End the query and clean up after it; every caller returns only once that is
        done (the REST handler whose client left and the server's own shutdown may both
        call it: one returning early let the cluster close under the other's cleanup,
        which then hung or left the topics). Shielded: a cancelled caller does not stop it."""
        self.queue.put_nowait(DONE)
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._cleanup())
        await asyncio.shield(self._closing)

    async def _cleanup(self) -> None:
        if self.streams is None:
            return
        streams, self.streams = self.streams, None
        with contextlib.suppress(Exception):
            await streams.close()
        # A transient query leaves nothing behind, as ksqlDB cleans up after one: its
        # repartition and changelog topics and its consumer group go with it.
        backend = streams.backend
        for topic in backend.topic_names(include_internal=True):
            if topic.startswith(f"{self.query_id}-"):
                with contextlib.suppress(Exception):
                    await backend.delete_topic(topic)
        with contextlib.suppress(Exception):
            await backend.delete_group(self.query_id)


def transient_id(service_id: str, counter: int) -> str:
    return f"_confluent-ksql-{service_id}transient_{counter}_{int(time.time() * 1000)}"
