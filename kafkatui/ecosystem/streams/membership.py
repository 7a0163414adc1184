"""One instance's membership of its application's group, as Kafka Streams' consumer has
it through StreamsPartitionAssignor: the group is the application id, of protocol type
"consumer" with the single assignor "stream"; each member offers its SubscriptionInfo
(`protocol.py`), and the leader computes the task assignment with `assignor.py` from
every member's previous tasks and the lag of its state (KIP-441: the changelogs' end
offsets minus the member's checkpointed offset sums).

A task `<sub-topology>_<partition>` owns that partition of every source topic of its
sub-topology together (co-partitioning), so the leader hands a member the partitions of
its active tasks, and in the AssignmentInfo its standby tasks and where every partition
lives (`partitions_by_host`, `standby_partitions_by_host`: KIP-535's metadata).

The membership speaks the classic protocol through `Backend.group_member`, not through
a consumer's `subscribe`: librdkafka cannot run a Python assignor, and the ordinary
consumer assignor would split a task's co-partitioned topics. The stream thread reads
its partitions with an assigned consumer and commits as this member
(`GroupMember.commit_offsets`, or under exactly-once its producer's
`send_offsets_to_transaction` with this member's `group_metadata()`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kafkatui.backends.base import LATEST_TIMESTAMP, Backend, GroupJoin, GroupMember
from kafkatui.common.clients import ConsumerGroupMetadata
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.streams.assignor import ACTIVE_LAG, ClientState, WarmupPolicy, assign_tasks
from kafkatui.ecosystem.streams.config import StreamsConfig
from kafkatui.ecosystem.streams.internal_topics import Plan
from kafkatui.ecosystem.streams.protocol import (
    ASSIGNOR,
    PROTOCOL_TYPE,
    AssignmentInfo,
    SubscriptionInfo,
    decode_assignment,
    decode_subscription,
    encode_assignment,
    encode_subscription,
)

log = logging.getLogger(__name__)

# What a heartbeat or a commit answers when this member must rejoin; the last three
# also mean it was dropped from the group (Kafka's TaskMigratedException: its tasks
# may run elsewhere already, so they are closed without a commit).
REJOIN = (ErrorCode.REBALANCE_IN_PROGRESS,)
DROPPED = (ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID)


def task_id(sub: int, partition: int) -> str:
    return f"{sub}_{partition}"


def task_partition(task: str) -> tuple[int, int]:
    sub, _, partition = task.partition("_")
    return int(sub), int(partition)


class StreamsMembership:
    def __init__(
        self, backend: Backend, config: StreamsConfig, plan: Plan, changelogs_of: dict[int, list[str]],
        process_id: str, client_id: str,
    ) -> None:  # fmt: skip
        self.backend, self.config, self.plan = backend, config, plan
        self.changelogs_of = changelogs_of  # sub-topology -> its stores' changelog topics
        # Only a task with logged state gets standbys (Kafka's assignor skips stateless ones).
        self.stateful = {sub for sub, topics in changelogs_of.items() if topics}
        self.process_id = process_id
        self.member: GroupMember = backend.group_member(
            config.application_id, PROTOCOL_TYPE, config.session_timeout_ms, config.max_poll_interval_ms,
            client_id=client_id,
        )  # fmt: skip
        self.needs_rejoin = True
        self.dropped = False
        self.generation, self.member_id = -1, ""
        self.partitions: list[tuple[str, int]] = []
        self.info = AssignmentInfo()
        self._next_heartbeat = 0.0
        self.probe_at: float | None = None  # the leader's next probing rebalance (KIP-441)
        self._now = 0.0

    # --- the task space ---------------------------------------------------------------
    def tasks(self) -> list[str]:
        return [task_id(sub, p) for sub, n in sorted(self.plan.partitions.items()) for p in range(n)]

    def source_partitions(self, task: str) -> list[tuple[str, int]]:
        """The partition of every source topic of the task's sub-topology (those that
        have it: a topic with fewer partitions has no record for the higher tasks)."""
        sub, partition = task_partition(task)
        out = []
        for topic in sorted(t for t, s in self.plan.sources.items() if s == sub):
            if partition < len(self.backend.describe_topic(topic).partitions):
                out.append((topic, partition))
        return out

    def task_of(self, topic: str, partition: int) -> str:
        return task_id(self.plan.sources[topic], partition)

    # --- heartbeats -----------------------------------------------------------------
    async def heartbeat(self, now: float) -> None:
        """Every heartbeat.interval.ms: learn whether the group rebalances."""
        if self.probe_at is not None and now >= self.probe_at and not self.needs_rejoin:
            # KIP-441's probing rebalance: the leader rejoins, so the warm-ups that caught
            # up report their lag and may take their tasks.
            self.probe_at, self.needs_rejoin = None, True
            return
        if now < self._next_heartbeat or self.needs_rejoin:
            return
        self._next_heartbeat = now + self.config.heartbeat_interval_ms / 1000
        answer = await self.member.heartbeat()
        if answer is not None:
            self.needs_rejoin = True
            self.dropped = answer in DROPPED

    def group_metadata(self) -> ConsumerGroupMetadata:
        """This member as of its last join, as its transactional offset commits name it
        (KIP-447): once the group has dropped it, or moved to a newer generation, the
        group coordinator refuses them, so a zombie's transaction can only abort."""
        return ConsumerGroupMetadata(self.member.group_id, self.generation, self.member_id)

    def commit_failed(self, error: KafkaError) -> bool:
        """Whether a commit's error means a rebalance (the caller rejoins), not a failure."""
        if error.code in REJOIN or error.code in DROPPED:
            self.needs_rejoin = True
            self.dropped = self.dropped or error.code in DROPPED
            return True
        return False

    # --- the rebalance --------------------------------------------------------------
    async def rebalance(self, subscription: SubscriptionInfo, now: float) -> AssignmentInfo:
        """Join, let the leader assign, sync: this member's partitions and AssignmentInfo."""
        topics = sorted(self.plan.sources)
        self._now, self.probe_at = now, None
        while True:
            joined = await self.member.join([(ASSIGNOR, encode_subscription(topics, subscription))])
            if joined.protocol != ASSIGNOR:
                raise KafkaError(
                    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
                    f"group {self.member.group_id} chose the assignor {joined.protocol!r}, not {ASSIGNOR!r}: "
                    "another application uses this application.id as its group.id",
                )
            assignments = await self._assign(joined) if joined.is_leader else None
            try:
                data = await self.member.sync(assignments)
            except KafkaError as error:
                if error.code in REJOIN or error.code in DROPPED:
                    continue  # the group moved on while we synced: join again
                raise
            break
        self.partitions, self.info = decode_assignment(data)
        if self.info.error_code:
            raise KafkaError(ErrorCode(self.info.error_code), "the Streams assignor failed")
        self.generation, self.member_id = joined.generation_id, joined.member_id
        self.needs_rejoin, self.dropped = False, False
        self._next_heartbeat = now + self.config.heartbeat_interval_ms / 1000
        log.info(
            "%s generation %d: active %s, standby %s", self.member.member_id, self.generation,
            self.info.active_tasks, self.info.standby_tasks,
        )  # fmt: skip
        return self.info

    async def _ends(self) -> Callable[[str], int]:
        """A task -> the sum of its changelog partitions' end offsets (what caught up is)."""
        ends: dict[tuple[str, int], int] = {}
        for sub, topics in self.changelogs_of.items():
            for topic in topics:
                found = await self.backend.list_offsets(
                    topic, range(self.plan.partitions[sub]), LATEST_TIMESTAMP
                )
                ends.update({(topic, p): o for p, o in found.items()})

        def end_sum(task: str) -> int:
            sub, partition = task_partition(task)
            return sum(ends.get((t, partition), 0) for t in self.changelogs_of.get(sub, []))

        return end_sum

    async def _assign(self, joined: GroupJoin) -> dict[str, bytes]:
        """The leader's part (StreamsPartitionAssignor#assign), for every member."""
        subscriptions = {m: decode_subscription(data)[1] for m, data in joined.members}
        end_sum = await self._ends()
        clients = []
        for member, info in sorted(subscriptions.items()):
            lags = {}
            for task, offsets in info.task_offset_sums.items():
                lags[task] = ACTIVE_LAG if offsets < 0 else max(0, end_sum(task) - offsets)
            clients.append(ClientState(member, set(info.previous_active), lags, info.application_server))
        tasks = self.tasks()
        policy = WarmupPolicy(
            self.config.acceptable_recovery_lag, self.config.max_warmup_replicas,
            {t: end_sum(t) if task_partition(t)[0] in self.stateful else 0 for t in tasks},
        )  # fmt: skip
        result = assign_tasks(tasks, clients, self.config.num_standby_replicas, policy)
        # A warm-up is a standby to the member that runs it (Kafka's AssignmentInfo has no
        # separate list): it restores from the changelog until a probing rebalance.
        standby = {
            c: [t for t in ts + result.warmup.get(c, []) if task_partition(t)[0] in self.stateful]
            for c, ts in result.standby.items()
        }
        if result.probing_rebalance_needed:
            self.probe_at = self._now + self.config.probing_rebalance_interval_ms / 1000
            log.info("warm-ups %s: a probing rebalance is scheduled", result.warmup)
        by_host: dict[str, list[tuple[str, int]]] = {}
        standby_by_host: dict[str, list[tuple[str, int]]] = {}
        for client in clients:
            host = client.application_server
            if host is None:
                continue
            for task in result.active[client.client_id]:
                by_host.setdefault(host, []).extend(self.source_partitions(task))
            for task in standby[client.client_id]:
                standby_by_host.setdefault(host, []).extend(self.source_partitions(task))
        out = {}
        for client in clients:
            active = sorted(result.active[client.client_id], key=task_partition)
            info = AssignmentInfo(
                active, sorted(standby[client.client_id], key=task_partition), by_host, standby_by_host
            )
            partitions = [tp for task in active for tp in self.source_partitions(task)]
            out[client.client_id] = encode_assignment(partitions, info)
        return out

    async def leave(self) -> None:
        await self.member.leave()
