"""App fixtures: the workbench on a seeded, manual-clock, in-memory cluster, or over
the wire on a RemoteBackend (as `kafkatui --bootstrap-server` runs it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.app import App
from textual.notifications import Notification, Notifications
from textual.pilot import Pilot

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.backends.remote import RemoteBackend
from kafkatui.common.clock import ManualClock
from kafkatui.engine.cluster import Cluster
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.config import Settings

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def user_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own user data dir (platformdirs reads XDG_DATA_HOME): the Records
    panel's saved filters never reach the user's, nor one test's the next."""
    path = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(path))
    return path


class RecordedNotifications(Notifications):
    """The app's notifications, each also kept once given: a toast lasts seconds of wall
    time, which a loaded machine can spend before the pilot looks at it."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[Notification] = []

    def add(self, notification: Notification) -> RecordedNotifications:
        self.given.append(notification)
        super().add(notification)
        return self

    def clear(self) -> RecordedNotifications:
        self.given.clear()  # app.clear_notifications(): "given since then" from now on
        super().clear()
        return self


def record_notifications(app: App[None]) -> list[Notification]:
    """From now on, every notification `app` gives (expired or not), in order."""
    recorded = RecordedNotifications()
    app._notifications = recorded
    return recorded.given


def notices(app: App[None]) -> list[Notification]:
    """Every notification given since the last `clear_notifications()` by an app from
    `make_app` (or one recorded)."""
    recorded = app._notifications
    assert isinstance(recorded, RecordedNotifications), "record_notifications(app) first"
    return recorded.given


def make_app(
    setup: Callable[[EmbeddedBackend], Awaitable[None]] | None = None,
    *,
    welcome: bool = False,
    theme: str | None = None,
    language: str = "en",
    schema_registry: bool = False,
) -> KafkaTuiApp:
    """An app whose backend is a fresh 3-broker cluster, optionally prepared by `setup`;
    with `schema_registry`, the Schema Registry runs beside it (on a free port), as the
    workbench runs it."""

    async def factory() -> EmbeddedBackend:
        cluster = await Cluster.open(None, brokers=3, clock=ManualClock(), seed=7)
        backend = EmbeddedBackend(cluster)
        if schema_registry:
            services = ServiceHost(cluster)
            await services.listen_registry(0, backend=backend)
            backend.attach_listeners(services)
        if setup is not None:
            await setup(backend)
        return backend

    app = KafkaTuiApp(
        factory, settings=Settings(), language=language, theme=theme, welcome=welcome, event_interval=0.05
    )
    record_notifications(app)  # type: ignore[arg-type]
    return app


async def until(pilot: Pilot[None], condition: Callable[[], bool], what: str, *, rounds: int = 400) -> None:
    """Wait for something an async answer brings (a log page, a registry reply): a
    bounded number of short pauses, never one fixed sleep, so a loaded machine (CI's
    two workers) only makes it slower, not wrong."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never saw {what}")


def make_remote_app(bootstrap: str, setup: Callable[[Backend], Awaitable[None]] | None = None) -> KafkaTuiApp:
    """An app on a RemoteBackend attached to `bootstrap` (a served cluster: real clock),
    optionally prepared through the same backend by `setup`."""

    async def factory() -> RemoteBackend:
        backend = await RemoteBackend.connect(bootstrap)
        if setup is not None:
            await setup(backend)
            await backend.refresh()
        backend.watch(0.2)  # what other clients do shows within a fifth of a second
        return backend

    app = KafkaTuiApp(factory, settings=Settings(), language="en", welcome=False, event_interval=0.05)
    record_notifications(app)  # type: ignore[arg-type]
    return app


async def sales(backend: Backend) -> None:
    """Topic sales (3 partitions) with keyed records, deterministic."""
    from kafkatui.lessons.sample import sample_setup

    await sample_setup(backend)


@pytest.fixture
def app_factory() -> Callable[..., KafkaTuiApp]:
    return make_app
