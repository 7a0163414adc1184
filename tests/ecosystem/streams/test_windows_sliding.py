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
