"""kcat (Debian's 1.7.1, built on an old librdkafka) against `WireServer`, beyond the
conformance matrix (`test_conformance.py`). kcat is a system tool, not a Python package:
these tests skip when it is not installed (`apt-get install kcat`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.wire.conftest import ServedCluster

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
pytestmark = pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")


def kcat(served: ServedCluster, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    assert KCAT is not None
    return subprocess.run(
        [KCAT, "-b", served.bootstrap.split(",")[0], *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_kcat_lists_the_brokers_and_topics(served: ServedCluster) -> None:
    served.call(served.cluster.create_topic("inventory", 2, 2))
    run = kcat(served, "-L")
    assert run.returncode == 0, run.stderr
    assert " 3 brokers:" in run.stdout
    for broker_id, (host, port) in served.server.addresses.items():
        assert f"broker {broker_id} at {host}:{port}" in run.stdout
    assert 'topic "inventory" with 2 partitions:' in run.stdout
