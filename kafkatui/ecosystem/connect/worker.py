"""The Connect worker: connectors and their tasks over a `Backend`, their state in the
three internal topics (`storage.py`). What the REST API asks of a Connect cluster, it
does here: create, reconfigure, pause, resume, stop, restart, delete, and report status.

Alone (`distributed=False`), this worker is its own cluster's leader: it writes
connector configs and their task configs and applies them as read back from
connect-configs; with `offset_storage_file` it is connect-standalone.sh's worker, its
configs and statuses in memory and its offsets in that file (`standalone.py`).
Distributed, it joins its Connect group (`group.py`): config changes and task configs
are written by the group's leader (others forward them to it, `forward.py`) and each
worker runs only the connectors and tasks it is assigned (`reconcile`)."""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafkatui.backends.base import Backend
from kafkatui.ecosystem.connect import eos, standalone, validation
from kafkatui.ecosystem.connect.api import Connector, ConnectorContext
from kafkatui.ecosystem.connect.converters import make_converter
from kafkatui.ecosystem.connect.group import WorkerGroup
from kafkatui.ecosystem.connect.plugins import PluginDesc, Plugins
from kafkatui.ecosystem.connect.protocol import CONNECTOR_TASK
from kafkatui.ecosystem.connect.storage import ConfigStore, OffsetStore, Status, StatusStore, TargetState
from kafkatui.ecosystem.connect.tasks import WorkerSinkTask, WorkerSourceTask, WorkerTask, call
from kafkatui.ecosystem.connect.worker_views import WorkerViews

log = logging.getLogger("kafkatui.ecosystem.connect")


@dataclass(frozen=True)
class WorkerConfig:
    """The worker's own settings, with Kafka's names (DistributedConfig) and defaults."""

    worker_id: str = "127.0.0.1:8083"  # the REST host:port, as Connect names a worker
    rest_advertised_listener: str = "http"  # rest.advertised.listener: http, or https behind TLS
    group_id: str = "connect-cluster"
    config_storage_topic: str = "connect-configs"
    offset_storage_topic: str = "connect-offsets"
    offset_storage_partitions: int = 25
    status_storage_topic: str = "connect-status"
    status_storage_partitions: int = 5
    offset_flush_interval_ms: int = 60_000
    task_shutdown_graceful_timeout_ms: int = 5_000
    key_converter: str = validation.JSON_CONVERTER  # connect-distributed.properties' choice
    value_converter: str = validation.JSON_CONVERTER
    distributed: bool = False  # join group.id and run only what the leader assigns
    session_timeout_ms: int = 10_000  # DistributedConfig's defaults
    rebalance_timeout_ms: int = 60_000
    heartbeat_interval_ms: int = 3_000
    scheduled_rebalance_max_delay_ms: int = 300_000  # KIP-415: lost work waits this long
    exactly_once_source_support: str = eos.DISABLED  # KIP-618: disabled | preparing | enabled
    # Standalone mode (connect-standalone.sh): configs and statuses in memory, source
    # offsets in this file (offset.storage.file.filename); no internal topics.
    offset_storage_file: str | None = None


