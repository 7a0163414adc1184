"""Sliding windows (KIP-450) on the test driver: each record's left window [t - d, t],
the right windows created once a later record falls in them, early records (t < d) in
the combined window [0, d], grace, and late records dropped and counted as Kafka's
dropped-records; windowed keys print as [key@start/end]."""

from __future__ import annotations

import pytest

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder, TopologyTestDriver
from kafkatui.ecosystem.streams.windows import SlidingWindows


def _count(windows: SlidingWindows) -> TopologyTestDriver:
    builder = StreamsBuilder()
    counts = builder.stream("clicks").group_by_key().windowed_by(windows).count("per-window")
    counts.to_stream().to("counts", value_serde=Serdes.long())
    return TopologyTestDriver(builder.build())


def _out(driver: TopologyTestDriver) -> list[tuple[str, int]]:
    return [(str(k), v) for k, v in driver.read_all("counts", Serdes.windowed_text(), Serdes.long())]


def test_each_record_makes_its_left_window_and_the_right_windows_that_hold_records() -> None:
    driver = _count(SlidingWindows.of_time_difference_with_no_grace(10))
    driver.pipe_input("clicks", "k", "x", 5)
    assert _out(driver) == [("[k@0/10]", 1)]  # early: the combined window [0, 10]
    driver.pipe_input("clicks", "k", "x", 8)
    assert _out(driver) == [("[k@6/16]", 1), ("[k@0/10]", 2)]  # 5's right window now holds 8
    driver.pipe_input("clicks", "k", "x", 12)
    assert _out(driver) == [("[k@6/16]", 2), ("[k@9/19]", 1), ("[k@2/12]", 3)]
    driver.pipe_input("clicks", "k", "x", 30)
    assert _out(driver) == [("[k@20/30]", 1)]
    store = driver.get_window_store("per-window")
    assert store.fetch("k", 2).value == 3 and store.fetch("k", 2).timestamp == 12


def test_an_out_of_order_record_updates_open_windows_and_makes_its_right_window() -> None:
    driver = _count(SlidingWindows.of_time_difference_and_grace(10, 5))
    driver.pipe_input("clicks", "k", "x", 100)
    driver.pipe_input("clicks", "k", "x", 95)  # late, within grace: [85, 95] still open
    assert _out(driver) == [("[k@90/100]", 1), ("[k@90/100]", 2), ("[k@85/95]", 1), ("[k@96/106]", 1)]
    assert driver.metrics()["dropped-records-total"] == 0


def test_records_for_closed_windows_are_dropped_and_counted() -> None:
    driver = _count(SlidingWindows.of_time_difference_and_grace(10, 5))
    driver.pipe_input("clicks", "k", "x", 100)
    driver.pipe_input("clicks", "k", "x", 88)  # its left window [78, 88] ended before 100 - 5
    driver.pipe_input("clicks", "k", "x", 80)  # 80 + 1 + 10 <= 95: every window it could be in is closed
    driver.pipe_input("clicks", None, "x", 101)
    assert _out(driver) == [("[k@90/100]", 1)]
    assert driver.metrics()["dropped-records-total"] == 3


def test_sliding_aggregate_and_reduce() -> None:
    builder = StreamsBuilder()
    grouped = builder.stream("prices", value_serde=Serdes.long()).group_by_key()
    windows = SlidingWindows.of_time_difference_with_no_grace(10)
    total = grouped.windowed_by(windows).aggregate(
        lambda: 0, lambda k, v, agg: agg + v, value_serde=Serdes.long()
    )
    total.to_stream().to("totals", value_serde=Serdes.long())
    grouped.windowed_by(windows).reduce(max).to_stream().to("highs", value_serde=Serdes.long())
    driver = TopologyTestDriver(builder.build())
    for ts, price in ((20, 3), (25, 7), (28, 2)):
        driver.pipe_input("prices", "p", price, ts, value_serde=Serdes.long())
    totals = driver.read_all("totals", Serdes.windowed_text(), Serdes.long())
    assert [(str(k), v) for k, v in totals][-3:] == [("[p@21/31]", 9), ("[p@26/36]", 2), ("[p@18/28]", 12)]
    highs = dict((str(k), v) for k, v in driver.read_all("highs", Serdes.windowed_text(), Serdes.long()))
    assert highs["[p@18/28]"] == 7 and highs["[p@26/36]"] == 2


