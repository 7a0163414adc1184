"""Who holds the controller role, and how it learns that brokers died (KRaft, KIP-631).

In KRaft one controller is active (the leader of the metadata quorum). Every broker
sends it a heartbeat each `broker.heartbeat.interval.ms`; a broker silent for
`broker.session.timeout.ms` is fenced: it leaves every ISR and loses its leaderships.
When the active controller's broker dies the others notice after
`controller.quorum.election.timeout.ms` and elect a new one, which starts every
broker's session afresh. The active controller also moves leadership back to preferred
replicas when `auto.leader.rebalance.enable` finds a broker leading too few of its own.

kafkatui runs in "combined" mode: every broker is also a controller voter. Unlike a
Raft quorum it does not need a majority: any running broker can take the role (the
lowest id wins), so the last broker standing can still run the cluster. The metadata
log itself is the one `cluster-metadata.db`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from kafkatui.common.clock import Clock
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import ControllerElected, EventBus
from kafkatui.engine.controller.controller import Controller
from kafkatui.engine.server.config import BrokerDefaults
from kafkatui.engine.server.network import Network

if TYPE_CHECKING:
    from kafkatui.engine.server.broker import Broker

P = ParamSpec("P")
R = TypeVar("R")


class ControllerQuorum:
    """The active controller's identity, its heartbeat bookkeeping and its timers."""

    def __init__(
        self,
        controller: Controller,
        brokers: Mapping[int, Broker],
        network: Network,
        clock: Clock,
        bus: EventBus,
        defaults: BrokerDefaults,
    ) -> None:
        self._controller = controller
        self._brokers = brokers
        self._network = network
        self._clock = clock
        self._bus = bus
        self._defaults = defaults
        self.active = -1
        self.epoch = 0
        self.last_heartbeat_ms: dict[int, int] = {}
        self._next_heartbeat_ms: dict[int, int] = {}
        self._electing_since: int | None = None
        self._next_rebalance_ms = 0
        self._task: asyncio.Task[None] | None = None
        self.on_error: Callable[[BaseException], None] | None = None

    # --- role ----------------------------------------------------------------------

    def elect(self) -> int:
        """Give the role to the lowest running broker now (or to none); every broker's
        session starts afresh, as a new active controller has heard from nobody yet."""
        running = sorted(b for b, broker in self._brokers.items() if broker.running)
        previous = self.active
        # Raft elects a voter that a majority can hear; the lowest id among them here.
        majority = [b for b in running if self._hears_majority(b, running)]
        self.active = (majority or running or [-1])[0]
        self._electing_since = None
        if self.active == previous:
            return self.active
        now = self._clock.now_ms()
        if self.active != -1:
            self.epoch += 1
            # Every registered broker gets a fresh session; dead ones expire from here.
            self.last_heartbeat_ms = dict.fromkeys(self._brokers, now)
            self._next_rebalance_ms = now + self._defaults.leader_imbalance_check_interval_ms
        self._bus.publish(
            ControllerElected(
                timestamp_ms=now, controller_id=self.active, epoch=self.epoch, previous=previous
            )
        )
        return self.active

    def resign(self) -> None:
        """The active controller shuts down cleanly: the others elect at once."""
        self.active = -1
        self.elect()

    def lost(self) -> None:
        """The active controller's broker died: the role is empty until the election
        timeout passes without word from it."""
        if self.active == -1:
            return
        previous = self.active
        self.active = -1
        now = self._clock.now_ms()
        self._electing_since = now
        self._bus.publish(
            ControllerElected(timestamp_ms=now, controller_id=-1, epoch=self.epoch, previous=previous)
        )

    def _hears_majority(self, broker_id: int, running: list[int]) -> bool:
        reached = sum(1 for b in running if self._network.reachable(broker_id, b))
        return reached * 2 > len(running)

    def reachable_from(self, broker_id: int) -> bool:
        """Can a request from `broker_id` reach the active controller right now?"""
        return self.active != -1 and self._network.delivers(broker_id, self.active)

    def require_active(self) -> None:
        """Admin requests need an active controller; between a controller's death and
        the election that replaces it there is none (Kafka's clients retry on this)."""
        if self.active == -1:
            raise KafkaError(
                ErrorCode.NOT_CONTROLLER,
                "no active controller right now: the quorum is electing one (controller.quorum."
                f"election.timeout.ms={self._defaults.controller_quorum_election_timeout_ms}); try again",
            )

    def through_active(self, call: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """`call`, one of the controller's admin requests, as clients reach it: answered
        NOT_CONTROLLER while the quorum has no active controller (`require_active`)."""

        @functools.wraps(call)
        async def on_active_controller(*args: P.args, **kwargs: P.kwargs) -> R:
            self.require_active()
            return await call(*args, **kwargs)

        return on_active_controller

    def session_remaining_ms(self, broker_id: int) -> int | None:
        """How long until the controller fences a broker if it stays silent from now (None
        while no controller is active, or for a broker it does not track)."""
        last = self.last_heartbeat_ms.get(broker_id)
        if last is None or self.active == -1:
            return None
        return max(0, last + self._defaults.broker_session_timeout_ms - self._clock.now_ms())

    # --- timers --------------------------------------------------------------------

    def start(self) -> None:
        self.elect()
        for broker_id in self._brokers:
            self._next_heartbeat_ms[broker_id] = self._clock.now_ms()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def tick_ms(self) -> int:
        d = self._defaults
        return max(1, min(d.broker_heartbeat_interval_ms, d.controller_quorum_election_timeout_ms) // 2)

    async def _run(self) -> None:
        while True:
            await self._clock.sleep(self.tick_ms / 1000)
            try:
                await self.tick()
            except Exception as error:  # a timer must not die silently
                if self.on_error is not None:
                    self.on_error(error)

    async def tick(self) -> None:
        """One pass of the timers: election, heartbeats, session expiry, rebalance."""
        now = self._clock.now_ms()
        d = self._defaults
        if self.active == -1:
            if (
                self._electing_since is None
                or now - self._electing_since >= d.controller_quorum_election_timeout_ms
            ):
                self.elect()
            return
        running = sorted(b for b, broker in self._brokers.items() if broker.running)
        if not self._hears_majority(self.active, running) and any(
            self._hears_majority(b, running) for b in running
        ):
            # Cut off from most of the cluster while others are not (Raft's check-quorum):
            # step down; the majority side elects after the election timeout.
            self.lost()
            return
        for broker_id, broker in self._brokers.items():
            if not broker.running or now < self._next_heartbeat_ms.get(broker_id, 0):
                continue
            self._next_heartbeat_ms[broker_id] = now + d.broker_heartbeat_interval_ms
            if self.reachable_from(broker_id):
                self.last_heartbeat_ms[broker_id] = now
                registration = self._controller.image.brokers.get(broker_id)
                if registration is not None and registration.fenced:
                    # A broker cut off from the controller is heard again: back in service.
                    await self._controller.unfence_broker(broker_id)
        for broker_id, info in sorted(self._controller.image.brokers.items()):
            last = self.last_heartbeat_ms.get(broker_id)
            if info.fenced or last is None or now - last < d.broker_session_timeout_ms:
                continue
            await self._controller.fence_broker(
                broker_id, reason=f"no heartbeat for broker.session.timeout.ms={d.broker_session_timeout_ms}"
            )
        if d.auto_leader_rebalance_enable and now >= self._next_rebalance_ms:
            self._next_rebalance_ms = now + d.leader_imbalance_check_interval_ms
            for broker_id in self._controller.imbalanced_brokers(d.leader_imbalance_per_broker_percentage):
                await self._controller.elect_leaders(
                    "preferred", self._controller.preferred_partitions_of(broker_id)
                )