class ConnectError(Exception):
    """A request Connect refuses: its HTTP status and message (ConnectRestException)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(name: str) -> ConnectError:
    return ConnectError(404, f"Connector {name} not found")


def _text(value: Any) -> str:
    """A JSON number or boolean in a config as Connect keeps it: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Worker(WorkerViews):
    def __init__(
        self, backend: Backend, config: WorkerConfig | None = None, plugins: Plugins | None = None
    ) -> None:
        self.backend = backend
        self.config = config or WorkerConfig()
        self.plugins = plugins or Plugins()
        # KIP-618: with exactly-once source support the leader writes connect-configs
        # in transactions of its own id (storage.ConfigStore).
        leader_id = eos.leader_transactional_id(self.config.group_id) if self.exactly_once else None
        self.configs = ConfigStore(backend, self.config.config_storage_topic, transactional_id=leader_id)
        self.offsets = OffsetStore(
            backend,
            self.config.offset_storage_topic,
            self.config.offset_storage_partitions,
            read_committed=self.exactly_once,
        )
        self._connector_offsets: dict[str, OffsetStore] = {}  # by offsets.storage.topic
        self.status = StatusStore(
            backend, self.config.status_storage_topic, self.config.status_storage_partitions
        )
        if self.config.offset_storage_file is not None:
            standalone.use_local_storage(self, Path(self.config.offset_storage_file))
        self.connectors: dict[str, Connector] = {}
        self.tasks: dict[tuple[str, int], WorkerTask] = {}
        self.lock = asyncio.Lock()
        self.generation = 0
        self.started = False
        self.group: WorkerGroup | None = None
        self.assigned: set[tuple[str, int]] = set()
        self._connector_props: dict[str, dict[str, str]] = {}
        self._running_task_props: dict[tuple[str, int], dict[str, str]] = {}
        # Which task-config commit each running task was started from: a newer commit,
        # even with equal configs, restarts it (DistributedHerder's taskConfigUpdates).
        self._running_task_commit: dict[tuple[str, int], int] = {}
        self._targets: dict[str, str] = {}
        self._unpublished: set[str] = set()  # connectors whose new task configs the leader has not got

    def owns(self, name: str, number: int = CONNECTOR_TASK) -> bool:
        """Whether this worker runs that connector (number -1) or task: standalone, all."""
        return self.group is None or (name, number) in self.assigned

    @property
    def cluster_id(self) -> str | None:
        """The Kafka cluster's id, where the backend tells it (the Backend interface has
        no DescribeCluster yet: then null)."""
        value = getattr(self.backend, "cluster_id", None)
        return value if isinstance(value, str) else None

    @property
    def flush_interval_s(self) -> float:
        return self.config.offset_flush_interval_ms / 1000

    def now_ms(self) -> int:
        """The cluster's time (the backend's clock): what the assignor's scheduled
        rebalance delay is measured in, as the coordinator measures sessions."""
        return self.backend.clock.now_ms()

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Create or read the internal topics, then start every connector they hold in
        its target state (a restarted worker resumes its sources at their offsets)."""
        await self.configs.start()
        for store in (self.offsets, self.status):
            await store.log.start()
        self.generation = max([s.generation for s in self.status.connectors.values()] + [0]) + 1
        self.started = True
        if self.config.distributed:
            self.group = WorkerGroup(self)
            self.group.start()
            return
        await self.configs.claim_write_privileges()  # alone, this worker is the leader
        async with self.lock:
            for name in list(self.configs.state.connectors):
                await self._start_connector(name)

    async def close(self) -> None:
        """Stop every task (each commits its offsets), every connector, then say so in
        connect-status (UNASSIGNED, as a worker leaving its group does)."""
        async with self.lock:
            for name in {*self.connectors, *(c for c, _ in self.tasks)}:
                await self._stop_connector(name, status="UNASSIGNED")
        if self.group is not None:
            await self.group.stop()
        await self.configs.relinquish_write_privileges()
        for store in (self.status, *self._connector_offsets.values(), self.offsets, self.configs):
            try:
                await store.log.flush() if store.log._producer is not None else None
            except Exception as error:
                log.debug("flushing %s: %s", store.log.topic, error)
            await store.log.close()
        self.started = False

    # --- statuses ---------------------------------------------------------------------

    async def put_task_status(self, name: str, number: int, state: str, trace: str | None = None) -> None:
        await self.status.put_task(name, number, Status(state, self.config.worker_id, trace, self.generation))

    async def _connector_status(self, name: str, state: str, trace: str | None = None) -> None:
        await self.status.put_connector(name, Status(state, self.config.worker_id, trace, self.generation))

    # --- connectors -------------------------------------------------------------------

    def plugin_of(self, props: dict[str, str]) -> PluginDesc:
        return self.plugins.find(props.get("connector.class", ""))

    async def _start_connector(self, name: str) -> None:
        """Start the Connector object (unless it runs), store its task configs if they
        changed (restarting the tasks then), and start every task not running."""
        props = self.configs.state.connectors[name]
        target = self.configs.state.target_states.get(name, TargetState.STARTED)
        if target == TargetState.STOPPED:
            if self.owns(name):
                await self._connector_status(name, "STOPPED")
            return
        if not self.owns(name):  # another worker runs the Connector object: only our tasks
            for number in range(len(self.configs.state.tasks.get(name, []))):
                if (name, number) not in self.tasks and self.owns(name, number):
                    await self._start_task(name, number)
            return
        try:
            plugin = self.plugin_of(props)
            connector = self.connectors.get(name)
            if connector is None:
                connector = plugin.cls()
                connector.initialize(ConnectorContext(name))
                await call(connector.start, dict(props))
                self.connectors[name] = connector
                self._connector_props[name] = dict(props)
            task_configs = await call(connector.task_configs, int(props.get("tasks.max", "1")))
            full = [self._task_props(plugin, props, connector, dict(c)) for c in task_configs]
        except Exception:
            log.warning("connector %s failed", name, exc_info=True)
            self.connectors.pop(name, None)
            await self._connector_status(name, "FAILED", traceback.format_exc())
            return
        await self._connector_status(name, "PAUSED" if target == TargetState.PAUSED else "RUNNING")
        if self._task_configs_changed(name, full):
            await self._stop_tasks(name)
            if not await self._publish_task_configs(name, full):
                self._unpublished.add(name)  # the leader could not be asked: the next tick tries again
                return
        self._unpublished.discard(name)
        for number in range(len(self.configs.state.tasks.get(name, []))):
            if (name, number) not in self.tasks and self.owns(name, number):
                await self._start_task(name, number)

    def _task_configs_changed(self, name: str, configs: list[dict[str, str]]) -> bool:
        """AbstractHerder.taskConfigsChanged: other task configs, or the same ones
        generated from a connector config that changed since they were written (Kafka
        3.9, KAFKA-9228: a converter, transform or errors.* change reaches the tasks,
        which are restarted even though the connector gives them equal configs)."""
        s = self.configs.state
        return s.tasks.get(name) != configs or s.applied.get(name) != s.connectors.get(name)

    @staticmethod
    def _task_props(
        plugin: PluginDesc, props: dict[str, str], connector: Connector, own: dict[str, str]
    ) -> dict[str, str]:
        """A task's config as Connect stores it: the connector's, with task.class, and a
        sink's topics."""
        package = plugin.class_name.rsplit(".", 1)[0]
        own["task.class"] = f"{package}.{connector.task_class().__name__}"
        if plugin.kind == "sink":
            own["topics"] = props.get("topics", "")
        return {k: str(v) for k, v in own.items()}

    async def _publish_task_configs(self, name: str, configs: list[dict[str, str]]) -> bool:
        """New task configs go to connect-configs through the leader only (a follower
        sends them with Kafka's internal POST /connectors/{c}/tasks); False if it could
        not be reached."""
        if self.group is None or self.group.is_leader:
            await self.write_task_configs(name, configs)
            return True
        try:
            await self.group.ask_leader("POST", f"/connectors/{name}/tasks", configs)
        except Exception as error:
            log.warning("could not send %s's task configs to the leader: %s", name, error)
            return False
        await self.configs.log.read_to_end()
        return True

    async def write_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        """The leader's part (DistributedHerder.putTaskConfigs): write them, then, for a
        source connector with exactly-once support, the fencing round."""
        self.require(name)
        if self.group is not None and not self.group.is_leader:
            raise ConnectError(
                409, "Cannot complete request because of a conflicting operation (not the leader)"
            )
        await self.configs.put_task_configs(name, configs)
        if self.kind(name) == "source":
            await self.request_fencing(name)

    async def request_fencing(self, name: str) -> None:
        """After new task configs of a source connector: the fencing round (KIP-618),
        by the leader (a follower asks it: PUT /connectors/{c}/fence)."""
        if self.config.exactly_once_source_support == eos.DISABLED:
            return
        if self.group is None or self.group.is_leader:
            await self.fence_zombies(name)
        else:
            try:
                await self.group.ask_leader("PUT", f"/connectors/{name}/fence")
            except Exception as error:  # its tasks wait; the next tick asks again
                log.warning("could not ask the leader to fence %s's zombies: %s", name, error)

    async def fence_zombies(self, name: str) -> None:
        """DistributedHerder.fenceZombieSourceTasks: InitProducerId for the transactional
        id of every task of the previous generation (a zombie's next write then fails
        with PRODUCER_FENCED and its open transaction is aborted), then the task count
        record that lets the new generation start. With `preparing`, only the record."""
        self.require(name)
        s = self.configs.state
        count = len(s.tasks.get(name, []))
        if self.exactly_once:
            previous = s.task_counts.get(name, count)  # none yet: fence this generation's ids
            for number in range(previous):
                await self.backend.fence_transaction(eos.transactional_id(self.config.group_id, name, number))
        await self.configs.put_task_count(name, count)

    def _fencing_pending(self, name: str, kind: str) -> bool:
        return self.exactly_once and kind == "source" and name in self.configs.state.pending_fencing

    async def _start_task(self, name: str, number: int) -> None:
        props = self.configs.state.connectors[name]
        task_props = self.configs.state.tasks[name][number]
        paused = self.configs.state.target_states.get(name) == TargetState.PAUSED
        try:
            connector = self.connectors.get(name) or self.plugin_of(props).cls()
            task = connector.task_class()()
            keys = make_converter(props.get("key.converter") or self.config.key_converter, props, True)
            values = make_converter(props.get("value.converter") or self.config.value_converter, props, False)
        except Exception:
            await self.put_task_status(name, number, "FAILED", traceback.format_exc())
            return
        if self._fencing_pending(name, connector.kind):
            if self.owns(name):  # the round this worker asked for did not happen: again
                await self.request_fencing(name)
            if self._fencing_pending(name, connector.kind):
                log.info("task %s-%d waits for its connector's zombie fencing", name, number)
                return
        kind: type[WorkerTask] = WorkerSinkTask
        if connector.kind == "source":
            kind = eos.ExactlyOnceWorkerSourceTask if self.exactly_once else WorkerSourceTask
        worker_task = kind(
            self, name, number, task, task_props, keys, values, props.get("errors.tolerance") == "all"
        )
        self.tasks[(name, number)] = worker_task
        self._running_task_props[(name, number)] = dict(task_props)
        self._running_task_commit[(name, number)] = self.configs.state.commits.get(name, 0)
        await self.put_task_status(name, number, "UNASSIGNED" if not paused else "PAUSED")
        worker_task.start(paused)

    async def _stop_tasks(
        self, name: str, *, status: str | None = None, only: set[int] | None = None
    ) -> None:
        timeout = self.config.task_shutdown_graceful_timeout_ms / 1000
        for (connector, number), task in list(self.tasks.items()):
            if connector == name and (only is None or number in only):
                await task.stop(timeout)
                del self.tasks[(connector, number)]
                self._running_task_props.pop((connector, number), None)
                self._running_task_commit.pop((connector, number), None)
                if (
                    status is not None
                    and self.status.tasks.get((name, number), Status("", "")).state != "FAILED"
                ):
                    await self.put_task_status(name, number, status)

    async def _stop_connector(self, name: str, *, status: str | None = None) -> None:
        await self._stop_tasks(name, status=status)
        await self._stop_connector_only(name)
        if status is not None and name in self.status.connectors:
            await self._connector_status(name, status)

    # --- distributed mode --------------------------------------------------------------

    async def reconcile(self, assigned: set[tuple[str, int]]) -> None:
        """Run exactly what this worker is assigned, as connect-configs has it now: stop
        what moved away, was deleted or was reconfigured, start what is missing, and
        apply pause/resume (the DistributedHerder's tick)."""
        async with self.lock:
            self.assigned = set(assigned)
            s = self.configs.state
            for (name, number), _task in list(self.tasks.items()):
                configs = s.tasks.get(name, [])
                current = configs[number] if number < len(configs) else None
                if (
                    not self.owns(name, number)
                    or current != self._running_task_props.get((name, number))
                    or s.commits.get(name, 0) != self._running_task_commit.get((name, number))
                ):
                    await self._stop_tasks(name, only={number})
            for name in list(self.connectors):
                target = s.target_states.get(name, TargetState.STARTED)
                if (
                    not self.owns(name)
                    or s.connectors.get(name) != self._connector_props.get(name)
                    or target == TargetState.STOPPED
                ):
                    await self._stop_connector_only(name)
            for name in list(s.connectors):
                target = s.target_states.get(name, TargetState.STARTED)
                count = len(s.tasks.get(name, []))
                missing = (
                    self.owns(name)
                    and (name not in self.connectors or name in self._unpublished)
                    and target != TargetState.STOPPED
                ) or any(self.owns(name, n) and (name, n) not in self.tasks for n in range(count))
                if missing:
                    await self._start_connector(name)
                elif self._targets.get(name, target) != target:
                    for (connector, _), task in self.tasks.items():
                        if connector == name:
                            task.set_paused(target == TargetState.PAUSED)
                    if name in self.connectors:
                        await self._connector_status(
                            name, "PAUSED" if target == TargetState.PAUSED else "RUNNING"
                        )
                self._targets[name] = target
            await self._apply_restart_requests()

    # --- what the REST API asks -------------------------------------------------------

    def require(self, name: str) -> dict[str, str]:
        props = self.configs.state.connectors.get(name)
        if props is None:
            raise not_found(name)
        return props

    def validate(self, plugin_name: str, props: dict[str, Any]) -> dict[str, Any]:
        return validation.validate(
            self.plugins.find(plugin_name), props, self.plugins, exactly_once=self.exactly_once
        )

    async def put_connector(self, name: str, props: dict[str, Any]) -> bool:
        """Create or reconfigure; True if it was created."""
        if "connector.class" not in props:
            raise ConnectError(400, f"Connector config {props} contains no connector type")
        plugin = self.plugin_of(props)
        props = {
            k: v if isinstance(v, str) else _text(v)
            for k, v in {**props, "name": name}.items()
            if v is not None
        }
        infos = validation.validate(plugin, props, self.plugins, exactly_once=self.exactly_once)
        if infos["error_count"]:
            errors = validation.problems(infos)
            raise ConnectError(
                400,
                f"Connector configuration is invalid and contains the following {len(errors)} error(s):\n"
                + "\n".join(errors)
                + "\nYou can also find the above list of errors at the endpoint "
                "`/connector-plugins/{connectorType}/config/validate`",
            )
        async with self.lock:
            created = name not in self.configs.state.connectors
            if self.group is not None:  # the leader writes; the owners see it (reconcile)
                await self.configs.put_connector(name, props)
                if created:
                    await self.configs.put_target_state(name, TargetState.STARTED)
                    self.group.request_rebalance()  # new work to assign
                return created
            if not created:
                await self._stop_connector(name)
            await self.configs.put_connector(name, props)
            if created:
                await self.configs.put_target_state(name, TargetState.STARTED)
            await self._start_connector(name)
        return created

    async def delete(self, name: str) -> None:
        async with self.lock:
            self.require(name)
            tasks = len(self.configs.state.tasks.get(name, []))
            if self.group is None:
                await self._stop_connector(name)
            await self.configs.remove_connector(name)
            await self.status.delete_connector(name, tasks)

    async def set_target(self, name: str, state: str) -> None:
        """PUT .../pause, .../resume, .../stop."""
        async with self.lock:
            self.require(name)
            before = self.configs.state.target_states.get(name, TargetState.STARTED)
            await self.configs.put_target_state(name, state)
            if self.group is not None:
                if state == TargetState.STOPPED:
                    await self.configs.put_task_configs(name, [])
                self.group.request_rebalance()
                return
            if state == TargetState.STOPPED:
                await self._stop_connector(name)
                await self.configs.put_task_configs(name, [])  # KIP-875: a stopped connector has no tasks
                await self._connector_status(name, "STOPPED")
            elif before == TargetState.STOPPED or name not in self.connectors:
                await self._start_connector(name)
            else:
                for (connector, _), task in self.tasks.items():
                    if connector == name:  # the task says PAUSED once its loop has paused
                        task.set_paused(state == TargetState.PAUSED)
                await self._connector_status(name, "PAUSED" if state == TargetState.PAUSED else "RUNNING")

    def _failed(self, name: str, number: int | None = None) -> bool:
        status = self.status.connectors.get(name) if number is None else self.status.tasks.get((name, number))
        return status is not None and status.state == "FAILED"

    def _restart_plan(self, name: str, include_tasks: bool, only_failed: bool) -> tuple[bool, set[int]]:
        """What a restart request covers: the Connector object, and which tasks."""
        numbers = range(len(self.configs.state.tasks.get(name, [])))
        connector = not only_failed or self._failed(name)
        tasks = {n for n in numbers if include_tasks and (not only_failed or self._failed(name, n))}
        return connector, tasks

    async def restart(self, name: str, include_tasks: bool, only_failed: bool) -> dict[str, Any] | None:
        """POST .../restart: without either flag only the Connector object restarts (204);
        with them, the plan answered as 202 with RESTARTING states (KIP-745).
        Distributed, the flagged kind is the leader's (forward.py sends it there): it
        writes a restart request to connect-configs, and each worker restarts what it
        runs of the plan when it reads it; the plain kind runs on the connector's owner."""
        async with self.lock:
            self.require(name)
            connector, tasks = self._restart_plan(name, include_tasks, only_failed)
            plan = None
            if include_tasks or only_failed:
                plan = self.status_info(name)
                if connector:
                    plan["connector"]["state"] = "RESTARTING"
                for task in plan["tasks"]:
                    if task["id"] in tasks:
                        task["state"] = "RESTARTING"
                if self.group is not None:
                    await self.configs.put_restart_request(name, include_tasks, only_failed)
                    return plan
            await self._restart_owned(name, connector, tasks)
            return plan

    async def _restart_owned(self, name: str, connector: bool, tasks: set[int]) -> None:
        tasks = {n for n in tasks if self.owns(name, n)}
        await self._stop_tasks(name, only=tasks)
        for number in tasks:
            await self.put_task_status(name, number, "RESTARTING")
        if connector and self.owns(name):
            await self._stop_connector_only(name)
            await self._connector_status(name, "RESTARTING")
        await self._start_connector(name)  # the connector if it is not running, then missing tasks

    async def _apply_restart_requests(self) -> None:
        """The restart requests read from connect-configs since the last tick (KIP-745's
        RestartRequest), each for the part of its plan this worker runs."""
        requests, self.configs.state.restarts = self.configs.state.restarts, []
        for name, include_tasks, only_failed in requests:
            if name in self.configs.state.connectors:
                connector, tasks = self._restart_plan(name, include_tasks, only_failed)
                await self._restart_owned(name, connector, tasks)

    async def _stop_connector_only(self, name: str) -> None:
        connector = self.connectors.pop(name, None)
        self._connector_props.pop(name, None)
        if connector is not None:
            try:
                await call(connector.stop)
            except Exception:
                log.exception("stopping connector %s", name)

    async def restart_task(self, name: str, number: int) -> None:
        async with self.lock:
            self.require(name)
            if number >= len(self.configs.state.tasks.get(name, [])):
                raise ConnectError(404, f"Task {name}-{number} not found")
            if not self.owns(name, number):  # forward.py sends it to the owner first
                raise ConnectError(409, "Cannot restart task since it is not assigned to this member")
            await self._stop_tasks(name, only={number})
            await self._start_task(name, number)
