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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kafkatui.backends.base import Backend, ProduceTrace
from kafkatui.common.errors import KafkaError
from kafkatui.common.events import BrokerStopped, Event, RecordAppended, TopicCreated

Params = dict[str, Any]


@dataclass(frozen=True)
class Produced:
    """A record the learner sent from the workbench, and the acks it was sent with."""

    topic: str
    partition: int
    offset: int  # -1 with acks=0: the producer never hears where it landed
    key: str | None
    acks: str

    @classmethod
    def from_trace(cls, trace: ProduceTrace) -> Produced:
        # The backend's producer path names the send step's key and acks in its detail
        # ("topic sales, key 'client-1', acks=all"): that is the producer config used.
        send = next((s.detail for s in trace.steps if s.name == "send"), "")
        acks = re.search(r"acks=(\S+)", send)
        key = re.search(r"key (None|'(.*?)')", send)
        return cls(
            trace.topic,
            trace.partition,
            trace.offset,
            key.group(2) if key and key.group(1) != "None" else None,
            acks.group(1).rstrip(",") if acks else "all",
        )


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


async def _keyed(backend: Backend, topic: str, key: str) -> list[tuple[int, int]]:
    """(partition, offset) of every record with `key` in `topic`, read from the leaders."""
    if topic not in backend.topic_names():
        return []
    found = []
    for p in backend.describe_topic(topic).partitions:
        offset = p.log_start_offset
        while offset < p.high_watermark:
            page = await backend.read_log(topic, p.partition, offset, 500)
            if not page:
                break
            found += [(r.partition, r.offset) for r in page if r.key == key.encode()]
            offset = page[-1].offset + 1
    return found


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
    for p in backend.describe_topic(KSQL_COMMAND_TOPIC).partitions:
        offset = p.log_start_offset
        while offset < p.high_watermark:
            page = await backend.read_log(KSQL_COMMAND_TOPIC, p.partition, offset, 500)
            if not page:
                break
            for record in page:
                try:
                    statements.append(str(json.loads(bytes(record.value or b"{}"))["statement"]))
                except (ValueError, KeyError, TypeError):
                    continue  # not a command of ksqlDB's
            offset = page[-1].offset + 1
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
    for p in ctx.backend.describe_topic(topic).partitions:
        offset = p.log_start_offset
        while offset < p.high_watermark:
            page = await ctx.backend.read_log(topic, p.partition, offset, 500)
            if not page:
                break
            for record in page:
                if record.key == str(params["key"]).encode():
                    latest = record.value
            offset = page[-1].offset + 1
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
