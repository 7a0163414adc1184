"""Faults a workbench cluster can be given, to watch Kafka cope: brokers stopped (a
controlled shutdown) or crashed (kill -9) and restarted, links between brokers slowed,
made lossy or cut, and produce acknowledgements lost on their way back.

Only an embedded cluster can do these; the network itself is `server/network.py`.
"""

from __future__ import annotations

from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import BrokerStarted, BrokerStopped
from kafkatui.engine.cluster_core import ClusterCore


class FaultInjection(ClusterCore):
    """Stopping, crashing and restarting brokers, the links between them, and lost
    acknowledgements; part of `Cluster`."""

    async def stop_broker(self, broker_id: int, *, crash: bool = False) -> None:
        """Stop a broker. Gracefully, it hands leadership over first (controlled
        shutdown) and the controller fences it at once. A crash just dies: nothing
        changes until the controller misses its heartbeats for broker.session.timeout.ms
        (or, if it was the controller, until the others elect a new one). A fenced
        broker is persisted as such: it stays stopped in later processes."""
        broker = self._broker(broker_id)
        if not broker.running:
            raise KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, f"broker {broker_id} is already stopped")
        was_controller = self.quorum.active == broker_id
        if not crash and self.quorum.active == -1:
            raise KafkaError(
                ErrorCode.NOT_CONTROLLER,
                f"a controlled shutdown of broker {broker_id} needs the active controller, and the "
                "quorum is electing one; try again in a moment (or crash the broker)",
            )
        if crash:
            await broker.crash()
            if was_controller:
                self.quorum.lost()
        else:
            await self.controller.fence_broker(broker_id)
            await broker.stop()
            if was_controller:
                self.quorum.resign()
        self.bus.publish(BrokerStopped(timestamp_ms=self.clock.now_ms(), broker_id=broker_id, crashed=crash))

    async def start_broker(self, broker_id: int) -> None:
        """Restart a stopped broker: recover its logs, register with the controller and
        rejoin as follower (truncating what its leaders never had) or as leader of
        partitions waiting for it. A broker that crashed and returns before its session
        expired registers as a new incarnation: the controller fences the old one first."""
        broker = self._broker(broker_id)
        if broker.running:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"broker {broker_id} is already running")
        if broker.storage.offline:
            # Like a Kafka broker restarting after a log dir failure: open and check it
            # again (an I/O error may have passed; damage found before stays).
            await broker.storage.close()
            broker.use_storage(await self._open_storage(broker_id))
        await self._register_log_dir(broker)
        await broker.recover()
        if self.quorum.active == -1:
            self.quorum.elect()
        if not self.metadata.brokers[broker_id].fenced:
            await self.controller.fence_broker(broker_id, reason="restarted as a new incarnation")
        await self.controller.unfence_broker(broker_id)
        self.quorum.last_heartbeat_ms[broker_id] = self.clock.now_ms()
        self.bus.publish(BrokerStarted(timestamp_ms=self.clock.now_ms(), broker_id=broker_id))

    def broker_state(self, broker_id: int) -> str:
        """running | fenced (running, but the controller cannot hear it) | crashed (dead,
        the controller has not noticed yet) | stopped (dead and fenced)."""
        broker = self._broker(broker_id)
        info = self.metadata.brokers.get(broker_id)
        fenced = info is not None and info.fenced
        if broker.running:
            return "fenced" if fenced else "running"
        return "stopped" if fenced else "crashed"

    def set_latency(self, ms: int, a: int | None = None, b: int | None = None) -> None:
        """Delay every request between brokers `a` and `b` (both ways), or between all."""
        if ms < 0:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"latency must be 0 ms or more, not {ms}")
        if a is not None or b is not None:
            self._check_link(a if a is not None else -1, b if b is not None else -1)
        for x in self.brokers:
            for y in self.brokers:
                if x < y and (a is None or {x, y} == {a, b}):
                    self.network.set_latency(x, y, ms)

    def set_loss(self, a: int, b: int, loss: float) -> None:
        """Drop each request between `a` and `b` with probability `loss` (0..1)."""
        self._check_link(a, b)
        if not 0.0 <= loss <= 1.0:
            raise KafkaError(ErrorCode.INVALID_REQUEST, f"loss is a fraction from 0 to 1, not {loss}")
        self.network.set_loss(a, b, loss)

    def cut_link(self, a: int, b: int) -> None:
        """Cut the network between two brokers: no fetches, no heartbeats across it."""
        self._check_link(a, b)
        self.network.cut(a, b)

    def heal_link(self, a: int, b: int) -> None:
        """Reconnect two brokers (and clear the link's loss)."""
        self._check_link(a, b)
        self.network.heal(a, b)

    def _check_link(self, a: int, b: int) -> None:
        self._broker(a), self._broker(b)
        if a == b:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"a link joins two different brokers, not {a} and {b}"
            )

    def drop_next_acks(self, count: int = 1, topic: str | None = None) -> None:
        """A fault: the next `count` produce responses (for `topic`, or any topic) are
        lost after the leader appended the batch, so the producer retries it. Without
        idempotence the retry is appended again; with it the leader drops the duplicate."""
        if count < 1:
            raise KafkaError(
                ErrorCode.INVALID_REQUEST, f"the number of acks to drop must be at least 1, not {count}"
            )
        if topic is not None:
            self.topic(topic)
        self.network.drop_acks(count, topic)
