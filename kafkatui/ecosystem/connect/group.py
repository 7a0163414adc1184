"""Distributed mode: a worker's membership of its Connect group (Kafka's
WorkerGroupMember / WorkerCoordinator and the DistributedHerder's tick loop).

Each worker joins `group.id` (protocol type "connect") offering its REST URL, the
connect-configs offset it has read and what it runs. The leader reads connect-configs to
its end and assigns connectors and tasks (`assignor.py`); every member stops what it is
told to revoke, starts what it is given, and rejoins at once after a revocation or when
the scheduled delay runs out. Between rebalances a member heartbeats every
`heartbeat.interval.ms` and tails connect-configs: the leader asks for a rebalance when
the set of connectors or tasks changes (Kafka's leader does on a config update).

Every wait of this loop (the heartbeat interval, the scheduled rebalance delay, the
backoff after an error) is on the backend's clock, the one the group coordinator
measures session.timeout.ms on: on a cluster with a ManualClock a worker heartbeats only
as cluster time moves, so a silent worker's session expires, and its work moves, at the
same cluster time on every run."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from kafkatui.backends.base import Backend, GroupMember
from kafkatui.common.clock import wait_event
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.ecosystem.connect import protocol
from kafkatui.ecosystem.connect.assignor import AssignorState, assign
from kafkatui.ecosystem.connect.protocol import CONNECTOR_TASK, Assignment, Work, WorkerState
from kafkatui.ecosystem.http import NO_ACCESS, client_access


class Worker(Protocol):
    """What the group needs of its worker (`worker.Worker`)."""

    backend: Backend
    config: Any
    configs: Any
    status: Any
    generation: int

    def now_ms(self) -> int: ...
    async def reconcile(self, assigned: set[Work]) -> None: ...


log = logging.getLogger("kafkatui.ecosystem.connect")
# After a failed join or sync (coordinator gone, a request refused): retry.backoff.ms.
RETRY_BACKOFF_S = 0.2


class WorkerGroup:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        c = worker.config
        self.member: GroupMember = worker.backend.group_member(
            c.group_id, protocol.CONNECT_PROTOCOL_TYPE, c.session_timeout_ms, c.rebalance_timeout_ms
        )
        self.assignment: Assignment | None = None
        self.owned: set[Work] = set()
        self.leader_url: str | None = None
        self.is_leader = False
        self.rebalancing = True
        self._state = AssignorState()
        self._rejoin = asyncio.Event()
        self._work_at_assignment: set[Work] = set()
        self._loop: asyncio.Task[None] | None = None
        self._delayed: asyncio.Task[None] | None = None  # the scheduled rebalance (KIP-415)
        self.generation = -1

    @property
    def url(self) -> str:
        c = self.worker.config
        return f"{c.rest_advertised_listener}://{c.worker_id}/"

    def start(self) -> None:
        self._loop = asyncio.ensure_future(self._run())

    def request_rebalance(self) -> None:
        self._rejoin.set()

    async def ask_leader(self, method: str, path: str, body: Any = None) -> Any:
        """An internal request to the leader's REST API (Kafka's RestClient between
        workers: task configs, zombie fencing); its JSON answer, or a KafkaError."""
        import aiohttp

        if self.leader_url is None:
            raise KafkaError(ErrorCode.REBALANCE_IN_PROGRESS, "the Connect group's leader is not known yet")
        url = self.leader_url.rstrip("/") + path
        access = client_access(url) or NO_ACCESS  # a leader in this process behind TLS/Basic
        headers = {"X-Kafkatui-Forwarded": "1", **access.headers}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, json=body, headers=headers, ssl=access.verify) as answer,
        ):
            text = await answer.text()
            if answer.status >= 400:
                raise KafkaError(
                    ErrorCode.UNKNOWN_SERVER_ERROR, f"{method} {path} on the leader: {answer.status} {text}"
                )
            return await answer.json(content_type=None) if text else None

    async def stop(self) -> None:
        """Leave the group (LeaveGroup at once, as a worker stopping cleanly does)."""
        for task in (self._loop, self._delayed):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self.member.leave()

    def all_work(self) -> set[Work]:
        s = self.worker.configs.state
        work: set[Work] = set()
        for name in s.connectors:
            work.add((name, CONNECTOR_TASK))
            work.update((name, n) for n in range(len(s.tasks.get(name, []))))
        return work

    async def _run(self) -> None:
        while True:
            try:
                await self._rebalance()
                await self._until_rejoin()
            except asyncio.CancelledError:
                raise
            except KafkaError as error:
                log.warning("connect group %s: %s", self.member.group_id, error)
                self.rebalancing = True
                await self.worker.backend.clock.sleep(RETRY_BACKOFF_S)
            except Exception:
                log.exception("connect group %s", self.member.group_id)
                self.rebalancing = True
                await self.worker.backend.clock.sleep(RETRY_BACKOFF_S)

    async def _rebalance(self) -> None:
        self.rebalancing = True
        self._rejoin.clear()
        w = self.worker
        await w.configs.log.read_to_end()
        state = WorkerState(self.url, w.configs.state.offset, tuple(sorted(self.owned)))
        joined = await self.member.join(protocol.protocols(state))
        self.generation = joined.generation_id
        w.generation = joined.generation_id
        assignments = None
        if joined.is_leader:
            await w.configs.log.read_to_end()
            assignments = self._assign(joined.members)
        data = await self.member.sync(assignments)
        assignment = protocol.decode_assignment(data)
        if assignment is None:
            self._rejoin.set()
            return
        self.assignment = assignment
        self.leader_url = assignment.leader_url
        self.is_leader = assignment.leader == self.member.member_id
        if self.is_leader:  # KIP-618: the leader's transactional id, fencing a former leader
            await w.configs.claim_write_privileges()
        else:
            await w.configs.relinquish_write_privileges()
        await w.configs.log.read_to_end()
        revoked = set(assignment.revoked)
        self.owned = set(assignment.assigned)
        self._work_at_assignment = self.all_work()
        await w.reconcile(self.owned)
        self.rebalancing = False
        if revoked:
            self._rejoin.set()  # KIP-415: give up, then rejoin so the new owner gets it
        elif assignment.delay_ms > 0:
            self._schedule_rejoin(assignment.delay_ms)

    def _schedule_rejoin(self, delay_ms: int) -> None:
        """Rejoin once scheduled.rebalance.max.delay.ms's remainder has passed on the
        cluster's clock (the lost work is reassigned then); a newer delay replaces it."""
        if self._delayed is not None:
            self._delayed.cancel()

        async def later() -> None:
            await self.worker.backend.clock.sleep(delay_ms / 1000)
            self._rejoin.set()

        self._delayed = asyncio.ensure_future(later())

    def _assign(self, members: tuple[tuple[str, bytes], ...]) -> dict[str, bytes]:
        w = self.worker
        states = {m: protocol.decode_metadata(meta) for m, meta in members}
        version = min([s.version for s in states.values()] + [2])
        plan = assign(
            {m: s.owned for m, s in states.items()},
            sorted(self.all_work()),
            self._state,
            w.now_ms(),
            w.config.scheduled_rebalance_max_delay_ms,
        )
        offset = w.configs.state.offset
        return {
            m: protocol.encode_assignment(
                protocol.Assignment(
                    self.member.member_id,
                    self.url,
                    offset,
                    tuple(plan.assigned.get(m, [])),
                    tuple(plan.revoked.get(m, [])),
                    plan.delay_ms,
                    version=version,
                )
            )
            for m in states
        }

    async def _until_rejoin(self) -> None:
        interval = self.worker.config.heartbeat_interval_ms / 1000
        while not self._rejoin.is_set():
            if await wait_event(self.worker.backend.clock, self._rejoin, interval):
                return
            answer = await self.member.heartbeat()
            if answer is not None:
                return  # REBALANCE_IN_PROGRESS, or dropped: join (afresh)
            await self.worker.configs.log.read_to_end()
            await self.worker.status.log.read_to_end()  # the others' task states, for REST
            if self.is_leader and self.all_work() != self._work_at_assignment:
                return
            await self.worker.reconcile(self.owned)  # config changes of what this worker runs
