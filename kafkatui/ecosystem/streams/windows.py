"""Time windows (Kafka's `TimeWindows`): tumbling (advance = size) and hopping
(advance < size), each with a grace period for out-of-order records (KIP-633: no
default grace; `of_size_with_no_grace` or `of_size_and_grace` says which)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

Duration = int | timedelta


def millis(value: Duration) -> int:
    return int(value.total_seconds() * 1000) if isinstance(value, timedelta) else int(value)


@dataclass(frozen=True)
class TimeWindows:
    size_ms: int
    advance_ms: int
    grace_ms: int

    @classmethod
    def of_size_with_no_grace(cls, size: Duration) -> TimeWindows:
        return cls.of_size_and_grace(size, 0)

    @classmethod
    def of_size_and_grace(cls, size: Duration, grace: Duration) -> TimeWindows:
        size_ms, grace_ms = millis(size), millis(grace)
        if size_ms <= 0:
            raise ValueError("Window size (sizeMs) must be larger than zero.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        return cls(size_ms, size_ms, grace_ms)

    def advance_by(self, advance: Duration) -> TimeWindows:
        advance_ms = millis(advance)
        if advance_ms <= 0 or advance_ms > self.size_ms:
            raise ValueError(
                "Window advancement interval should be more than zero and less than window duration "
                f"which is {self.size_ms} ms, but given advancement interval is: {advance_ms} ms"
            )
        return replace(self, advance_ms=advance_ms)

    def windows_for(self, timestamp: int) -> list[int]:
        """The starts of the windows holding `timestamp` (TimeWindows.windowsFor)."""
        start = (max(0, timestamp - self.size_ms + self.advance_ms) // self.advance_ms) * self.advance_ms
        starts = []
        while start <= timestamp:
            starts.append(start)
            start += self.advance_ms
        return starts

    @property
    def retention_ms(self) -> int:
        # Kafka's default window store retention: size + grace (at least a day is not
        # required here: the store keeps what can still be updated or queried).
        return self.size_ms + self.grace_ms


class Suppressed:
    """`Suppressed.until_window_closes(unbounded())`: one final result per window."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    @classmethod
    def until_window_closes(cls, buffer: object = None, name: str | None = None) -> Suppressed:
        return cls(name)


def unbounded() -> None:
    """BufferConfig.unbounded(): the buffer holds every open window (the only kind here)."""
    return None


@dataclass(frozen=True)
class JoinWindows:
    """A stream–stream join's window (Kafka's JoinWindows, KIP-633): records of the two
    sides join when their timestamps are at most `before` apart one way and `after`
    the other (both the time difference unless changed), and a record can wait `grace`
    past that for a late partner."""

    before_ms: int
    after_ms: int
    grace_ms: int
    # False only for the deprecated JoinWindows.of: a left/outer record without a partner
    # is joined with null at once (Kafka's enableSpuriousResultFix, KIP-633).
    spurious_result_fix: bool = True

    @classmethod
    def of(cls, time_difference: Duration) -> JoinWindows:
        """The deprecated JoinWindows.of: grace max(24 h - 2 × difference, 0), eager
        left/outer results (ksqlDB's WITHIN without GRACE PERIOD)."""
        difference = millis(time_difference)
        if difference < 0:
            raise ValueError("Window time difference must not be negative.")
        return cls(difference, difference, max(24 * 3_600_000 - 2 * difference, 0), False)

    @classmethod
    def of_time_difference_with_no_grace(cls, time_difference: Duration) -> JoinWindows:
        return cls.of_time_difference_and_grace(time_difference, 0)

    @classmethod
    def of_time_difference_and_grace(cls, time_difference: Duration, grace: Duration) -> JoinWindows:
        difference, grace_ms = millis(time_difference), millis(grace)
        if difference < 0:
            raise ValueError("Window time difference must not be negative.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        return cls(difference, difference, grace_ms)

    def before(self, time_difference: Duration) -> JoinWindows:
        before_ms = millis(time_difference)
        if before_ms + self.after_ms < 0:
            raise ValueError("Window interval (ie, beforeMs+afterMs) must not be negative.")
        return replace(self, before_ms=before_ms)

    def after(self, time_difference: Duration) -> JoinWindows:
        after_ms = millis(time_difference)
        if self.before_ms + after_ms < 0:
            raise ValueError("Window interval (ie, beforeMs+afterMs) must not be negative.")
        return replace(self, after_ms=after_ms)

    @property
    def size_ms(self) -> int:
        return self.before_ms + self.after_ms

    @property
    def retention_ms(self) -> int:
        # KStreamImplJoin's window stores: retention size + grace, window size `size`.
        return self.size_ms + self.grace_ms


@dataclass(frozen=True)
class SlidingWindows:
    """Sliding windows (Kafka's SlidingWindows, KIP-450): a window of `time_difference`
    ms ending at each record ([t - d, t]) and starting just after each ([t + 1, t + 1 +
    d]), so every distinct set of records within d ms of each other gets one window."""

    time_difference_ms: int
    grace_ms: int

    @classmethod
    def of_time_difference_with_no_grace(cls, time_difference: Duration) -> SlidingWindows:
        return cls.of_time_difference_and_grace(time_difference, 0)

    @classmethod
    def of_time_difference_and_grace(cls, time_difference: Duration, grace: Duration) -> SlidingWindows:
        difference, grace_ms = millis(time_difference), millis(grace)
        if difference < 0:
            raise ValueError("Window time difference must not be negative.")
        if grace_ms < 0:
            raise ValueError("Window grace period must not be negative.")
        return cls(difference, grace_ms)

    @property
    def size_ms(self) -> int:
        return self.time_difference_ms

    @property
    def retention_ms(self) -> int:
        # SlidingWindowedKStreamImpl: a record can still update windows 2 d back, plus grace.
        return 2 * self.time_difference_ms + self.grace_ms


@dataclass(frozen=True)
class SessionWindows:
    """Session windows (Kafka's SessionWindows): a key's records less than
    `inactivity_gap` ms apart form one session [first, last]; a record between two
    sessions merges them."""

    inactivity_gap_ms: int
    grace_ms: int

    @classmethod
    def of_inactivity_gap_with_no_grace(cls, inactivity_gap: Duration) -> SessionWindows:
        return cls.of_inactivity_gap_and_grace(inactivity_gap, 0)

    @classmethod
    def of_inactivity_gap_and_grace(cls, inactivity_gap: Duration, grace: Duration) -> SessionWindows:
        gap, grace_ms = millis(inactivity_gap), millis(grace)
        if gap <= 0:
            raise ValueError("Gap time cannot be zero or negative.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        return cls(gap, grace_ms)

    @property
    def retention_ms(self) -> int:
        return self.inactivity_gap_ms + self.grace_ms
