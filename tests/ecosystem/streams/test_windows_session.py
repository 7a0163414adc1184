"""Session windows on the test driver: records less than the inactivity gap apart form
one session; a record that reaches an existing session (or bridges two) merges them,
the merged-away sessions are forwarded as tombstones; a record whose session has
closed (end < stream time - grace) is dropped and counted in dropped-records; the
session store's changelog (Kafka's SessionKeySchema) restores the same sessions."""

from __future__ import annotations

import pytest

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder, Suppressed, TopologyTestDriver
from kafkatui.ecosystem.streams.records import TimeWindow, Windowed
from kafkatui.ecosystem.streams.windows import SessionWindows


def _count(windows: SessionWindows) -> TopologyTestDriver:
    builder = StreamsBuilder()
    counts = builder.stream("clicks").group_by_key().windowed_by(windows).count("sessions")
    counts.to_stream().to("counts", value_serde=Serdes.long())
    return TopologyTestDriver(builder.build())


def _out(driver: TopologyTestDriver) -> list[tuple[str, int | None]]:
    return [(str(k), v) for k, v in driver.read_all("counts", Serdes.windowed_text(), Serdes.long())]


def test_sessions_grow_merge_and_tombstone_the_sessions_they_replace() -> None:
    driver = _count(SessionWindows.of_inactivity_gap_with_no_grace(5))
    driver.pipe_input("clicks", "k", "x", 0)
    driver.pipe_input("clicks", "k", "x", 3)  # within 5 ms of the session [0, 0]
    assert _out(driver) == [("[k@0/0]", 1), ("[k@0/0]", None), ("[k@0/3]", 2)]
    driver.pipe_input("clicks", "k", "x", 20)  # a new session
    driver.pipe_input("clicks", "other", "x", 20)
    driver.pipe_input("clicks", "k", "x", 16)  # reaches [20, 20]
    assert _out(driver) == [("[k@20/20]", 1), ("[other@20/20]", 1), ("[k@20/20]", None), ("[k@16/20]", 2)]
    store = driver.get_state_store("sessions")
    assert store.find_sessions("k", 0, 100) == [
        (Windowed("k", TimeWindow(0, 3)), 2),
        (Windowed("k", TimeWindow(16, 20)), 2),
    ]


def test_a_record_between_two_sessions_merges_them_with_the_merger() -> None:
    builder = StreamsBuilder()
    sessions = (
        builder.stream("pages").group_by_key().windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5))
    )
    visits = sessions.aggregate(lambda: "", lambda k, page, agg: agg + page, lambda k, a, b: a + b)
    visits.to_stream().to("visits")
    driver = TopologyTestDriver(builder.build())
    driver.pipe_input("pages", "u", "a", 0)
    driver.pipe_input("pages", "u", "c", 10)
    driver.pipe_input("pages", "u", "b", 5)  # 5 ms from both: one session [0, 10]
    out = [(str(k), v) for k, v in driver.read_all("visits", Serdes.windowed_text())]
    assert out == [
        ("[u@0/0]", "a"),
        ("[u@10/10]", "c"),
        ("[u@0/0]", None),
        ("[u@10/10]", None),
        ("[u@0/10]", "acb"),
    ]


def test_late_records_within_grace_count_and_past_it_are_dropped() -> None:
    driver = _count(SessionWindows.of_inactivity_gap_and_grace(5, 10))
    driver.pipe_input("clicks", "k", "x", 0)
    driver.pipe_input("clicks", "k", "x", 20)  # stream time 20: sessions ending before 10 are closed
    driver.pipe_input("clicks", "k", "x", 12)  # a session of its own, still open
    driver.pipe_input("clicks", "k", "x", 3)  # would merge into [0, 3]: closed, dropped
    driver.pipe_input("clicks", None, "x", 21)
    assert _out(driver) == [("[k@0/0]", 1), ("[k@20/20]", 1), ("[k@12/12]", 1)]
    assert driver.metrics()["dropped-records-total"] == 2


def test_session_reduce() -> None:
    builder = StreamsBuilder()
    grouped = builder.stream("prices", value_serde=Serdes.long()).group_by_key()
    highs = grouped.windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 30)).reduce(max)
    highs.to_stream().to("highs", value_serde=Serdes.long())
    driver = TopologyTestDriver(builder.build())
    for ts, price in ((0, 3), (20, 1), (5, 9), (12, 4)):  # 12 bridges [0, 5] and [20, 20]
        driver.pipe_input("prices", "p", price, ts, value_serde=Serdes.long())
    out = [(str(k), v) for k, v in driver.read_all("highs", Serdes.windowed_text(), Serdes.long())]
    assert out[-3:] == [("[p@0/5]", None), ("[p@20/20]", None), ("[p@0/20]", 9)]


