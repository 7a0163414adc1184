"""The checks a lesson's steps name: predicates on the cluster's real state and events.

A step completes when its check `holds` against what the Backend reports now, never
because a button was pressed; `contradicts` looks at each watched event (and each record
the learner sent from the workbench) and says whether it shows the learner doing
something else, which brings up the step's hint. Parameters come from the step's
`params` table in lesson.toml; `required` names those a lesson must give.

Adding a check: a function decorated with `@check(name, required=...)` (and, when an
action can go wrong in a way worth a hint, one with `@contradiction(name)`); FORMAT.md
lists them for lesson writers.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kafkatui.backends.base import Backend, GroupPartitionView, GroupView, LogRecordView, ProduceTrace
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import (
    AckLost,
    BrokerStopped,
    DuplicateBatchDropped,
    Event,
    GroupMemberJoined,
    GroupMemberRemoved,
    LogCleaned,
    RecordAppended,
    TopicCreated,
)

Params = dict[str, Any]


@dataclass(frozen=True)
class Produced:
    """A record the learner sent from the workbench, and the acks it was sent with."""

    topic: str
    partition: int
    offset: int  # -1 with acks=0: the producer never hears where it landed
    key: str | None
    acks: str
    idempotent: bool = False

    @classmethod
    def from_trace(cls, trace: ProduceTrace) -> Produced:
        key = None if trace.key is None else trace.key.decode(errors="replace")
        return cls(trace.topic, trace.partition, trace.offset, key, trace.acks, trace.idempotent)


@dataclass(frozen=True)
class Snapshot:
    """The cluster at a lesson's or step's start, for checks that ask what changed."""

    controller_id: int
    leaders: dict[tuple[str, int], int]

    @classmethod
    def take(cls, backend: Backend) -> Snapshot:
        leaders = {}
        for topic in backend.topic_names():
            for p in backend.describe_topic(topic).partitions:
                leaders[(topic, p.partition)] = p.leader
        return cls(backend.controller_id, leaders)


@dataclass
class CheckContext:
    backend: Backend
    lesson_start: Snapshot
    step_start: Snapshot
    events: list[Event] = field(default_factory=list)  # since the step started
    produced: list[Produced] = field(default_factory=list)  # since the step started


Holds = Callable[[CheckContext, Params], Awaitable[bool]]
Contradicts = Callable[[CheckContext, Params, Event | Produced], bool]


@dataclass
class Check:
    name: str
    holds: Holds
    required: tuple[str, ...] = ()
    contradicts: Contradicts | None = None

    def bad_params(self, params: Params) -> str | None:
        missing = [name for name in self.required if name not in params]
        return f"missing params {missing}" if missing else None


CHECKS: dict[str, Check] = {}


def check(name: str, *, required: tuple[str, ...] = ()) -> Callable[[Holds], Holds]:
    def register(holds: Holds) -> Holds:
        CHECKS[name] = Check(name, holds, required)
        return holds

    return register


def contradiction(name: str) -> Callable[[Contradicts], Contradicts]:
    def register(contradicts: Contradicts) -> Contradicts:
        CHECKS[name].contradicts = contradicts
        return contradicts

    return register


def _partition(backend: Backend, topic: str, partition: int) -> Any | None:
    try:
        return backend.describe_topic(topic).partitions[partition]
    except (KafkaError, IndexError):
        return None


def _running(backend: Backend, broker_id: int) -> bool:
    return any(b.running for b in backend.brokers() if b.broker_id == broker_id)


# --- brokers and the controller ----------------------------------------------------


@check("controller_moved")
async def controller_moved(ctx: CheckContext, params: Params) -> bool:
    now = ctx.backend.controller_id
    return now >= 0 and now != ctx.lesson_start.controller_id


@contradiction("controller_moved")
def stopped_another_broker(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, BrokerStopped) and seen.broker_id != ctx.lesson_start.controller_id


@check("brokers_running", required=("count",))
async def brokers_running(ctx: CheckContext, params: Params) -> bool:
    return sum(b.running for b in ctx.backend.brokers()) == int(params["count"])


# --- topics and records ------------------------------------------------------------


@check("topic_exists", required=("topic",))
async def topic_exists(ctx: CheckContext, params: Params) -> bool:
    if params["topic"] not in ctx.backend.topic_names():
        return False
    desc = ctx.backend.describe_topic(params["topic"])
    if "partitions" in params and len(desc.partitions) != int(params["partitions"]):
        return False
    return "replication_factor" not in params or desc.replication_factor == int(params["replication_factor"])


@contradiction("topic_exists")
def created_another_topic(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    if not isinstance(seen, TopicCreated) or seen.topic.startswith("_"):
        return False
    wrong_count = "partitions" in params and seen.partitions != int(params["partitions"])
    wrong_rf = "replication_factor" in params and seen.replication_factor != int(params["replication_factor"])
    return seen.topic != params["topic"] or wrong_count or wrong_rf


@check("records_in_topic", required=("topic", "count"))
async def records_in_topic(ctx: CheckContext, params: Params) -> bool:
    if params["topic"] not in ctx.backend.topic_names():
        return False
    return ctx.backend.describe_topic(params["topic"]).record_count >= int(params["count"])


@contradiction("records_in_topic")
def produced_elsewhere(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    if isinstance(seen, RecordAppended):
        return not seen.topic.startswith("_") and seen.topic != params["topic"]
    return False


async def _records(backend: Backend, topic: str) -> AsyncIterator[LogRecordView]:
    """Every record of `topic` (which exists), partition by partition, oldest first, read
    from the leaders a page at a time."""
    for p in backend.describe_topic(topic).partitions:
        offset = p.log_start_offset
        while offset < p.high_watermark:
            page = await backend.read_log(topic, p.partition, offset, 500)
            if not page:
                break
            for record in page:
                yield record
            offset = page[-1].offset + 1


async def _keyed(backend: Backend, topic: str, key: str) -> list[tuple[int, int]]:
    """(partition, offset) of every record with `key` in `topic`, read from the leaders."""
    return [(r.partition, r.offset) for r in await _with_key(backend, topic, key)]


@check("records_with_key", required=("topic", "key", "count"))
async def records_with_key(ctx: CheckContext, params: Params) -> bool:
    """At least `count` records with `key`; with `one_partition`, all in one partition."""
    found = await _keyed(ctx.backend, params["topic"], params["key"])
    if params.get("one_partition") and len({partition for partition, _ in found}) > 1:
        return False
    return len(found) >= int(params["count"])


@contradiction("records_with_key")
def produced_another_key(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and (seen.topic != params["topic"] or seen.key != params["key"])


@check("record_in_partition", required=("topic", "partition"))
async def record_in_partition(ctx: CheckContext, params: Params) -> bool:
    """The learner sent a record (with `key`, if given) that landed in `partition`."""
    return any(
        p.topic == params["topic"] and p.partition == int(params["partition"]) and _key_matches(p, params)
        for p in ctx.produced
    )


@contradiction("record_in_partition")
def landed_elsewhere(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    if not isinstance(seen, Produced):
        return False
    return (
        seen.topic != params["topic"]
        or not _key_matches(seen, params)
        or seen.partition != int(params["partition"])
    )


def _key_matches(produced: Produced, params: Params) -> bool:
    return "key" not in params or produced.key == params["key"]


@check("produced_with_acks", required=("topic", "acks"))
async def produced_with_acks(ctx: CheckContext, params: Params) -> bool:
    return any(p.topic == params["topic"] and p.acks == str(params["acks"]) for p in ctx.produced)


@contradiction("produced_with_acks")
def produced_with_other_acks(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and (seen.topic != params["topic"] or seen.acks != str(params["acks"]))


# --- replication -------------------------------------------------------------------


def _first_leader(ctx: CheckContext, params: Params) -> int:
    return ctx.lesson_start.leaders.get((params["topic"], int(params["partition"])), -1)


@check("leader_crashed", required=("topic", "partition"))
async def leader_crashed(ctx: CheckContext, params: Params) -> bool:
    """The broker that led the partition when the lesson began died (kill -9, not a
    controlled shutdown: the controller only notices after broker.session.timeout.ms)."""
    leader = _first_leader(ctx, params)
    crashed = any(isinstance(e, BrokerStopped) and e.broker_id == leader and e.crashed for e in ctx.events)
    return crashed and not _running(ctx.backend, leader)


@contradiction("leader_crashed")
def stopped_the_wrong_way(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    if not isinstance(seen, BrokerStopped):
        return False
    return seen.broker_id != _first_leader(ctx, params) or not seen.crashed


@check("leader_changed", required=("topic", "partition"))
async def leader_changed(ctx: CheckContext, params: Params) -> bool:
    now = _partition(ctx.backend, params["topic"], int(params["partition"]))
    return now is not None and now.leader >= 0 and now.leader != _first_leader(ctx, params)


@check("isr_size", required=("topic", "partition", "size"))
async def isr_size(ctx: CheckContext, params: Params) -> bool:
    now = _partition(ctx.backend, params["topic"], int(params["partition"]))
    return now is not None and len(now.isr) == int(params["size"])


# --- groups ------------------------------------------------------------------------


@check("group_members", required=("group", "count"))
async def group_members(ctx: CheckContext, params: Params) -> bool:
    if params["group"] not in [g for g, _ in await ctx.backend.groups()]:
        return False
    group = await ctx.backend.describe_group(params["group"])
    return group.state == "Stable" and len(group.members) == int(params["count"])


# --- idempotence (KIP-98) ----------------------------------------------------------


@check("idempotent_sends", required=("topic", "count"))
async def idempotent_sends(ctx: CheckContext, params: Params) -> bool:
    """The learner sent `count` records to `topic` with enable.idempotence on."""
    sent = [p for p in ctx.produced if p.topic == params["topic"] and p.idempotent]
    return len(sent) >= int(params["count"])


@contradiction("idempotent_sends")
def sent_without_idempotence(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and (seen.topic != params["topic"] or not seen.idempotent)


def _appended_after_lost_ack(ctx: CheckContext, topic: str) -> bool:
    """A batch whose ack was lost, then the producer's retry written again to the same
    partition without a producer id (enable.idempotence=false: nothing to recognise it by)."""
    lost: set[int] = set()
    for event in ctx.events:
        if isinstance(event, AckLost) and event.topic == topic:
            lost.add(event.partition)
        elif (
            isinstance(event, RecordAppended)
            and event.topic == topic
            and event.partition in lost
            and event.producer_id < 0
        ):
            return True
    return False


@check("retry_duplicated", required=("topic",))
async def retry_duplicated(ctx: CheckContext, params: Params) -> bool:
    return _appended_after_lost_ack(ctx, params["topic"])


@contradiction("retry_duplicated")
def retry_recognised(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    # The leader dropped the retry: idempotence was still on.
    return isinstance(seen, DuplicateBatchDropped) and seen.topic == params["topic"]


@check("retry_deduplicated", required=("topic",))
async def retry_deduplicated(ctx: CheckContext, params: Params) -> bool:
    """A retried batch the leader recognised by producer id and sequence and dropped."""
    return any(isinstance(e, DuplicateBatchDropped) and e.topic == params["topic"] for e in ctx.events)


@contradiction("retry_deduplicated")
def retried_without_idempotence(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    if isinstance(seen, Produced):
        return seen.topic == params["topic"] and not seen.idempotent
    return isinstance(seen, RecordAppended) and _appended_after_lost_ack(ctx, params["topic"])


# --- consumer groups and rebalances ------------------------------------------------


async def _group(ctx: CheckContext, group_id: str) -> GroupView | None:
    if group_id not in [g for g, _ in await ctx.backend.groups()]:
        return None
    return await ctx.backend.describe_group(group_id)


def _balanced(view: GroupView | None, members: int) -> bool:
    """Stable with `members` members, every partition owned, and each member reading
    one at least (while there are partitions enough)."""
    if view is None or view.state != "Stable" or len(view.members) != members:
        return False
    if not view.partitions or any(p.owner is None for p in view.partitions):
        return False
    owners = {p.owner for p in view.partitions}
    return len(owners) == min(members, len(view.partitions))


@check("group_balanced", required=("group", "members"))
async def group_balanced(ctx: CheckContext, params: Params) -> bool:
    return _balanced(await _group(ctx, params["group"]), int(params["members"]))


@contradiction("group_balanced")
def member_removed(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, GroupMemberRemoved) and seen.group_id == params["group"]


@check("member_timed_out", required=("group", "members"))
async def member_timed_out(ctx: CheckContext, params: Params) -> bool:
    """A member the coordinator removed when its session.timeout.ms ran out (a crashed
    consumer sends no LeaveGroup), and the rest rebalanced over every partition."""
    timed_out = any(
        isinstance(e, GroupMemberRemoved) and e.group_id == params["group"] and e.reason == "session timeout"
        for e in ctx.events
    )
    return timed_out and _balanced(await _group(ctx, params["group"]), int(params["members"]))


@contradiction("member_timed_out")
def member_left(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    # x closes the consumer: LeaveGroup, a rebalance at once, no session to time out.
    return isinstance(seen, GroupMemberRemoved) and seen.group_id == params["group"] and seen.reason == "left"


# --- offsets, commits and lag ------------------------------------------------------


async def _committed(ctx: CheckContext, group_id: str, topic: str) -> list[GroupPartitionView]:
    """The group's row per partition of `topic` (kafka-consumer-groups.sh --describe)."""
    view = await _group(ctx, group_id)
    return [] if view is None else [p for p in view.partitions if p.topic == topic]


