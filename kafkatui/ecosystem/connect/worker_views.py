"""What the worker reports and reads besides running things (split from `worker.py`):
ConnectorInfo, ConnectorStateInfo, task configs, active topics and offsets as the REST
API returns them, and where a connector's source offsets are read and written (its own
`offsets.storage.topic`, falling back to the worker's: ConnectorOffsetBackingStore)."""

from __future__ import annotations

import json
from typing import Any

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.connect import eos
from kafkatui.ecosystem.connect.plugins import PluginDesc
from kafkatui.ecosystem.connect.storage import ConfigStore, OffsetStore, Status, StatusStore


class _OffsetReader:
    """A connector's offsets: from its own offsets.storage.topic, falling back to the
    worker's (Kafka's ConnectorOffsetBackingStore)."""

    def __init__(self, stores: list[OffsetStore], connector: str) -> None:
        self.stores = stores
        self.connector = connector

    def offset(self, partition: Any) -> dict[str, Any] | None:
        for store in self.stores:
            found = store.get(self.connector, dict(partition))
            if found is not None:
                return found
        return None


class WorkerViews:
    """Mixed into `Worker`, which sets these attributes and defines `require`."""

    backend: Backend
    config: Any  # WorkerConfig
    configs: ConfigStore
    offsets: OffsetStore
    status: StatusStore
    _connector_offsets: dict[str, OffsetStore]

    def require(self, name: str) -> dict[str, str]:
        raise NotImplementedError

    def plugin_of(self, props: dict[str, str]) -> PluginDesc:
        raise NotImplementedError

    @property
    def exactly_once(self) -> bool:
        """exactly.once.source.support=enabled: source tasks write in transactions."""
        return bool(self.config.exactly_once_source_support == eos.ENABLED)

    def _offset_stores(self, connector: str) -> list[OffsetStore]:
        props = self.configs.state.connectors.get(connector, {})
        own = self._connector_offsets.get(props.get(eos.OFFSETS_STORAGE_TOPIC) or "")
        return [own, self.offsets] if own is not None and own is not self.offsets else [self.offsets]

    def offset_reader(self, connector: str) -> _OffsetReader:
        return _OffsetReader(self._offset_stores(connector), connector)

    async def connector_offsets(self, connector: str) -> OffsetStore:
        """Where a connector's tasks write their offsets: its offsets.storage.topic
        (created, compacted, when first used) or the worker's."""
        props = self.configs.state.connectors.get(connector, {})
        topic = (props.get(eos.OFFSETS_STORAGE_TOPIC) or "").strip()
        if not topic or topic == self.offsets.log.topic or self.config.offset_storage_file is not None:
            return self.offsets
        store = self._connector_offsets.get(topic)
        if store is None:
            store = OffsetStore(
                self.backend, topic, self.config.offset_storage_partitions, read_committed=self.exactly_once
            )
            await store.log.start()
            self._connector_offsets[topic] = store
        return store

    async def read_offsets(self, connector: str | None = None) -> None:
        if connector is not None:
            await self.connector_offsets(connector)
        for store in self._offset_stores(connector) if connector is not None else [self.offsets]:
            await store.log.read_to_end()

    # --- reports (ConnectorInfo, ConnectorStateInfo) ----------------------------------

    def kind(self, name: str) -> str:
        try:
            return self.plugin_of(self.require(name)).kind
        except Exception:
            return "unknown"

    def info(self, name: str) -> dict[str, Any]:
        props = self.require(name)
        tasks = [{"connector": name, "task": n} for n in range(len(self.configs.state.tasks.get(name, [])))]
        return {"name": name, "config": dict(props), "tasks": tasks, "type": self.kind(name)}

    def task_state(self, name: str, number: int) -> dict[str, Any] | None:
        status = self.status.tasks.get((name, number))
        if status is None:
            return None
        out: dict[str, Any] = {"id": number, "state": status.state, "worker_id": status.worker_id}
        if status.trace:
            out["trace"] = status.trace
        return out

    def status_info(self, name: str) -> dict[str, Any]:
        self.require(name)
        status = self.status.connectors.get(name) or Status("UNASSIGNED", self.config.worker_id)
        connector: dict[str, Any] = {"state": status.state, "worker_id": status.worker_id}
        if status.trace:
            connector["trace"] = status.trace
        tasks = []
        for n in range(len(self.configs.state.tasks.get(name, []))):
            state = self.task_state(name, n)
            tasks.append(state or {"id": n, "state": "UNASSIGNED", "worker_id": self.config.worker_id})
        return {"name": name, "connector": connector, "tasks": tasks, "type": self.kind(name)}

    def task_infos(self, name: str) -> list[dict[str, Any]]:
        self.require(name)
        return [
            {"id": {"connector": name, "task": n}, "config": dict(c)}
            for n, c in enumerate(self.configs.state.tasks.get(name, []))
        ]

    def active_topics(self, name: str) -> list[str]:
        self.require(name)
        return sorted(self.status.topics.get(name, {}))

    async def offsets_of(self, name: str) -> list[dict[str, Any]]:
        """GET .../offsets (KIP-875): a source's from connect-offsets, a sink's its
        consumer group's committed offsets."""
        props = self.require(name)
        if self.kind(name) == "source":
            await self.read_offsets(name)
            found: dict[str, dict[str, Any]] = {}
            for store in reversed(self._offset_stores(name)):  # the connector's own win
                for p, o in store.of(name):
                    found[json.dumps(p, sort_keys=True)] = {"partition": p, "offset": o}
            return list(found.values())
        group = await self.backend.describe_group(f"connect-{name}")
        topics = {t.strip() for t in props.get("topics", "").split(",") if t.strip()}
        return [
            {
                "partition": {"kafka_topic": p.topic, "kafka_partition": p.partition},
                "offset": {"kafka_offset": p.committed},
            }
            for p in group.partitions
            if p.committed >= 0 and (not topics or p.topic in topics)
        ]
