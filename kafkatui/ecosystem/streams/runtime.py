"""KafkaStreams: a topology run on a cluster through the Backend (Kafka's
`KafkaStreams` with one StreamThread). The application id is the group, and the Streams
assignor (`membership.py`, `assignor.py`) gives each instance tasks
`<sub-topology>_<partition>` (each with that partition of all its sub-topology's source
topics) and standbys (`standby.py`). A task is created on assignment: its SQLite state
loaded, then its stores restored from their changelogs past the checkpoint (`restored`
counts the records). Rebalances are eager, as Kafka's before KIP-429: when the group
rebalances every task is committed, then the member rejoins, and what it no longer owns
is closed. Output and changelog records go through one producer; every
`commit.interval.ms` the runtime flushes the producer (at_least_once: all output
acknowledged), writes each task's and standby's state and checkpoint, then commits the
input offsets as this member of its generation. A record is never lost; after a crash
the records since the last commit are processed again. Under exactly_once_v2 the
output, the changelog records and the input offsets of a commit interval are one
transaction (KIP-447), read back read_committed: after a crash nothing is lost and
nothing is twice.

A `kill()` (the run's task cancelled) commits nothing and flushes nothing: what the next
start finds is what the last commit left, as after kill -9 (except that the member
leaves its group at once, so the others need not wait session.timeout.ms)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend
from kafkatui.common.clients import ConsumerConfig, ProducerConfig, RecordMetadata, TopicPartition
from kafkatui.common.clock import wait_event
from kafkatui.common.errors import KafkaError
from kafkatui.ecosystem.streams.config import EXACTLY_ONCE_V2, StreamsConfig
from kafkatui.ecosystem.streams.global_thread import GlobalStreamThread
from kafkatui.ecosystem.streams.internal_topics import Plan, prepare, resolver
from kafkatui.ecosystem.streams.membership import StreamsMembership, task_partition
from kafkatui.ecosystem.streams.metadata import (
    KeyQueryMetadata,
    StreamsMetadata,
    key_query_metadata,
    streams_metadata,
)
from kafkatui.ecosystem.streams.partition_group import PartitionGroup
from kafkatui.ecosystem.streams.protocol import LATEST_OFFSET, AssignmentInfo, SubscriptionInfo
from kafkatui.ecosystem.streams.queries import ReadOnlyKeyValueStore, ReadOnlyWindowStore
from kafkatui.ecosystem.streams.registry_serdes import (
    close_registry_serdes,
    configure_registry_serdes,
    prefetch_store_record,
)
from kafkatui.ecosystem.streams.serdes import Serde
from kafkatui.ecosystem.streams.standby import StandbyTask, StandbyUpdater
from kafkatui.ecosystem.streams.state import TaskState, process_id
from kafkatui.ecosystem.streams.stores import KeyValueStore, WindowStore
from kafkatui.ecosystem.streams.task import StreamsError, StreamTask
from kafkatui.ecosystem.streams.topology import Topology

log = logging.getLogger(__name__)

# Kafka's KafkaStreams.State
CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, ERROR = (
    "CREATED", "REBALANCING", "RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING", "ERROR",
)  # fmt: skip


MAX_POLL_RECORDS = 1000  # the stream thread's consumer's max.poll.records (Kafka's default)
BUFFERED_RECORDS_PER_PARTITION = 1000  # buffered.records.per.partition, Kafka's default


class KafkaStreams:
    def __init__(self, topology: Topology, config: dict[str, Any], backend: Backend) -> None:
        self.topology, self.backend = topology, backend
        self.config = StreamsConfig.of(config)
        self.state = CREATED
        self.on_state_change: Callable[[str, str], None] | None = None
        self.tasks: dict[str, StreamTask] = {}
        self.restored: dict[str, int] = {}  # changelog partition "topic-p" -> records restored
        self.loaded: dict[str, int] = {}  # task id -> entries read from its SQLite file
        self.error: BaseException | None = None
        self._subs = {s.id: s for s in topology.subtopologies()}
        self._resolve = resolver(self.config.application_id, topology)
        self._states: dict[str, TaskState] = {}
        self._by_partition: dict[tuple[str, int], StreamTask] = {}
        self._groups: dict[str, PartitionGroup] = {}  # task id -> its buffer, if several partitions
        self._consumed: dict[tuple[str, int], int] = {}
        self.committed: dict[tuple[str, int], int] = {}  # input offsets this instance committed
        self._written: dict[tuple[str, int], int] = {}  # changelog partition -> next offset acknowledged
        self._send_error: BaseException | None = None
        self._unacked: list[asyncio.Future[RecordMetadata]] = []
        self._run: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()  # close() cuts a poll short (Kafka's consumer.wakeup())
        self._commit_now = False
        self._closed_totals = {"processed": 0, "dropped": 0}
        self.skipped: list[Any] = []  # records log-and-continue skipped (topic, partition, offset, why)
        self.task_ids: set[str] = set()  # every task this instance ran
        self.standbys: dict[str, StandbyTask] = {}  # task id -> its warm copy here (standby.py)
        self._prefetch: dict[str, list[tuple[Any, bool]]] = {}  # source topic -> registry serdes

    @property
    def _isolation(self) -> str:
        # Under exactly-once only committed records are read: repartition topics, and
        # changelogs at restore (an aborted update never reaches a store).
        return "read_committed" if self.config.processing_guarantee == EXACTLY_ONCE_V2 else "read_uncommitted"

    def metrics(self) -> dict[str, int]:
        """process-total and dropped-records-total over every task this instance ran."""
        return {
            "process-total": self._closed_totals["processed"] + sum(t.processed for t in self.tasks.values()),
            "dropped-records-total": self._closed_totals["dropped"]
            + sum(t.dropped for t in self.tasks.values()),
        }

    def store(self, name: str, *, stale_stores: bool = False) -> ReadOnlyKeyValueStore:
        """Interactive queries (KIP-67): a read-only view of `name` over the local tasks,
        live (tasks that move in or out are seen on the next read). `stale_stores` adds
        the local standbys' copies (KIP-535's `StoreQueryParameters.enableStaleStores()`):
        an answer while the active is elsewhere or gone, perhaps behind it."""
        if name not in self.topology.stores:
            raise KeyError(f"no store named {name!r} in the topology")

        def live() -> list[KeyValueStore]:
            found = [t.stores[name] for t in self.tasks.values() if name in t.stores]
            if stale_stores:
                found += [s.stores[name] for s in self.standbys.values() if name in s.stores]
            return found

        windowed = isinstance(
            self.topology.stores[name].build(self.config.default_key_serde, self.config.default_value_serde),
            WindowStore,
        )
        return ReadOnlyWindowStore(name, live) if windowed else ReadOnlyKeyValueStore(name, live)

    def summary(self) -> str:
        m = self.metrics()
        restored = sum(self.restored.values())
        lines = [
            f"streams {self.config.application_id}: {self.state}; "
            f"tasks {', '.join(sorted(self.task_ids)) or 'none'}"
            + (f"; standby {', '.join(sorted(self.standbys))}" if self.standbys else ""),
            f"  processed {m['process-total']} records, dropped {m['dropped-records-total']}, "
            f"restored {restored} from the changelogs",
        ]
        lines += [
            f"  skipped {s.topic}-{s.partition} offset {s.offset}: {s.error}" for s in self.skipped[:10]
        ]
        return "\n".join(lines)

    def _retire(self, task: StreamTask) -> None:
        self._closed_totals["processed"] += task.processed
        self._closed_totals["dropped"] += task.dropped
        task.processed = task.dropped = 0
        task.close()

    def _set_state(self, state: str) -> None:
        old, self.state = self.state, state
        if self.on_state_change is not None and old != state:
            self.on_state_change(state, old)

    # --- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        """Create the internal topics, join the group and start processing in a task."""
        if self.state != CREATED:
            raise StreamsError(
                f"KafkaStreams is not in state CREATED (it is {self.state}): make a new instance"
            )
        self.plan: Plan = await prepare(
            self.backend, self.config.application_id, self.topology, self.config.replication_factor
        )
        self.global_thread = GlobalStreamThread(
            self.topology, self.config, self.backend, self._isolation, on_error=self._global_failed
        )
        await self.global_thread.start()  # global stores complete before any task runs
        self._prefetch = await configure_registry_serdes(self.topology, self.config, self._resolve)
        app = self.config.application_id
        self.process_id = process_id(self.config.state_dir, app)
        # Kafka's client.id default, and its threads' clients' ids (StreamThread#getConsumerClientId).
        client = self.config.client_id or f"{app}-{self.process_id}"
        self.thread_client_id = f"{client}-StreamThread-1"
        # exactly_once_v2 (KIP-447): one transactional producer per stream thread, with
        # Kafka's id `<application.id>-<processId>-<thread>`. The process id is kept in the
        # state directory, so a restarted instance fences the crashed one at once and its
        # open transaction is aborted, instead of waiting for the transaction timeout.
        self.eos = self.config.processing_guarantee == EXACTLY_ONCE_V2
        self.producer = self.backend.producer(
            ProducerConfig(
                acks="all", linger_ms=100, batch_size=65_536, enable_idempotence=True,
                transactional_id=f"{app}-{self.process_id}-1" if self.eos else None,
            )
        )  # fmt: skip
        if self.eos:
            await self.producer.init_transactions()
            self.producer.begin_transaction()
        self.consumer = self.backend.consumer(
            ConsumerConfig(
                group_id=app, client_id=f"{self.thread_client_id}-consumer", enable_auto_commit=False,
                auto_offset_reset="earliest", max_poll_records=MAX_POLL_RECORDS, fetch_max_wait_ms=100,
                isolation_level=self._isolation,
            )
        )  # fmt: skip
        changelogs_of = {
            sub.id: [self.plan.changelogs[s] for s in sorted(sub.stores) if s in self.plan.changelogs]
            for sub in self._subs.values()
        }
        self.membership = StreamsMembership(
            self.backend, self.config, self.plan, changelogs_of, self.process_id,
            f"{self.thread_client_id}-consumer",
        )  # fmt: skip
        self._standby = StandbyUpdater(
            self.backend, f"{self.thread_client_id}-restore-consumer", self._isolation
        )
        self._set_state(REBALANCING)
        self._run = asyncio.get_running_loop().create_task(self._loop(), name=f"streams {app}")

    async def wait(self) -> None:
        """Until the application stops (close, kill, or an error, which is raised)."""
        assert self._run is not None
        with contextlib.suppress(asyncio.CancelledError):
            await self._run
        if self.error is not None:
            raise self.error

    async def close(self) -> None:
        """A clean stop: process nothing more, commit, write the state, leave the group."""
        if self._run is None:
            return
        self._stopping = True
        self._wake.set()
        self._set_state(PENDING_SHUTDOWN) if self.state != ERROR else None
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._run
        self._run = None

    def _global_failed(self, error: BaseException) -> None:
        # Kafka: a dead global thread takes the whole instance to ERROR.
        self.error = error
        self._set_state(ERROR)
        self.kill()

    def kill(self) -> None:
        """Stop as a crash would: no commit, no state written (see the module's note)."""
        if self._run is not None:
            self._run.cancel()

    # --- the stream thread --------------------------------------------------------------
    def _now(self) -> float:
        """Seconds on the backend's clock: heartbeat.interval.ms, commit.interval.ms and
        the probing rebalance count on the cluster's time (a ManualClock in tests and
        lessons, so a run there steps deterministically; a RemoteBackend's real clock)."""
        return self.backend.clock.now_ms() / 1000

    async def _loop(self) -> None:
        clock = self.backend.clock
        interval = self.config.commit_interval_ms / 1000
        last_commit = self._now()
        clean = False
        try:
            while not self._stopping:
                await self.membership.heartbeat(self._now())
                if self.membership.needs_rejoin:
                    await self._rebalance()
                if self._by_partition:
                    records = await self._poll()
                else:  # no active task: the standbys, and the heartbeats, still go on
                    records = []
                    await wait_event(clock, self._wake, 0.05)
                await self._standby.poll()
                for r in records:  # a schema id seen first here is fetched before the task reads it
                    for serde, is_key in self._prefetch.get(r.topic, ()):
                        await serde.prefetch(r.key if is_key else r.value)
                for r in records:
                    task = self._by_partition.get((r.topic, r.partition))
                    if task is None:  # not ours any more
                        continue
                    group = self._groups.get(task.id)
                    if group is None:  # one input partition: nothing to interleave
                        self._process(task, r)
                    else:
                        group.add((r.topic, r.partition), r)
                if self._groups:
                    self._process_buffered(records)
                for task in self.tasks.values():
                    task.punctuate_wall_clock()
                await self._send()
                now = self._now()
                if now - last_commit >= interval or self._commit_now:
                    await self._commit_or_rejoin()
                    last_commit, self._commit_now = now, False
                if not records:
                    await clock.sleep(0)
            clean = await self._commit_or_rejoin()  # a dropped member's last transaction is aborted
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            self.error = error
            self._set_state(ERROR)
            log.debug("stream thread of %s died: %s", self.config.application_id, error)
        finally:
            await self._release(clean)

    def _process(self, task: StreamTask, r: Any) -> None:
        task.process(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, r.headers)
        if task.skipped:
            self.skipped.extend(task.skipped)
            task.skipped.clear()
        self._consumed[(r.topic, r.partition)] = r.offset + 1

    def _process_buffered(self, polled: list[Any]) -> None:
        """The tasks with several input partitions, each taking its records lowest
        timestamp first while its PartitionGroup is ready (partition_group.py). A
        partition counts as caught up (Kafka: its fetched lag is 0) when this poll brought
        nothing of it and the consumer handed out all it had fetched; or when another of
        the task's queues is full, where Kafka would pause that partition
        (`buffered.records.per.partition`) and learn the lag at the next fetch: without a
        pause here, waiting on would buffer without bound."""
        seen = {(r.topic, r.partition) for r in polled}
        drained = len(polled) < MAX_POLL_RECORDS
        now = self.backend.clock.now_ms()
        for task_id, group in self._groups.items():
            task = self.tasks[task_id]
            full = any(len(q) >= BUFFERED_RECORDS_PER_PARTITION for q in group.queues.values())

            def caught_up(tp: tuple[str, int]) -> bool:
                return tp not in seen and (drained or full)  # noqa: B023 - used at once

            while group.ready(now, caught_up):
                self._process(task, group.next())

    async def _poll(self) -> list[Any]:
        """The consumer's poll (100 ms of the backend's clock), cut short by close(): on a
        ManualClock nothing else would end it. A poll cut short returns nothing; what it
        fetched is not lost, since only what the tasks processed is committed."""
        poll = asyncio.ensure_future(self.consumer.poll(100))
        woken = asyncio.ensure_future(self._wake.wait())
        await asyncio.wait((poll, woken), return_when=asyncio.FIRST_COMPLETED)
        woken.cancel()
        if poll.done():
            return poll.result()
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
        return []

    async def _release(self, clean: bool) -> None:
        if not clean:
            for future in self._unacked:  # they fail with the abort: nobody waits for them now
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._unacked = []
            self.producer.abort()
        for task in self.tasks.values():
            self._retire(task)
        for state in self._states.values():
            await state.close()
        for standby in self.standbys.values():  # a kill writes nothing: the file keeps its last flush
            await (standby.close() if clean else standby.state.close())
        self.standbys.clear()
        await self.global_thread.close()
        self.tasks.clear()
        self._groups.clear()
        self._states.clear()
        with contextlib.suppress(Exception):
            await self.membership.leave()
        with contextlib.suppress(Exception):
            await self._standby.close()
        with contextlib.suppress(Exception):
            await self.consumer.close()
        with contextlib.suppress(Exception):
            await self.producer.close()
        await close_registry_serdes(self.topology, self.config)
        if self.state != ERROR:
            self._set_state(NOT_RUNNING)

    async def _send(self) -> None:
        for task in self.tasks.values():
            for out in task.drain():
                future = await self.producer.send(
                    out.topic, out.value, key=out.key, partition=out.partition, timestamp=out.timestamp,
                    headers=out.headers,
                )  # fmt: skip
                if out.partition is None:
                    self._unacked.append(future)  # checked at commit: cheaper than a callback each
                else:  # a changelog record: its offset goes into the checkpoint
                    future.add_done_callback(self._delivered)

    def _delivered(self, future: asyncio.Future[RecordMetadata]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self._send_error = self._send_error or error
            return
        meta = future.result()
        key = (meta.topic, meta.partition)
        if meta.offset + 1 > self._written.get(key, 0):
            self._written[key] = meta.offset + 1

    async def commit(self) -> None:
        """at_least_once: output acknowledged, then state and checkpoint, then the input
        offsets. exactly_once_v2: output, changelog and input offsets in one transaction,
        committed, and only then the state and checkpoint on disk (what the file holds was
        committed; a crash before it is replayed from the changelog, read_committed)."""
        await self._send()
        await self.producer.flush()
        for future in self._unacked:
            if future.done() and not future.cancelled() and future.exception() is not None:
                self._send_error = self._send_error or future.exception()
        self._unacked = []
        if self._send_error is not None:
            raise StreamsError(
                f"Error encountered sending a record: {self._send_error}"
            ) from self._send_error
        offsets = {
            TopicPartition(t, p): o for (t, p), o in self._consumed.items() if (t, p) in self._by_partition
        }
        if self.eos:
            if offsets:
                # KIP-447: the group coordinator fences a zombie by its generation and
                # member id; the refusal makes the rebalance drop the tasks and abort.
                await self.producer.send_offsets_to_transaction(
                    {(tp.topic, tp.partition): o for tp, o in offsets.items()},
                    self.membership.group_metadata(),
                )
            await self.producer.commit_transaction()
            self.producer.begin_transaction()
        for task_id, task in self.tasks.items():
            checkpoint = {
                (topic, task.partition): self._written[(topic, task.partition)]
                for topic in (self.plan.changelogs[s] for s in task.stores if s in self.plan.changelogs)
                if (topic, task.partition) in self._written
            }
            await self._states[task_id].flush(task.stores, checkpoint)
        for standby in self.standbys.values():
            await standby.flush()
        if offsets and not self.eos:
            await self.membership.member.commit_offsets(
                {(tp.topic, tp.partition): o for tp, o in offsets.items()}
            )
        if offsets:
            self.committed.update({(tp.topic, tp.partition): o for tp, o in offsets.items()})

    # --- tasks --------------------------------------------------------------------------
    async def _commit_or_rejoin(self) -> bool:
        """A commit; False when the group rebalances under it (a rejoin at the loop's next
        turn)."""
        try:
            await self.commit()
        except KafkaError as error:
            if not self.membership.commit_failed(error):
                raise
            log.info("commit of %s met %s: rejoining", self.config.application_id, error.code.name)
            return False
        return True

    async def _rebalance(self) -> None:
        """Commit what is owned, rejoin, then close, create and promote tasks as assigned."""
        m = self.membership
        self._set_state(REBALANCING)
        if not m.dropped and (self.tasks or self.standbys):
            await self._commit_or_rejoin()
        if m.dropped:  # TaskMigratedException: another instance may own them already
            if self.eos:  # what they wrote since the last commit must never commit now
                await self.producer.abort_transaction()
                self.producer.begin_transaction()
                self._unacked = []
            for task_id in list(self.tasks):
                await self._close_task(task_id)
        info = await m.rebalance(await self._subscription(), self._now())
        await self._apply(info, m.partitions)
        self._set_state(RUNNING)

    async def _subscription(self) -> SubscriptionInfo:
        """What this instance tells the leader: its tasks and how far each local state is."""
        sums = {task_id: LATEST_OFFSET for task_id in self.tasks}
        sums.update(self._standby.lag_sums())
        root = self.config.state_dir / self.config.application_id
        known = set(self.membership.tasks())
        for path in sorted(root.glob("*_*/state.db")) if root.exists() else []:
            task_id = path.parent.name
            if task_id in sums or task_id not in known:
                continue
            state = TaskState(self.config.state_dir, self.config.application_id, task_id)
            checkpoint = await state.open()  # a task directory left by an earlier run
            await state.close()
            if checkpoint:
                sums[task_id] = sum(checkpoint.values())
        return SubscriptionInfo(
            self.membership.process_id, self.config.application_server, sorted(self.tasks),
            sorted(self.standbys), sums,
        )  # fmt: skip

    async def _close_task(self, task_id: str) -> None:
        task = self.tasks.pop(task_id)
        self._groups.pop(task_id, None)
        self._retire(task)
        await self._states.pop(task_id).close()
        for key in [k for k, t in self._by_partition.items() if t is task]:
            del self._by_partition[key]
            self._consumed.pop(key, None)

    async def _apply(self, info: AssignmentInfo, partitions: list[tuple[str, int]]) -> None:
        active, standby = set(info.active_tasks), set(info.standby_tasks)
        kept = {tp: self._consumed[tp] for tp in partitions if tp in self._consumed}
        for task_id in [t for t in self.tasks if t not in active]:
            await self._close_task(task_id)
        for task_id in [t for t in self.standbys if t not in standby]:
            await self.standbys.pop(task_id).close()  # written first: a promotion starts from it
        for task_id in sorted(active - set(self.tasks), key=task_partition):
            await self._create_task(task_id, *task_partition(task_id))
        for task_id in sorted(standby - set(self.standbys), key=task_partition):
            self.standbys[task_id] = await self._create_standby(task_id)
        self._standby.set_tasks(self.standbys)
        # A partition starts at the group's committed offset unless its task went on here
        # (a task closed without a commit, as a dropped member's, must not skip what it
        # read since): positions forgotten, then the kept ones sought.
        for group in self._groups.values():  # read again from what was processed
            group.clear()
        self.consumer.assign([])
        self.consumer.assign([TopicPartition(*tp) for tp in partitions])
        for tp, offset in kept.items():
            self.consumer.seek(TopicPartition(*tp), offset)
        self._by_partition = {tp: self.tasks[self.membership.task_of(*tp)] for tp in partitions}

    async def _create_standby(self, task_id: str) -> StandbyTask:
        config = self.config
        sub, partition = task_partition(task_id)
        stores = {
            name: self.topology.stores[name].build(config.default_key_serde, config.default_value_serde)
            for name in self._subs[sub].stores
            if name in self.plan.changelogs
        }
        changelogs = {name: self.plan.changelogs[name] for name in stores}
        standby = StandbyTask(
            task_id,
            partition,
            stores,
            changelogs,
            TaskState(config.state_dir, config.application_id, task_id),
        )
        await standby.open(self.backend)
        return standby

    # --- interactive queries' metadata (KIP-535) -----------------------------------------
    def query_metadata_for_key(self, store_name: str, key: Any, serializer: Serde) -> KeyQueryMetadata:
        """Which instance hosts `key` of `store_name` (active, standbys) and its partition:
        Kafka's `KafkaStreams#queryMetadataForKey`, from the last assignment."""
        return key_query_metadata(self, store_name, key, serializer)

    def streams_metadata_for_store(self, store_name: str) -> list[StreamsMetadata]:
        """Every instance (by application.server) that has `store_name`, active or standby."""
        return [
            m
            for m in streams_metadata(self)
            if store_name in m.state_store_names | m.standby_state_store_names
        ]

    def metadata_for_all_streams_clients(self) -> list[StreamsMetadata]:
        return streams_metadata(self)

    async def _create_task(self, task_id: str, sub_id: int, partition: int) -> None:
        config, sub = self.config, self._subs[sub_id]
        stores = {
            name: self.topology.stores[name].build(config.default_key_serde, config.default_value_serde)
            for name in sub.stores
        }
        state = TaskState(config.state_dir, config.application_id, task_id)
        checkpoint = await state.open()
        self._states[task_id] = state
        logged = [s for s in stores if s in self.plan.changelogs]
        if logged and not all((self.plan.changelogs[s], partition) in checkpoint for s in logged):
            await state.wipe()  # no checkpoint: the file is not trusted (Kafka wipes the store)
            checkpoint = {}
        self.loaded[task_id] = await state.load(stores)
        for name in logged:
            await self._restore(stores[name], self.plan.changelogs[name], partition, checkpoint)
        self.task_ids.add(task_id)
        self.tasks[task_id] = StreamTask(
            task_id, sub, self.topology, application_id=config.application_id, partition=partition,
            stores=stores,
            default_key_serde=config.default_key_serde, default_value_serde=config.default_value_serde,
            resolve=self._resolve, wall_clock_ms=self.backend.clock.now_ms,
            handler=config.deserialization_handler,
        )  # fmt: skip
        self.tasks[task_id].global_stores = self.global_thread.stores
        inputs = [(topic, partition) for topic in self.tasks[task_id].sources]
        if len(inputs) > 1:
            self._groups[task_id] = PartitionGroup(inputs, config.max_task_idle_ms)

    async def _restore(
        self, store: Any, topic: str, partition: int, checkpoint: dict[tuple[str, int], int]
    ) -> None:
        """Read the store's changelog partition from the checkpoint (or its start) to its
        end as it is now (Kafka's StoreChangelogReader)."""
        starts = await self.backend.list_offsets(topic, [partition], -2)
        ends = await self.backend.list_offsets(topic, [partition], LATEST_TIMESTAMP)
        start, end = (
            max(checkpoint.get((topic, partition), 0), starts.get(partition, 0)),
            ends.get(partition, 0),
        )
        name = f"{topic}-{partition}"
        self.restored[name] = 0
        if start >= end:
            self._written[(topic, partition)] = end
            return
        reader = self.backend.consumer(
            ConsumerConfig(
                auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=50,
                max_poll_records=10_000, client_id=f"{self.thread_client_id}-restore-consumer",
                isolation_level=self._isolation,
            )
        )  # fmt: skip
        try:
            tp = TopicPartition(topic, partition)
            reader.assign([tp])
            reader.seek(tp, start)
            position, idle = start, 0
            # Offsets past the last record can be markers or compacted away: a few empty
            # polls at the end mean there is nothing more to read below `end`.
            while position < end and idle < 3:
                records = await reader.poll(100)
                idle = 0 if records else idle + 1
                for r in records:
                    if r.offset >= end:
                        position = end
                        continue
                    await prefetch_store_record(store, r.key, r.value)
                    store.restore(bytes(r.key), None if r.value is None else bytes(r.value))
                    self.restored[name] += 1
                    position = r.offset + 1
        finally:
            await reader.close()
        self._written[(topic, partition)] = end
        log.info("restored %d records of %s into store %s", self.restored[name], name, store.name)