def test_the_changelog_restores_the_same_sessions() -> None:
    driver = _count(SessionWindows.of_inactivity_gap_with_no_grace(5))
    for ts in (0, 3, 20, 16, 40):
        driver.pipe_input("clicks", "k", "x", ts)
    store = driver.get_state_store("sessions")
    restored = driver.topology.stores["sessions"].build(Serdes.string(), Serdes.string())
    for record in driver.produced("test-driver-sessions-changelog"):
        restored.restore(record.key, record.value)
    assert restored.find_sessions("k", 0, 100) == store.find_sessions("k", 0, 100)
    assert len(store.find_sessions("k", 0, 100)) == 3


def test_session_windows_are_checked() -> None:
    with pytest.raises(ValueError, match="Gap time cannot be zero or negative"):
        SessionWindows.of_inactivity_gap_with_no_grace(0)
    with pytest.raises(ValueError, match="Grace period must not be negative"):
        SessionWindows.of_inactivity_gap_and_grace(5, -1)


def test_suppressed_sessions_emit_once_a_gap_and_grace_past_their_end_without_tombstones() -> None:
    builder = StreamsBuilder()
    windows = SessionWindows.of_inactivity_gap_and_grace(5, 2)
    counts = builder.stream("clicks").group_by_key().windowed_by(windows).count("sessions")
    counts.suppress(Suppressed.until_window_closes()).to_stream().to("counts", value_serde=Serdes.long())
    driver = TopologyTestDriver(builder.build())
    driver.pipe_input("clicks", "k", "x", 0)
    driver.pipe_input("clicks", "k", "x", 3)  # [0, 0] merged away: its tombstone is never final
    driver.pipe_input("clicks", "k", "x", 7)  # within the gap of [0, 3]: it grows to [0, 7]
    driver.pipe_input("clicks", "other", "x", 13)  # 13 < 7 + 5 + 2: [0, 7] could still grow
    assert _out(driver) == []
    driver.pipe_input("clicks", "other", "x", 14)
    assert _out(driver) == [("[k@0/7]", 3)]


# --- Kafka's SessionWindowedKStreamImplTest (emit on update), ported ----------------------
KAFKA_DATA = [("1", "1", 10), ("1", "2", 15), ("1", "3", 600), ("2", "1", 600), ("2", "2", 599)]


def _kafka_sessions(kind: str) -> tuple[list[tuple], TopologyTestDriver]:
    builder = StreamsBuilder()
    sessions = (
        builder.stream("input")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(500))
    )
    if kind == "count":
        table, value_serde = sessions.count("store"), Serdes.long()
    elif kind == "reduce":
        table, value_serde = sessions.reduce(lambda v1, v2: f"{v1}+{v2}", "store"), Serdes.string()
    else:
        table = sessions.aggregate(lambda: "0", lambda k, v, agg: f"{agg}+{v}", lambda k, a, b: f"{a}+{b}",
                                   value_serde=Serdes.string(), store="store")  # fmt: skip
        value_serde = Serdes.string()
    table.to_stream().to("out", value_serde=value_serde)
    driver = TopologyTestDriver(builder.build())
    for key, value, timestamp in KAFKA_DATA:
        driver.pipe_input("input", key, value, timestamp)
    out = []
    while (record := driver.read_output("out", Serdes.windowed_text(), value_serde)) is not None:
        out.append(
            (record.key.key, record.key.window.start, record.key.window.end, record.value, record.timestamp)
        )
    return out, driver


@pytest.mark.parametrize(
    ("kind", "first", "merged", "one_at_600", "two_at_600", "two_merged"),
    [
        ("count", 1, 2, 1, 1, 2),
        ("reduce", "1", "1+2", "3", "1", "1+2"),
        ("aggregate", "0+1", "0+0+1+2", "0+3", "0+1", "0+0+1+2"),
    ],
)
def test_kafkas_session_windowed_count_reduce_aggregate(
    kind: str, first: object, merged: object, one_at_600: object, two_at_600: object, two_merged: object
) -> None:
    out, driver = _kafka_sessions(kind)
    assert out == [
        ("1", 10, 10, first, 10), ("1", 10, 10, None, 10), ("1", 10, 15, merged, 15),
        ("1", 600, 600, one_at_600, 600), ("2", 600, 600, two_at_600, 600), ("2", 600, 600, None, 600),
        ("2", 599, 600, two_merged, 600),
    ]  # fmt: skip
    store = driver.get_state_store("store")
    assert store.find_sessions("1", 0, 10_000) + store.find_sessions("2", 0, 10_000) == [
        (Windowed("1", TimeWindow(10, 15)), merged),
        (Windowed("1", TimeWindow(600, 600)), one_at_600),
        (Windowed("2", TimeWindow(599, 600)), two_merged),
    ]
