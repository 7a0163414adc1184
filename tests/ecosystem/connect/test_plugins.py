"""Connector plugins come from the `kafkatui.connectors` entry-point group: a user's
distribution that names its class there is found, under the name configs use."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kafkatui.ecosystem.connect.plugins import Plugins, UnknownPlugin, discover

PLUGIN = """
from kafkatui.ecosystem.connect.api import SourceConnector
from kafkatui.ecosystem.connect.config import ConfigDef, ConfigType


class CounterConnector(SourceConnector):
    def version(self):
        return "1.2"

    def config_def(self):
        return ConfigDef().define("count", ConfigType.INT, 10)
"""


def test_an_installed_distribution_adds_its_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "counter_plugin.py").write_text(PLUGIN)
    info = tmp_path / "counter_plugin-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: counter-plugin\nVersion: 1.2\n")
    (info / "entry_points.txt").write_text(
        "[kafkatui.connectors]\ncom.example.CounterConnector = counter_plugin:CounterConnector\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover()
    assert found["com.example.CounterConnector"].info() == {
        "class": "com.example.CounterConnector", "type": "source", "version": "1.2"
    }  # fmt: skip
    plugins = Plugins(found)
    assert (
        plugins.find("Counter") is plugins.find("CounterConnector") is found["com.example.CounterConnector"]
    )
    assert "org.apache.kafka.connect.file.FileStreamSinkConnector" in found
    sys.modules.pop("counter_plugin", None)


def test_a_name_no_plugin_has_is_refused_with_the_ones_there_are() -> None:
    with pytest.raises(UnknownPlugin, match=r"available connectors are: .*org\.apache\.kafka\.connect\.file"):
        Plugins().find("JdbcSourceConnector")
