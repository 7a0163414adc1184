"""Windows on the test driver: tumbling and hopping counts, the grace period (an
out-of-order record inside it is counted, one past it is dropped and counted as
dropped), final results with suppress(until_window_closes), and windowed keys printed
as Kafka's Windowed.toString(): [key@start/end]."""

from __future__ import annotations

import pytest

from kafkatui.ecosystem.streams import Serdes, StreamsBuilder, Suppressed, TimeWindows, TopologyTestDriver
from kafkatui.ecosystem.streams.records import TimeWindow, Windowed


def _clicks(windows: TimeWindows, suppress: bool = False) -> TopologyTestDriver:
    builder = StreamsBuilder()
    table = builder.stream("clicks").group_by_key().windowed_by(windows).count("clicks-per-window")
    if suppress:
        table = table.suppress(Suppressed.until_window_closes())
    table.to_stream().to("counts", value_serde=Serdes.long())
    return TopologyTestDriver(builder.build())


def _out(driver: TopologyTestDriver) -> list[tuple[str, int]]:
    return [(str(k), v) for k, v in driver.read_all("counts", Serdes.windowed_text(), Serdes.long())]


def test_tumbling_windows_count_per_key_and_window() -> None:
    driver = _clicks(TimeWindows.of_size_with_no_grace(10))
    for ts in (1, 4, 12):
        driver.pipe_input("clicks", "ana", "x", ts)
    assert _out(driver) == [("[ana@0/10]", 1), ("[ana@0/10]", 2), ("[ana@10/20]", 1)]
    store = driver.get_window_store("clicks-per-window")
    assert store.fetch("ana", 0) == 2
    assert store.fetch_range("ana", 0, 100) == [(0, 2), (10, 1)]


def test_the_output_key_is_text_kafkas_windowed_serde_prints() -> None:
    driver = _clicks(TimeWindows.of_size_with_no_grace(10))
    driver.pipe_input("clicks", "ana", "x", 3)
    (record,) = driver.produced("counts")
    assert record.key == b"[ana@0/10]"
    assert Serdes.windowed_text().deserialize("counts", record.key) == Windowed("ana", TimeWindow(0, 10))


def test_hopping_windows_count_a_record_in_each_window_holding_it() -> None:
    driver = _clicks(TimeWindows.of_size_with_no_grace(10).advance_by(5))
    driver.pipe_input("clicks", "k", "x", 7)
    assert _out(driver) == [("[k@0/10]", 1), ("[k@5/15]", 1)]


def test_grace_admits_late_records_until_the_window_closes_then_drops_and_counts() -> None:
    driver = _clicks(TimeWindows.of_size_and_grace(10, 5))
    driver.pipe_input("clicks", "k", "x", 2)
    driver.pipe_input("clicks", "k", "x", 13)  # stream time 13: [0,10) open until 15
    driver.pipe_input("clicks", "k", "x", 8)  # late but within grace: counted
    assert _out(driver)[-1] == ("[k@0/10]", 2)
    driver.pipe_input("clicks", "k", "x", 15)  # stream time 15: [0,10) closes
    driver.pipe_input("clicks", "k", "x", 9)  # too late: dropped
    assert _out(driver) == [("[k@10/20]", 2)]
    assert driver.get_window_store("clicks-per-window").fetch("k", 0) == 2
    assert driver.metrics()["dropped-records-total"] == 1


def test_without_grace_an_out_of_order_record_for_a_closed_window_is_dropped() -> None:
    driver = _clicks(TimeWindows.of_size_with_no_grace(10))
    driver.pipe_input("clicks", "k", "x", 10)
    driver.pipe_input("clicks", "k", "x", 9)
    assert _out(driver) == [("[k@10/20]", 1)]
    assert driver.metrics()["dropped-records-total"] == 1


def test_suppress_emits_one_final_result_per_window_once_it_closes() -> None:
    driver = _clicks(TimeWindows.of_size_and_grace(10, 5), suppress=True)
    for ts in (1, 2, 3, 12):
        driver.pipe_input("clicks", "k", "x", ts)
    assert _out(driver) == []  # stream time 12 < 10 + 5: [0,10) can still change
    driver.pipe_input("clicks", "other", "x", 14)
    assert _out(driver) == []
    driver.pipe_input("clicks", "k", "x", 15)
    assert _out(driver) == [("[k@0/10]", 3)]
    driver.pipe_input("clicks", "k", "x", 40)
    assert _out(driver) == [("[k@10/20]", 2), ("[other@10/20]", 1)]


def test_window_definitions_are_checked() -> None:
    with pytest.raises(ValueError, match="larger than zero"):
        TimeWindows.of_size_with_no_grace(0)
    with pytest.raises(ValueError, match="advancement interval"):
        TimeWindows.of_size_with_no_grace(10).advance_by(11)
    with pytest.raises(ValueError, match="windowed KTable"):
        StreamsBuilder().stream("s").group_by_key().count().suppress(Suppressed.until_window_closes())


def test_the_clicks_example_emits_one_final_count_per_user_and_minute() -> None:
    from kafkatui.ecosystem.streams.examples import clicks

    builder = StreamsBuilder()
    clicks.topology(builder)
    driver = TopologyTestDriver(builder.build(), clicks.CONFIG)
    for user, ts in (("ana", 1_000), ("bob", 5_000), ("ana", 59_000), ("ana", 61_000)):
        driver.pipe_input(clicks.INPUT, user, "click", ts)
    # Stream time 61 s < 60 s + 10 s of grace: the first minute may still change.
    assert driver.read_all(clicks.OUTPUT, Serdes.windowed_text(), Serdes.long()) == []
    driver.pipe_input(clicks.INPUT, "bob", "late but in grace", 30_000)
    driver.pipe_input(clicks.INPUT, "ana", "click", 70_000)  # the first minute closes
    out = [(str(k), v) for k, v in driver.read_all(clicks.OUTPUT, Serdes.windowed_text(), Serdes.long())]
    assert out == [("[ana@0/60000]", 2), ("[bob@0/60000]", 2)]
    driver.pipe_input(clicks.INPUT, "bob", "too late", 20_000)  # past the grace: dropped
    assert driver.metrics()["dropped-records-total"] == 1