@check("group_lag", required=("group", "topic"))
async def group_lag(ctx: CheckContext, params: Params) -> bool:
    """Every partition of `topic` has a committed offset and the group's total lag (high
    watermark minus committed) is `lag`, or at least `at_least`."""
    rows = await _committed(ctx, params["group"], params["topic"])
    if not rows or any(p.committed < 0 for p in rows):
        return False
    lag = sum(p.lag for p in rows)
    if "at_least" in params:
        return lag >= int(params["at_least"])
    return lag == int(params.get("lag", 0))


@contradiction("group_lag")
def produced_to_another_topic(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and seen.topic != params["topic"]


@check("offsets_reset", required=("group", "topic", "to"))
async def offsets_reset(ctx: CheckContext, params: Params) -> bool:
    """The group's committed offsets on `topic` moved to the log start (`to = "earliest"`)
    or its end (`"latest"`), as `kafka-consumer-groups.sh --reset-offsets` moves them."""
    rows = await _committed(ctx, params["group"], params["topic"])
    if not rows:
        return False
    starts = {p.partition: p.log_start_offset for p in ctx.backend.describe_topic(params["topic"]).partitions}
    if params["to"] == "earliest":
        return all(p.committed == starts[p.partition] for p in rows) and any(p.lag > 0 for p in rows)
    return all(p.committed == p.high_watermark for p in rows)


@contradiction("offsets_reset")
def joined_instead(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    # A group with members refuses the reset (NON_EMPTY_GROUP): stop them first.
    return isinstance(seen, GroupMemberJoined) and seen.group_id == params["group"]


# --- compaction (cleanup.policy=compact) -------------------------------------------


async def _with_key(backend: Backend, topic: str, key: str) -> list[LogRecordView]:
    """Every record with `key` in `topic`, oldest first, read from the leaders."""
    if topic not in backend.topic_names():
        return []
    return [r async for r in _records(backend, topic) if r.key == key.encode()]


def _cleaned(ctx: CheckContext, topic: str) -> bool:
    return any(isinstance(e, LogCleaned) and e.topic == topic for e in ctx.events)


@check("key_compacted", required=("topic", "key"))
async def key_compacted(ctx: CheckContext, params: Params) -> bool:
    """The log cleaner ran on `topic` and only the latest value of `key` is left."""
    found = await _with_key(ctx.backend, params["topic"], params["key"])
    return _cleaned(ctx, params["topic"]) and len(found) == 1


@check("tombstone_written", required=("topic", "key"))
async def tombstone_written(ctx: CheckContext, params: Params) -> bool:
    """The newest record with `key` is a tombstone (a null value: the key is deleted)."""
    found = await _with_key(ctx.backend, params["topic"], params["key"])
    return bool(found) and found[-1].value is None


@contradiction("tombstone_written")
def produced_another_key_or_topic(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and (seen.topic != params["topic"] or seen.key != params["key"])


@check("key_gone", required=("topic", "key"))
async def key_gone(ctx: CheckContext, params: Params) -> bool:
    """No record with `key` is left: the cleaner removed its tombstone too, once
    delete.retention.ms had passed (a consumer that was away that long may miss it)."""
    if params["topic"] not in ctx.backend.topic_names() or not _cleaned(ctx, params["topic"]):
        return False
    return not await _with_key(ctx.backend, params["topic"], params["key"])


# --- Kafka Streams -----------------------------------------------------------------
# An application is its consumer group (application.id); its StreamThread consumers are
# `<client.id>-StreamThread-<n>-consumer`. A count() writes its value as a Kafka long.


async def _application_group(backend: Backend, group_id: str) -> Any | None:
    if group_id not in [g for g, _ in await backend.groups()]:
        return None
    return await backend.describe_group(group_id)


@check("streams_running", required=("application_id",))
async def streams_running(ctx: CheckContext, params: Params) -> bool:
    """The application's group is Stable with a StreamThread member."""
    view = await _application_group(ctx.backend, params["application_id"])
    return (
        view is not None
        and view.state == "Stable"
        and any("-StreamThread-" in m.client_id for m in view.members)
    )


@contradiction("streams_running")
def started_another_application(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    # Imported here so this section stays additive (the module's imports are shared).
    from kafkatui.common.events import GroupMemberJoined

    return (
        isinstance(seen, GroupMemberJoined)
        and not seen.group_id.startswith("_")
        and seen.group_id != params["application_id"]
    )


@check("streams_stopped", required=("application_id",))
async def streams_stopped(ctx: CheckContext, params: Params) -> bool:
    """The application stopped and left its group, its offsets committed (not reset)."""
    view = await _application_group(ctx.backend, params["application_id"])
    return view is not None and not view.members and any(p.committed >= 0 for p in view.partitions)


def _as_count(value: bytes | None) -> int | None:
    if value is None:
        return None
    if len(value) == 8:  # Serdes.long(): 8 bytes, big-endian, signed
        return int.from_bytes(value, "big", signed=True)
    text = value.decode("utf-8", "replace").strip()
    return int(text) if text.lstrip("-").isdigit() else None


async def _counts(backend: Backend, topic: str, key: str) -> list[tuple[int, int, int]]:
    """(partition, offset, count) of every record with `key` in `topic`, oldest first."""
    found = []
    for r in await _with_key(backend, topic, key):
        count = _as_count(None if r.value is None else bytes(r.value))
        if count is not None:
            found.append((r.partition, r.offset, count))
    return found


def _sent_elsewhere(params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and "input" in params and seen.topic != params["input"]


@check("count_at_least", required=("topic", "key", "count"))
async def count_at_least(ctx: CheckContext, params: Params) -> bool:
    """The newest record with `key` in `topic` holds a count of at least `count`."""
    found = await _counts(ctx.backend, params["topic"], params["key"])
    return bool(found) and found[-1][2] >= int(params["count"])


@contradiction("count_at_least")
def count_sent_elsewhere(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return _sent_elsewhere(params, seen)


@check("count_continued", required=("topic", "key"))
async def count_continued(ctx: CheckContext, params: Params) -> bool:
    """Since the step began a new count of `key` was written, above the last one before:
    the count carried on (its store came back) instead of starting over at 1."""
    since: dict[int, int] = {}
    for e in ctx.events:
        if isinstance(e, RecordAppended) and e.topic == params["topic"]:
            since[e.partition] = min(since.get(e.partition, e.base_offset), e.base_offset)
    found = await _counts(ctx.backend, params["topic"], params["key"])
    before = [c for p, o, c in found if p not in since or o < since[p]]
    after = [c for p, o, c in found if p in since and o >= since[p]]
    return bool(after) and after[-1] > (before[-1] if before else 0)


@contradiction("count_continued")
def continued_elsewhere(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return _sent_elsewhere(params, seen)


# --- security ----------------------------------------------------------------------


@check("acl_decision", required=("principal", "operation", "resource_type", "name", "allowed"))
async def acl_decision(ctx: CheckContext, params: Params) -> bool:
    """StandardAuthorizer's decision over the cluster's ACLs is `allowed`, and, given
    `why`, the rule or ACL that decided names it ("deny ACL", "PREFIXED:sales-")."""
    from kafkatui.common.acl import AclOperation, ResourceType

    allowed, why = await ctx.backend.check_acls(
        params["principal"], "*", AclOperation[params["operation"]], ResourceType[params["resource_type"]],
        params["name"],
    )  # fmt: skip
    return allowed == bool(params["allowed"]) and str(params.get("why", "")) in why


# --- Kafka Connect (the worker beside the cluster, through its REST API) ----------


async def _connect_get(backend: Backend, path: str) -> Any:
    """A GET on the Connect worker's REST API (what any Connect client sees); None when
    no worker runs, it does not answer, or it answers an error (the check waits)."""
    import aiohttp

    url = backend.connect_url()
    if url is None:
        return None
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
            session.get(url.rstrip("/") + path) as answer,
        ):
            return await answer.json(content_type=None) if answer.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def _connector(backend: Backend, name: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The connector's config and status (GET /connectors?expand=info&expand=status)."""
    found = await _connect_get(backend, "/connectors?expand=info&expand=status")
    entry = found.get(name) if isinstance(found, dict) else None
    if not isinstance(entry, dict):
        return None
    return entry.get("info", {}).get("config", {}), entry.get("status", {})


def _plugin_is(config: dict[str, Any], plugin: str | None) -> bool:
    given = str(config.get("connector.class", ""))
    return plugin is None or given.rsplit(".", 1)[-1].removesuffix("Connector") == plugin.removesuffix(
        "Connector"
    )


@check("connector_tasks", required=("connector", "state"))
async def connector_tasks(ctx: CheckContext, params: Params) -> bool:
    """Every task of `connector` (a `plugin`'s, if given; one at least) is in `state`
    (RUNNING, FAILED, PAUSED…) as GET /connectors/{c}/status reports it."""
    found = await _connector(ctx.backend, params["connector"])
    if found is None or not _plugin_is(found[0], params.get("plugin")):
        return False
    tasks = found[1].get("tasks", [])
    return bool(tasks) and all(t.get("state") == params["state"] for t in tasks)


@check("source_records", required=("connector", "topic", "count"))
async def source_records(ctx: CheckContext, params: Params) -> bool:
    """At least `count` records in `topic` while `connector`'s tasks run (no hint from
    other topics' appends: the worker itself writes connect-status and connect-offsets)."""
    if params["topic"] not in ctx.backend.topic_names():
        return False
    if ctx.backend.describe_topic(params["topic"]).record_count < int(params["count"]):
        return False
    return await connector_tasks(ctx, {"connector": params["connector"], "state": "RUNNING"})


@check("sink_file_lines", required=("connector", "count"))
async def sink_file_lines(ctx: CheckContext, params: Params) -> bool:
    """A FileStreamSink's tasks run and its `file` holds at least `count` lines."""
    from pathlib import Path

    found = await _connector(ctx.backend, params["connector"])
    if found is None or not _plugin_is(found[0], "FileStreamSink"):
        return False
    config, status = found
    tasks = status.get("tasks", [])
    if not tasks or any(t.get("state") != "RUNNING" for t in tasks):
        return False
    try:
        text = Path(str(config.get("file", ""))).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return len(text.splitlines()) >= int(params["count"])


@check("source_offset_committed", required=("connector",))
async def source_offset_committed(ctx: CheckContext, params: Params) -> bool:
    """connect-offsets (or `topic`) holds a source offset of `connector`: its key is
    Kafka's ["<connector>", {<source partition>}] (OffsetStorageWriter's format)."""
    topic = params.get("topic", "connect-offsets")
    if topic not in ctx.backend.topic_names(include_internal=True):
        return False
    async for record in _records(ctx.backend, topic):
        try:
            key = json.loads(record.key or b"null")
        except ValueError:
            continue
        if isinstance(key, list) and key[:1] == [params["connector"]] and record.value:
            return True
    return False


# --- ksqlDB ------------------------------------------------------------------------
# ksqlDB keeps every statement that changes its metastore in its command topic
# (`_confluent-ksql-<ksql.service.id>_command_topic`, one partition, a JSON object with
# "statement" per record); the checks replay it, as a ksqlDB server does on start.

KSQL_COMMAND_TOPIC = "_confluent-ksql-default__command_topic"  # ksql.service.id "default_"
KSQL_TRANSIENT_PREFIX = "_confluent-ksql-default_transient_"  # a push query's application.id
_CREATE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(STREAM|TABLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?([`\"]?)(\w+)\2", re.I
)
_DROP = re.compile(r"^\s*DROP\s+(STREAM|TABLE)\s+(?:IF\s+EXISTS\s+)?([`\"]?)(\w+)\2", re.I)
_TERMINATE = re.compile(r"^\s*TERMINATE\s+(ALL\b|\w+)", re.I)


async def _ksql_statements(backend: Backend) -> list[str]:
    if KSQL_COMMAND_TOPIC not in backend.topic_names(include_internal=True):
        return []
    statements: list[str] = []
    async for record in _records(backend, KSQL_COMMAND_TOPIC):
        try:
            statements.append(str(json.loads(bytes(record.value or b"{}"))["statement"]))
        except (ValueError, KeyError, TypeError):
            continue  # not a command of ksqlDB's
    return statements


def _name(match: re.Match[str]) -> str:
    """An identifier as ksqlDB stores it: upper-cased unless quoted."""
    return match.group(3) if match.group(2) else match.group(3).upper()


async def _ksql_sources(backend: Backend) -> dict[str, str]:
    """The streams and tables the command topic leaves: name -> STREAM or TABLE."""
    sources: dict[str, str] = {}
    for statement in await _ksql_statements(backend):
        if created := _CREATE.match(statement):
            sources[_name(created)] = created.group(1).upper()
        elif dropped := _DROP.match(statement):
            sources.pop(_name(dropped), None)
    return sources


@check("ksql_source", required=("name", "kind"))
async def ksql_source(ctx: CheckContext, params: Params) -> bool:
    """ksqlDB has a stream or table `name` (its CREATE in the command topic, no DROP after)."""
    return (await _ksql_sources(ctx.backend)).get(str(params["name"])) == str(params["kind"]).upper()


@contradiction("ksql_source")
def created_another_topic_for_ksql(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    """A CREATE … AS SELECT (or a CREATE with PARTITIONS) under another name makes its
    topic: the learner wrote another name than the step's."""
    if not isinstance(seen, TopicCreated) or seen.topic.startswith("_"):
        return False
    return seen.topic != str(params.get("topic", params["name"]))


@check("ksql_push_query")
async def ksql_push_query(ctx: CheckContext, params: Params) -> bool:
    """A push query runs: ksqlDB runs each as a transient Streams application, whose
    consumer group (`_confluent-ksql-default_transient_<n>_<ms>`) is in the cluster."""
    return any(
        group.startswith(KSQL_TRANSIENT_PREFIX) and state == "Stable"
        for group, state in await ctx.backend.groups()
    )


@check("ksql_table_value", required=("table", "key", "column", "value"))
async def ksql_table_value(ctx: CheckContext, params: Params) -> bool:
    """The table's latest row for `key` (its topic, JSON values) has `column` = `value`."""
    topic = str(params.get("table_topic", params["table"]))
    latest: Any = None
    if topic not in ctx.backend.topic_names():
        return False
    async for record in _records(ctx.backend, topic):
        if record.key == str(params["key"]).encode():
            latest = record.value
    try:
        row = json.loads(bytes(latest)) if latest is not None else None
    except ValueError:
        return False
    return isinstance(row, dict) and str(row.get(str(params["column"]))) == str(params["value"])


@contradiction("ksql_table_value")
def produced_for_another_key(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    return isinstance(seen, Produced) and seen.topic == params.get("topic") and seen.key != params["key"]


@check("ksql_query_terminated", required=("sink",))
async def ksql_query_terminated(ctx: CheckContext, params: Params) -> bool:
    """The persistent query writing `sink` was terminated (TERMINATE <its id>, or ALL,
    in the command topic after the sink's CREATE); its table and topic stay."""
    sink = str(params["sink"]).upper()
    created = False
    terminated = False
    for statement in await _ksql_statements(ctx.backend):
        if (found := _CREATE.match(statement)) and _name(found) == sink:
            created, terminated = True, False
        elif (stopped := _TERMINATE.match(statement)) and created:
            target = stopped.group(1).upper()
            terminated = (
                terminated or target == "ALL" or re.fullmatch(rf"C[TS]AS_{sink}_\d+", target) is not None
            )
    return terminated


@contradiction("acl_decision")
def acl_for_something_else(ctx: CheckContext, params: Params, seen: Event | Produced) -> bool:
    """An ACL the learner added for the step's principal and resource type that cannot
    bring the decision asked for: another operation, the other permission, or a pattern
    that does not cover the resource (LITERAL `sales-` for the topic `sales-eu`)."""
    from kafkatui.common.acl import AclOperation, AclPermissionType, ResourceType
    from kafkatui.common.events import AclsCreated

    if not isinstance(seen, AclsCreated):
        return False
    kind, name = ResourceType[params["resource_type"]], params["name"]
    operation = AclOperation[params["operation"]]
    wanted = AclPermissionType.ALLOW if params["allowed"] else AclPermissionType.DENY
    for b in seen.bindings:
        if b.entry.principal != params["principal"] or b.pattern.resource_type is not kind:
            continue
        if (
            not b.pattern.matches(kind, name)
            or b.entry.operation not in (operation, AclOperation.ALL)
            or b.entry.permission is not wanted
        ):
            return True
    return False


# --- what a lesson's steps had the learner create, removed when it is taken again ---

Undo = Callable[[Backend, Params], Awaitable[None]]
UNDO: dict[str, Undo] = {}


def undo(name: str) -> Callable[[Undo], Undo]:
    """Register how to remove what a step using check `name` told the learner to create."""

    def register(remove: Undo) -> Undo:
        UNDO[name] = remove
        return remove

    return register


async def undo_steps(backend: Backend, steps: list[tuple[str, Params]]) -> None:
    """Remove what a lesson's steps (their check and params) had the learner create, and
    only that (an ACL of the learner's own stays), so the lesson taken again starts as it
    did the first time."""
    for check_name, params in steps:
        remove = UNDO.get(check_name)
        if remove is not None:
            await remove(backend, params)


@undo("acl_decision")
async def remove_step_acl(backend: Backend, params: Params) -> None:
    """The one ACL the step asks for: the step's principal, operation and resource, ALLOW
    when the decision wanted is `allowed`, else DENY, host `*`; on `acl_name` with
    `pattern` where the ACL is not on the resource checked (PREFIXED `sales-` for the
    topic `sales-eu`)."""
    from kafkatui.common.acl import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        PatternType,
        ResourceType,
    )
    from kafkatui.common.errors import ErrorCode

    exact = AclBindingFilter(
        ResourceType[params["resource_type"]],
        params.get("acl_name", params["name"]),
        PatternType[params.get("pattern", "LITERAL")],
        params["principal"],
        "*",
        AclOperation[params["operation"]],
        AclPermissionType.ALLOW if params["allowed"] else AclPermissionType.DENY,
    )
    try:
        await backend.delete_acls([exact])
    except KafkaError as error:
        if error.code is not ErrorCode.SECURITY_DISABLED:  # a remote cluster with no authorizer
            raise