def test_sliding_windows_are_checked() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        SlidingWindows.of_time_difference_and_grace(10, -1)
    with pytest.raises(ValueError, match="must not be negative"):
        SlidingWindows.of_time_difference_with_no_grace(-1)


# --- Kafka's KStreamSlidingWindowAggregateTest, ported -----------------------------------
def _kafka_aggregate(
    d: int, grace: int, records: list[tuple[str, str, int]], reduce: bool = False
) -> list[tuple]:
    builder = StreamsBuilder()
    grouped = (
        builder.stream("topic")
        .group_by_key()
        .windowed_by(SlidingWindows.of_time_difference_and_grace(d, grace))
    )
    if reduce:
        table = grouped.reduce(lambda v1, v2: f"{v1}+{v2}")  # MockReducer.STRING_ADDER
    else:  # MockInitializer.STRING_INIT, MockAggregator.TOSTRING_ADDER
        table = grouped.aggregate(lambda: "0", lambda k, v, agg: f"{agg}+{v}", value_serde=Serdes.string())
    table.to_stream().to("out")
    driver = TopologyTestDriver(builder.build())
    for key, value, timestamp in records:
        driver.pipe_input("topic", key, value, timestamp)
    out = []
    while (record := driver.read_output("out", Serdes.windowed_text())) is not None:
        out.append(
            (record.key.key, record.key.window.start, record.key.window.end, record.value, record.timestamp)
        )
    return out


def _final_by_start(out: list[tuple]) -> dict[int, tuple[str, int]]:
    return {start: (value, timestamp) for _, start, _, value, timestamp in out}


def test_kafkas_aggregate_small_input() -> None:
    out = _kafka_aggregate(
        10, 50, [("A", "1", 10), ("A", "2", 15), ("A", "3", 20), ("A", "4", 22), ("A", "5", 30)]
    )
    assert _final_by_start(out) == {
        0: ("0+1", 10), 5: ("0+1+2", 15), 10: ("0+1+2+3", 20), 11: ("0+2+3", 20), 12: ("0+2+3+4", 22),
        16: ("0+3+4", 22), 20: ("0+3+4+5", 30), 21: ("0+4+5", 30), 23: ("0+5", 30),
    }  # fmt: skip


def test_kafkas_reduce_small_input() -> None:
    records = [("A", "1", 10), ("A", "2", 14), ("A", "3", 15), ("A", "4", 22), ("A", "5", 26), ("A", "6", 30)]
    assert _final_by_start(_kafka_aggregate(10, 50, records, reduce=True)) == {
        0: ("1", 10), 4: ("1+2", 14), 5: ("1+2+3", 15), 11: ("2+3", 15), 12: ("2+3+4", 22),
        15: ("3+4", 22), 16: ("4+5", 26), 20: ("4+5+6", 30), 23: ("5+6", 30), 27: ("6", 30),
    }  # fmt: skip


