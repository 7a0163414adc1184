"""The classic group protocol's data: states, settings, what JoinGroup and LeaveGroup answer,
DescribeGroups' view, and the snapshot a coordinator stores (GroupMetadataValue's content).

Kept apart from the state machine (`classic_group.py`'s `ClassicGroup`) so the coordinator, the
membership client and the wire can use them without the machinery.
"""

from __future__ import annotations

import base64
import enum
import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kafkatui.common.errors import ErrorCode, KafkaError

UNKNOWN_MEMBER_ID = ""  # JoinGroupRequest.UNKNOWN_MEMBER_ID
NO_GENERATION = -1  # GroupCoordinator.NoGeneration
# GroupCoordinator.NewMemberJoinTimeoutMs: a new member's JoinGroup may wait this long; it
# cannot heartbeat before it has an answer, so its session timeout does not apply yet.
NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000
INT_MAX = 2_147_483_647


class GroupState(enum.Enum):
    """Kafka's `ClassicGroupState`; the value is Kafka's name, as DescribeGroups reports it."""

    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


_S = GroupState
# ClassicGroupState's validPreviousStates (GroupMetadata.validPreviousStates in Scala).
VALID_PREVIOUS_STATES: Mapping[GroupState, frozenset[GroupState]] = {
    _S.EMPTY: frozenset({_S.PREPARING_REBALANCE}),
    _S.PREPARING_REBALANCE: frozenset({_S.STABLE, _S.COMPLETING_REBALANCE, _S.EMPTY}),
    _S.COMPLETING_REBALANCE: frozenset({_S.PREPARING_REBALANCE}),
    _S.STABLE: frozenset({_S.COMPLETING_REBALANCE}),
    _S.DEAD: frozenset(GroupState),
}


@dataclass(frozen=True)
class GroupConfig:
    """The broker's classic group configs (Kafka's names with '_' for '.', Kafka's defaults)."""

    group_initial_rebalance_delay_ms: int = 3_000  # group.initial.rebalance.delay.ms
    group_min_session_timeout_ms: int = 6_000  # group.min.session.timeout.ms
    group_max_session_timeout_ms: int = 1_800_000  # group.max.session.timeout.ms
    group_max_size: int = INT_MAX  # group.max.size

    def __post_init__(self) -> None:
        # Kafka's ConfigDef only insists on group.max.size >= 1; the other two checks keep
        # the delay and the session range meaningful.
        if self.group_max_size < 1:
            _invalid("group.max.size", self.group_max_size, "Value must be at least 1")
        if self.group_initial_rebalance_delay_ms < 0:
            _invalid(
                "group.initial.rebalance.delay.ms",
                self.group_initial_rebalance_delay_ms,
                "Value must be at least 0",
            )
        if self.group_max_session_timeout_ms < self.group_min_session_timeout_ms:
            _invalid(
                "group.max.session.timeout.ms",
                self.group_max_session_timeout_ms,
                "Value must be at least group.min.session.timeout.ms",
            )


def _invalid(name: str, value: int, why: str) -> None:
    raise KafkaError(ErrorCode.INVALID_CONFIG, f"Invalid value {value} for configuration {name}: {why}")


# --- requests' answers ------------------------------------------------------------------------


class MemberIdRequired(KafkaError):
    """JoinGroup's MEMBER_ID_REQUIRED (KIP-394): rejoin with `member_id`."""

    def __init__(self, member_id: str) -> None:
        super().__init__(ErrorCode.MEMBER_ID_REQUIRED)
        self.member_id = member_id


@dataclass(frozen=True)
class JoinGroupMember:
    """One entry of the member list the leader receives (`JoinGroupResponseMember`)."""

    member_id: str
    group_instance_id: str | None
    metadata: bytes


@dataclass(frozen=True)
class JoinResult:
    """A successful JoinGroup response. Only the leader gets `members`; `skip_assignment`
    tells a static leader that rejoined a Stable group not to run its assignor (v9+)."""

    member_id: str
    generation_id: int
    protocol_type: str | None
    protocol_name: str | None
    leader_id: str
    members: tuple[JoinGroupMember, ...] = ()
    skip_assignment: bool = False

    @property
    def is_leader(self) -> bool:
        return self.member_id == self.leader_id


@dataclass(frozen=True)
class LeaveResult:
    """One member's outcome in a LeaveGroup (v3+) batch."""

    member_id: str
    group_instance_id: str | None
    error: ErrorCode


@dataclass(frozen=True)
class MemberDescription:
    """A member as DescribeGroups shows it; metadata and assignment only while Stable."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    metadata: bytes
    assignment: bytes


@dataclass(frozen=True)
class GroupDescription:
    """DescribeGroups for one group, plus its generation and leader."""

    group_id: str
    state: GroupState
    protocol_type: str
    protocol: str  # the chosen protocol while Stable, else "" (as Kafka reports it)
    generation_id: int
    leader_id: str | None
    members: tuple[MemberDescription, ...]


# --- persistence -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberSnapshot:
    """A member as Kafka's GroupMetadataValue stores it (metadata of the chosen protocol only)."""

    member_id: str
    group_instance_id: str | None
    client_id: str
    client_host: str
    rebalance_timeout_ms: int
    session_timeout_ms: int
    subscription: bytes
    assignment: bytes


@dataclass(frozen=True)
class GroupSnapshot:
    """What Kafka writes to `__consumer_offsets` for a group (GroupMetadataValue v3)."""

    group_id: str
    protocol_type: str | None
    generation_id: int
    protocol_name: str | None
    leader_id: str | None
    current_state_timestamp_ms: int
    members: tuple[MemberSnapshot, ...] = ()

    def to_json(self) -> str:
        data: dict[str, Any] = {k: v for k, v in vars(self).items() if k != "members"}
        data["members"] = [
            {
                **{k: v for k, v in vars(m).items() if k not in ("subscription", "assignment")},
                "subscription": base64.b64encode(m.subscription).decode(),
                "assignment": base64.b64encode(m.assignment).decode(),
            }
            for m in self.members
        ]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GroupSnapshot:
        data = json.loads(text)
        members = tuple(
            MemberSnapshot(
                **{
                    **m,
                    "subscription": base64.b64decode(m["subscription"]),
                    "assignment": base64.b64decode(m["assignment"]),
                }
            )
            for m in data.pop("members")
        )
        return cls(**data, members=members)


def member_id_generator(seed: int | str) -> Callable[[str], str]:
    """Member ids as Kafka makes them (`<client.id or group.instance.id>-<UUID>`), drawn from
    a seeded RNG so runs repeat."""
    rng = random.Random(seed)

    def generate(prefix: str) -> str:
        return f"{prefix}-{uuid.UUID(int=rng.getrandbits(128), version=4)}"

    return generate
