"""A lesson being taken: its starting cluster, its current step, and the step's check run
against the cluster after every burst of events (UI-free: the Lessons panel and the CLI
drive it; tests drive it too)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kafkatui.backends.base import Backend, Feature, ProduceRequest
from kafkatui.common.events import Event
from kafkatui.course.checks import CHECKS, CheckContext, Produced, Snapshot, undo_steps
from kafkatui.course.ksql import drop_ksql_sources
from kafkatui.course.model import Lesson, StartingCluster, Step

# The Connect worker beside the cluster keeps its state in these (its config.storage.topic,
# offset.storage.topic, status.storage.topic defaults): deleting them under it would
# lose every connector, so a reset leaves them.
CONNECT_TOPICS = ("connect-configs", "connect-offsets", "connect-status")


def replaced_topics(names: list[str]) -> list[str]:
    """The topics a lesson's starting cluster deletes: every one but the services' own
    (`_schemas`, ksqlDB's `_confluent-ksql-…`, Connect's storage topics)."""
    return [t for t in names if not t.startswith("_") and t not in CONNECT_TOPICS]


async def build_starting_cluster(backend: Backend, cluster: StartingCluster) -> None:
    """Rebuild a lesson's starting cluster on `backend`: every broker running, the user's
    topics deleted, the lesson's topics created and its records produced in order. The
    same lesson gives the same cluster each time (fixed keys and values; partitions
    follow murmur2 of the key, and keyless records go round the partitions explicitly
    rather than through the sticky partitioner, whose choice depends on timing)."""
    stopped = [b.broker_id for b in backend.brokers() if not b.running]
    if stopped and backend.unavailable(Feature.STOP_BROKER) is None:
        controls = backend.engine_controls(Feature.STOP_BROKER)
        for broker_id in stopped:
            await controls.start_broker(broker_id)
    # ksqlDB's streams and tables over those topics go first, through its command topic.
    await drop_ksql_sources(backend, set(replaced_topics(backend.topic_names())))
    for topic in replaced_topics(backend.topic_names()):
        await backend.delete_topic(topic)
    brokers = len(backend.brokers())
    for topic in cluster.topics:
        rf = min(topic.replication_factor, brokers)
        await backend.create_topic(topic.name, topic.partitions, rf, dict(topic.configs))
    for records in cluster.records:
        partitions = len(backend.describe_topic(records.topic).partitions)
        for n in range(records.count):
            partition = None if records.key is not None else n % partitions
            value = records.value.format(n=n + 1)
            await backend.produce(ProduceRequest(records.topic, value, key=records.key, partition=partition))


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class Outcome:
    """What one evaluation found: the step done (and whether the lesson is), or a hint."""

    completed: bool = False
    lesson_done: bool = False
    hint: bool = False


class LessonRun:
    """One learner's way through one lesson on one backend."""

    def __init__(self, backend: Backend, lesson: Lesson, step_index: int = 0) -> None:
        self.backend = backend
        self.lesson = lesson
        self.step_index = min(step_index, len(lesson.steps) - 1)
        self.done = False
        self.hinted = False
        # One evaluation at a time: the panel starts one per burst of events, and two
        # that both saw a step's check hold would each move on a step (the second
        # finishing a lesson whose last step never happened).
        self._evaluating = asyncio.Lock()
        snapshot = Snapshot.take(backend)
        self._context = CheckContext(backend, snapshot, snapshot)
        # Heard as they are published, so the checks see exactly what happened since the
        # lesson (re)started, not the rebuild's own events still queued for the panels.
        self._unlisten = backend.bus.listen(self._heard)

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.step_index]

    async def reset(self) -> None:
        """Back to the first step on a freshly built starting cluster."""
        self.close()
        await build_starting_cluster(self.backend, self.lesson.cluster)
        await undo_steps(self.backend, [(s.check, s.params) for s in self.lesson.steps])
        self.step_index = 0
        self.done = False
        self.restart()
        self._unlisten = self.backend.bus.listen(self._heard)

    def restart(self) -> None:
        """Take the lesson's starting snapshot now (the cluster as the lesson begins)."""
        snapshot = Snapshot.take(self.backend)
        self._context = CheckContext(self.backend, snapshot, snapshot)
        self.hinted = False

    def jump_to(self, index: int) -> None:
        """Make `index` the current step (a presenter moved on ahead of the cluster): its
        check looks at what happens from now on, as a step reached by its check does."""
        self.step_index = max(0, min(index, len(self.lesson.steps) - 1))
        self.done = False
        self.hinted = False
        self._context = CheckContext(self.backend, self._context.lesson_start, Snapshot.take(self.backend))

    def close(self) -> None:
        """Stop following the cluster's events (the lesson was put away)."""
        self._unlisten()
        self._unlisten = _nothing

    def _heard(self, event: Event) -> None:
        self._context.events.append(event)
        self._contradicted([event])

    def sent(self, produced: Produced) -> None:
        self._context.produced.append(produced)
        self._contradicted([produced])

    def _contradicted(self, seen: list[Event] | list[Produced]) -> None:
        contradicts = CHECKS[self.step.check].contradicts
        if contradicts is None or self.done:
            return
        if any(contradicts(self._context, self.step.params, item) for item in seen):
            self.hinted = True

    async def evaluate(self) -> Outcome:
        """Run the step's check; when it holds, move to the next step (whose events
        start from now) and run that one too, since one action may satisfy both."""
        async with self._evaluating:
            return await self._evaluate()

    async def _evaluate(self) -> Outcome:
        if self.done:
            return Outcome(lesson_done=True)
        completed = False
        while await CHECKS[self.step.check].holds(self._context, self.step.params):
            completed = True
            if self.step_index + 1 >= len(self.lesson.steps):
                self.done = True
                return Outcome(completed=True, lesson_done=True)
            self.step_index += 1
            self.hinted = False
            self._context = CheckContext(
                self.backend, self._context.lesson_start, Snapshot.take(self.backend)
            )
        return Outcome(completed=completed, hint=self.hinted)
