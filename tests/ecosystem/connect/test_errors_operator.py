"""RetryWithToleranceOperator on its own, with a manual clock: the backoff Kafka uses
(300 ms doubling, capped by errors.retry.delay.max.ms with jitter, never past the
deadline), which exceptions each stage tolerates, and the log reporter's message."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kafkatui.common.clients import ConsumerRecord, TimestampType
from kafkatui.ecosystem.connect.api import ConnectException
from kafkatui.ecosystem.connect.data import DataException
from kafkatui.ecosystem.connect.errors import (
    ErrorConfig,
    ProcessingContext,
    RetriableException,
    RetryWithToleranceOperator,
    Skipped,
    Stage,
)


class ManualClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds * 1000, 3))
        self.now += seconds


def _operator(clock: ManualClock, **config: Any) -> RetryWithToleranceOperator:
    return RetryWithToleranceOperator(ErrorConfig(**config), "c-0", clock=clock.time, sleep=clock.sleep)


def _always_retriable() -> Any:
    raise RetriableException("down")


def _context(stage: Stage = Stage.TRANSFORMATION) -> ProcessingContext:
    return ProcessingContext(stage, "org.apache.kafka.connect.transforms.RegexRouter")


def test_backoff_doubles_from_300_ms_and_stops_at_the_deadline() -> None:
    clock = ManualClock()
    operator = _operator(clock, retry_timeout_ms=5_000, retry_delay_max_ms=60_000)
    with pytest.raises(ConnectException, match="Tolerance exceeded in error handler") as failure:
        asyncio.run(operator.execute(_context(), _always_retriable))
    assert clock.sleeps == [300, 600, 1200, 2400, 500]  # the last one only up to the deadline
    assert isinstance(failure.value.__cause__, RetriableException)
    assert operator.retries == 5 and operator.failures == 1


def test_past_the_max_delay_each_wait_is_jittered_below_it() -> None:
    clock = ManualClock()
    operator = _operator(clock, retry_timeout_ms=10_000, retry_delay_max_ms=400)
    with pytest.raises(ConnectException):
        asyncio.run(operator.execute(_context(), _always_retriable))
    assert clock.sleeps[0] == 300 and all(0 <= s <= 400 for s in clock.sleeps[1:])
    assert clock.now * 1000 == pytest.approx(10_000)


def test_no_retry_timeout_means_one_attempt_and_all_tolerates_it() -> None:
    clock = ManualClock()
    operator = _operator(clock, tolerance_all=True)
    with pytest.raises(Skipped):
        asyncio.run(operator.execute(_context(), _always_retriable))
    assert clock.sleeps == [] and operator.skipped == 1


def test_a_first_attempt_made_elsewhere_counts_as_the_first() -> None:
    clock = ManualClock()
    calls: list[int] = []
    operator = _operator(clock, retry_timeout_ms=-1)
    result = asyncio.run(
        operator.execute(_context(), lambda: calls.append(1) or "ok", RetriableException("x"))
    )
    assert result == "ok" and calls == [1] and clock.sleeps == [300]


def test_only_converters_and_transforms_tolerate_any_exception() -> None:
    def broken() -> Any:
        raise DataException("bad")

    operator = _operator(ManualClock(), tolerance_all=True)
    with pytest.raises(Skipped):
        asyncio.run(operator.execute(_context(Stage.VALUE_CONVERTER), broken))
    with pytest.raises(ConnectException, match="Unhandled exception in error handler"):
        asyncio.run(operator.execute(_context(Stage.KAFKA_PRODUCE), broken))


def test_the_log_reporters_description_of_a_consumed_record() -> None:
    record = ConsumerRecord("t", 3, 17, 1000, TimestampType.CREATE_TIME, b"k", b"v", (), 0)
    context = ProcessingContext(Stage.VALUE_CONVERTER, "org.apache.kafka.connect.json.JsonConverter", record)
    assert context.describe(False) == (
        "Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter', "
        "where consumed record is {topic='t', partition=3, offset=17}."
    )
    assert context.describe(True).endswith("offset=17, timestamp=1000, timestampType=CreateTime}.")
