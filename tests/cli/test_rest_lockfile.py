"""The REST Proxy's URL is recorded in the data dir's lock file beside the listeners and
the registry's, so a second kafkatui attaching to a running `kafkatui serve` or workbench
finds it (`Backend.rest_proxy_url`), and it is gone from the file once the owner stops."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx

from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.cli.context import ClusterOptions, open_backend
from kafkatui.engine.lockfile import LOCK_FILE, REST_PROXY
from kafkatui.serve.host import serve_backend
from tests.cli.test_serve_cli import start_serve


async def _attached_rest_url(data_dir: Path) -> str | None:
    backend = await open_backend(ClusterOptions(data_dir=data_dir), "test", announce=False)
    try:
        assert isinstance(backend, RemoteBackend)
        return backend.rest_proxy_url()
    finally:
        await backend.close()


def test_serve_records_its_rest_proxy_for_a_second_process(data_dir: Path) -> None:
    proc, _ = start_serve(data_dir, "--brokers", "1", "--port-base", "0")
    try:
        assert proc.stdout is not None
        said = proc.stdout.readline()  # schema registry, then the REST Proxy
        while not said.startswith("rest proxy: "):
            said = proc.stdout.readline()
        url = said.removeprefix("rest proxy: ").strip()
        owner = json.loads((data_dir / LOCK_FILE).read_text())
        assert owner[REST_PROXY] == url and owner["schema_registry"] != url
        assert httpx.get(f"{url}/topics").status_code == 200
        assert asyncio.run(_attached_rest_url(data_dir)) == url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert (data_dir / LOCK_FILE).read_text() == ""  # released: nothing to attach to


def test_without_a_rest_proxy_none_is_recorded(data_dir: Path) -> None:
    proc, _ = start_serve(data_dir, "--brokers", "1", "--port-base", "0", "--no-rest-proxy")
    try:
        assert REST_PROXY not in json.loads((data_dir / LOCK_FILE).read_text())
        assert asyncio.run(_attached_rest_url(data_dir)) is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_the_workbench_records_it(tmp_path: Path) -> None:
    async def run() -> None:
        backend = await EmbeddedBackend.open(tmp_path / "data", brokers=1)
        await serve_backend(backend, 0, registry_port=0, rest_port=0)
        url = backend.rest_proxy_url()
        assert url is not None and url.startswith("http://127.0.0.1:")
        owner = json.loads((tmp_path / "data" / LOCK_FILE).read_text())
        assert owner[REST_PROXY] == url
        assert await _attached_rest_url(tmp_path / "data") == url
        await backend.close()

    asyncio.run(run())
