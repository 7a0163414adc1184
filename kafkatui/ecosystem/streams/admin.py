"""A Streams application seen from outside it, as Kafka's tools see one: its consumer
group (the application id) and its internal topics. Behind `kafkatui streams
list|status|reset`, over the Backend alone, so they work on kafkatui's cluster and on any
Kafka.

The reset is Kafka's application reset tool (`kafka-streams-application-reset.sh`,
`org.apache.kafka.tools.StreamsResetter`): refused while the group has members; the
input topics' committed offsets moved (to the earliest by default, or any of
kafka-consumer-groups.sh's scenarios); intermediate topics' moved to their end; the
internal topics (`<application.id>-…-changelog`, `-repartition`, a foreign-key join's
subscription topics) deleted. Kafka's tool cannot reach the instances' local state; this
one runs where the state usually is, so it can delete `<state.dir>/<application.id>`
too (what `KafkaStreams#cleanUp()` does), when asked."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kafkatui.backends.base import Backend, GroupView
from kafkatui.backends.offset_reset import (
    INACTIVE_STATES,
    OffsetReset,
    ResetStrategy,
    execute_reset,
    plan_reset,
)
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.streams.protocol import PROTOCOL_TYPE, decode_assignment

# StreamsResetterOptions#isInferredInternalTopic: prefixed by the application id, and one
# of the suffixes Kafka Streams gives the topics it creates.
INTERNAL_SUFFIXES = (
    "-changelog",
    "-repartition",
    "-subscription-registration-topic",
    "-subscription-response-topic",
)


def is_internal_topic(application_id: str, topic: str) -> bool:
    """Whether `topic` is one Kafka Streams made for the application (the reset tool's rule)."""
    return topic.startswith(f"{application_id}-") and topic.endswith(INTERNAL_SUFFIXES)


def _is_streams_member(client_id: str) -> bool:
    # A StreamThread's consumer is `<client.id>-StreamThread-<n>-consumer` (StreamThread#getConsumerClientId).
    return "-StreamThread-" in client_id and client_id.endswith("-consumer")


@dataclass(frozen=True)
class StreamsApplication:
    """One application: its group's state and members, and the topics it reads and owns."""

    application_id: str
    state: str  # the group's, in Kafka's names ("Empty" also for a group with offsets only)
    members: int
    input_topics: tuple[str, ...]  # committed-on topics that are not its internal ones
    internal_topics: tuple[str, ...]
    lag: int  # over the input topics' partitions with a committed offset


def _application(view: GroupView, topics: Sequence[str], *, named: bool = False) -> StreamsApplication | None:
    app = view.group_id
    internal = tuple(t for t in topics if is_internal_topic(app, t))
    streams_protocol = view.protocol == "stream"  # StreamsPartitionAssignor's name
    streams_members = any(_is_streams_member(m.client_id) for m in view.members)
    if not (named or internal or streams_protocol or streams_members):
        return None
    inputs = tuple(sorted({p.topic for p in view.partitions if not is_internal_topic(app, p.topic)}))
    lag = sum(max(p.lag, 0) for p in view.partitions if p.topic in inputs and p.committed >= 0)
    state = "Empty" if view.state == "Dead" else view.state
    return StreamsApplication(app, state, len(view.members), inputs, internal, lag)


async def applications(backend: Backend) -> list[StreamsApplication]:
    """The groups that are Streams applications: a group with internal topics of its
    name, with StreamThread consumers, or assigned by the Streams assignor."""
    topics = backend.topic_names()
    found = []
    for group, _ in await backend.groups():
        app = _application(await backend.describe_group(group), topics)
        if app is not None:
            found.append(app)
    return found


async def application(backend: Backend, application_id: str) -> tuple[StreamsApplication, GroupView]:
    """One application and its group's description; GROUP_ID_NOT_FOUND if no group of
    that id is a Streams application."""
    view = await backend.describe_group(application_id)
    # A group named on purpose counts if it exists: after a reset it has no internal
    # topics nor members left to tell it by, and is still the application's.
    app = _application(view, backend.topic_names(), named=bool(view.members or view.partitions))
    if app is None:
        known = ", ".join(a.application_id for a in await applications(backend)) or "none"
        raise KafkaError(
            ErrorCode.GROUP_ID_NOT_FOUND,
            f"no Streams application '{application_id}': no group of that id has StreamThread members "
            f"or '{application_id}-…-changelog/-repartition' topics (applications: {known})",
        )
    return app, view


@dataclass(frozen=True)
class MemberTasks:
    """One instance in its group: the tasks the Streams assignor gave it."""

    member_id: str
    client_id: str
    active: tuple[str, ...]
    standby: tuple[str, ...]


async def member_tasks(backend: Backend, application_id: str) -> list[MemberTasks]:
    """Each member's active and standby tasks, read from the AssignmentInfo the group's
    leader handed it (DescribeGroups' assignment bytes); a member whose assignment is not
    the Streams assignor's shows none."""
    described = await backend.group_member(application_id, PROTOCOL_TYPE, 0, 0).assignments()
    found = []
    for member_id, (client_id, data) in sorted(described.items(), key=lambda item: item[1][0]):
        try:
            _, info = decode_assignment(data)
            active, standby = tuple(info.active_tasks), tuple(info.standby_tasks)
        except (KafkaError, ValueError, IndexError):  # another assignor's bytes
            active, standby = (), ()
        found.append(MemberTasks(member_id, client_id, active, standby))
    return found


@dataclass
class ResetPlan:
    """What the reset does, in the order it does it."""

    application_id: str
    input_topics: list[str]
    inferred_inputs: bool  # no --input-topic: the topics the group committed offsets on
    intermediate_topics: list[str]
    offsets: list[OffsetReset] = field(default_factory=list)
    delete_topics: list[str] = field(default_factory=list)
    local_state: Path | None = None  # <state.dir>/<application.id>, to delete (None: left alone)


async def plan_application_reset(
    backend: Backend,
    application_id: str,
    *,
    strategy: ResetStrategy = ResetStrategy.TO_EARLIEST,
    value: int | None = None,
    input_topics: Sequence[str] | None = None,
    intermediate_topics: Sequence[str] = (),
    internal_topics: Sequence[str] | None = None,
    state_dir: Path | None = None,
) -> ResetPlan:
    """The reset, planned and checked; nothing is changed. Refused (NON_EMPTY_GROUP) while
    the application's group has members, with Kafka's words."""
    app, view = await application(backend, application_id)
    if view.members or view.state not in INACTIVE_STATES:
        members = ", ".join(m.client_id for m in view.members)
        raise KafkaError(
            ErrorCode.NON_EMPTY_GROUP,
            f"Consumer group '{application_id}' is still active and has following members: [{members}]. "
            "Make sure to stop all running application instances before running the reset tool.",
        )
    existing = set(backend.topic_names())
    inferred = input_topics is None
    inputs = list(app.input_topics if input_topics is None else input_topics)
    for name in (*inputs, *intermediate_topics):
        if name not in existing:
            raise KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"topic '{name}' does not exist")
        if is_internal_topic(application_id, name):
            raise KafkaError(
                ErrorCode.INVALID_REQUEST,
                f"'{name}' is one of the application's internal topics: the reset deletes those; "
                "name input or intermediate topics only",
            )
    if internal_topics is not None:
        stray = [t for t in internal_topics if t not in app.internal_topics]
        if stray:  # StreamsResetter's IllegalArgumentException
            raise KafkaError(
                ErrorCode.INVALID_REQUEST,
                f"Invalid topic specified in the --internal-topics option: {', '.join(stray)}. Ensure that "
                "the topics specified are all internal topics. Do a dry run without the --internal-topics "
                "option to see the list of all internal topics that can be deleted.",
            )
    plan = ResetPlan(application_id, inputs, inferred, list(intermediate_topics))
    for topic in inputs:
        plan.offsets += await plan_reset(backend, application_id, topic, strategy, value)
    for topic in intermediate_topics:
        plan.offsets += await plan_reset(backend, application_id, topic, ResetStrategy.TO_LATEST)
    plan.delete_topics = list(app.internal_topics if internal_topics is None else internal_topics)
    if state_dir is not None:
        plan.local_state = state_dir / application_id
    return plan


async def execute_application_reset(backend: Backend, plan: ResetPlan) -> None:
    """Carry the plan out: commit the offsets, delete the internal topics, then the
    local state if the plan has it."""
    if plan.offsets:
        await execute_reset(backend, plan.application_id, plan.offsets)
    for topic in plan.delete_topics:
        await backend.delete_topic(topic)
    if plan.local_state is not None and plan.local_state.exists():
        shutil.rmtree(plan.local_state)