def test_kafkas_aggregate_large_input_with_out_of_order_records() -> None:
    records = [
        ("A", "1", 10), ("A", "2", 20), ("A", "3", 22), ("A", "4", 15),
        ("B", "1", 12), ("B", "2", 13), ("B", "3", 18), ("B", "4", 19), ("B", "5", 25), ("B", "6", 14),
        ("C", "1", 11), ("C", "2", 15), ("C", "3", 16), ("C", "4", 21), ("C", "5", 23),
        ("D", "4", 11), ("D", "2", 12), ("D", "3", 29), ("D", "5", 16),
    ]  # fmt: skip
    out = sorted(_kafka_aggregate(10, 50, records), key=lambda e: (e[0], e[1]))  # stable, as Java's sort
    assert [(k, s, e, v, t) for k, s, e, v, t in out] == [
        ("A", 0, 10, "0+1", 10), ("A", 5, 15, "0+1+4", 15), ("A", 10, 20, "0+1+2", 20),
        ("A", 10, 20, "0+1+2+4", 20), ("A", 11, 21, "0+2", 20), ("A", 11, 21, "0+2+4", 20),
        ("A", 12, 22, "0+2+3", 22), ("A", 12, 22, "0+2+3+4", 22), ("A", 16, 26, "0+2+3", 22),
        ("A", 21, 31, "0+3", 22),
        ("B", 2, 12, "0+1", 12), ("B", 3, 13, "0+1+2", 13), ("B", 4, 14, "0+1+2+6", 14),
        ("B", 8, 18, "0+1+2+3", 18), ("B", 8, 18, "0+1+2+3+6", 18), ("B", 9, 19, "0+1+2+3+4", 19),
        ("B", 9, 19, "0+1+2+3+4+6", 19), ("B", 13, 23, "0+2", 13), ("B", 13, 23, "0+2+3", 18),
        ("B", 13, 23, "0+2+3+4", 19), ("B", 13, 23, "0+2+3+4+6", 19), ("B", 14, 24, "0+3", 18),
        ("B", 14, 24, "0+3+4", 19), ("B", 14, 24, "0+3+4+6", 19), ("B", 15, 25, "0+3+4+5", 25),
        ("B", 19, 29, "0+4", 19), ("B", 19, 29, "0+4+5", 25), ("B", 20, 30, "0+5", 25),
        ("C", 1, 11, "0+1", 11), ("C", 5, 15, "0+1+2", 15), ("C", 6, 16, "0+1+2+3", 16),
        ("C", 11, 21, "0+1+2+3+4", 21), ("C", 12, 22, "0+2", 15), ("C", 12, 22, "0+2+3", 16),
        ("C", 12, 22, "0+2+3+4", 21), ("C", 13, 23, "0+2+3+4+5", 23), ("C", 16, 26, "0+3", 16),
        ("C", 16, 26, "0+3+4", 21), ("C", 16, 26, "0+3+4+5", 23), ("C", 17, 27, "0+4", 21),
        ("C", 17, 27, "0+4+5", 23), ("C", 22, 32, "0+5", 23),
        ("D", 1, 11, "0+4", 11), ("D", 2, 12, "0+4+2", 12), ("D", 6, 16, "0+4+2+5", 16),
        ("D", 12, 22, "0+2", 12), ("D", 12, 22, "0+2+5", 16), ("D", 13, 23, "0+5", 16),
        ("D", 19, 29, "0+3", 29),
    ]  # fmt: skip


def test_kafkas_early_records() -> None:
    records = [("A", "1", 0), ("A", "2", 5), ("A", "3", 6), ("A", "4", 3), ("A", "5", 13), ("A", "6", 10)]
    assert _final_by_start(_kafka_aggregate(50, 200, records)) == {
        0: ("0+1+2+3+4+5+6", 13), 1: ("0+2+3+4+5+6", 13), 4: ("0+2+3+5+6", 13),
        6: ("0+3+5+6", 13), 7: ("0+5+6", 13), 11: ("0+5", 13),
    }  # fmt: skip
    repeated = [
        ("A", "1", 0),
        ("A", "2", 2),
        ("A", "3", 4),
        ("A", "4", 0),
        ("A", "5", 2),
        ("A", "6", 2),
        ("A", "7", 0),
    ]
    assert _final_by_start(_kafka_aggregate(5, 20, repeated)) == {
        0: ("0+1+2+3+4+5+6+7", 4), 1: ("0+2+3+5+6", 4), 3: ("0+3", 4),
    }  # fmt: skip
