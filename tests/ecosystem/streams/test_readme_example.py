"""The README's example, run as it is printed there (so the README cannot drift)."""

from __future__ import annotations

import contextlib
import io

README_EXAMPLE = """\
from kafkatui.ecosystem.streams import Serdes, StreamsBuilder, TopologyTestDriver

builder = StreamsBuilder()
words = builder.stream("lines").flat_map_values(str.split)
words.group_by(lambda key, word: word).count("counts").to_stream().to("counts", value_serde=Serdes.long())
print(builder.build().describe())

driver = TopologyTestDriver(builder.build())
driver.pipe_input("lines", None, "to be or not to be")
print(driver.get_key_value_store("counts").get("to"))  # 2
"""


def test_the_readme_example_runs_and_prints_what_it_says() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(README_EXAMPLE, "README.md", "exec"), {})
    printed = out.getvalue()
    assert printed.startswith(
        "Topologies:\n   Sub-topology: 0\n    Source: KSTREAM-SOURCE-0000000000 (topics: [lines])"
    )
    assert "Sink: KSTREAM-SINK-0000000004 (topic: counts-repartition)" in printed
    assert printed.endswith("\n2\n")
