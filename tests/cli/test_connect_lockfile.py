"""The Connect worker's URL is recorded in the data dir's lock file beside the listeners,
so a workbench attached to a running `kafkatui serve` shows its Connect panel and
`kafkatui connect ...` in a second process finds the worker without --connect-url; and
`--connect-url` names another Connect cluster over any backend."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.cli.context import ClusterOptions, open_backend
from kafkatui.engine.lockfile import CONNECT, LOCK_FILE, data_dir_owner
from kafkatui.serve.host import serve_backend
from tests.cli.conftest import CliFn, data_dir, kafkatui
from tests.cli.test_serve_cli import start_serve

__all__ = ["data_dir", "kafkatui"]


async def _attached_connect_url(opts: ClusterOptions) -> str | None:
    backend = await open_backend(opts, "test", announce=False)
    try:
        assert isinstance(backend, RemoteBackend)
        return backend.connect_url()
    finally:
        await backend.close()


def _connect_line(proc_stdout: object) -> str:
    for said in proc_stdout:  # type: ignore[attr-defined]
        if said.startswith("kafka connect: "):
            return str(said.removeprefix("kafka connect: ").strip())
    raise AssertionError("serve never said where Connect listens")


def test_serve_records_its_worker_and_the_cli_finds_it(data_dir: Path, kafkatui: CliFn) -> None:
    proc, _ = start_serve(data_dir, "--brokers", "1", "--port-base", "0", "--connect-port", "0")
    try:
        url = _connect_line(proc.stdout)
        assert not url.endswith(":8083")  # a free port: only the lock file can say where
        assert json.loads((data_dir / LOCK_FILE).read_text())[CONNECT] == url
        assert asyncio.run(_attached_connect_url(ClusterOptions(data_dir=data_dir))) == url
        # No --connect-url: the data dir's owner's worker, not 127.0.0.1:8083.
        plugins = kafkatui("connect", "plugins", "--json").ok().json()
        assert "org.apache.kafka.connect.file.FileStreamSourceConnector" in [p["class"] for p in plugins]
        assert kafkatui("connect", "list").ok().stdout.startswith("no connectors")
        # Given, --connect-url wins (before the command or after it), and says where it failed.
        gone = "http://127.0.0.1:9"
        for args in (("--connect-url", gone, "connect", "list"), ("connect", "list", "--connect-url", gone)):
            failed = kafkatui(*args)
            assert failed.exit_code != 0
            assert failed.stderr.startswith(
                f"error: CONNECT_UNAVAILABLE: cannot reach Kafka Connect at {gone}"
            )
        attached = ClusterOptions(data_dir=data_dir, connect_url=gone)
        assert asyncio.run(_attached_connect_url(attached)) == gone
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert (data_dir / LOCK_FILE).read_text() == ""
    assert data_dir_owner(data_dir) is None  # nobody holds it: nothing to find


def test_without_a_worker_none_is_recorded(data_dir: Path) -> None:
    proc, _ = start_serve(data_dir, "--brokers", "1", "--port-base", "0", "--no-connect")
    try:
        owner = data_dir_owner(data_dir)
        assert owner is not None and "listeners" in owner and CONNECT not in owner
        assert asyncio.run(_attached_connect_url(ClusterOptions(data_dir=data_dir))) is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_the_workbench_records_it_and_connect_url_replaces_it(tmp_path: Path) -> None:
    async def run() -> None:
        backend = await EmbeddedBackend.open(tmp_path / "data", brokers=1)
        await serve_backend(backend, 0, connect_port=0)
        url = backend.connect_url()
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert json.loads((tmp_path / "data" / LOCK_FILE).read_text())[CONNECT] == url
        assert await _attached_connect_url(ClusterOptions(data_dir=tmp_path / "data")) == url
        await backend.close()
        assert data_dir_owner(tmp_path / "data") is None
        mine = "http://connect.example:8083"
        own = await open_backend(ClusterOptions(data_dir=tmp_path / "data", connect_url=mine), "test")
        try:
            assert isinstance(own, EmbeddedBackend) and own.connect_url() == mine
        finally:
            await own.close()

    asyncio.run(run())
