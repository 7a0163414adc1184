"""The Security panel, driven as a user drives it on a seeded in-memory cluster: users and
ACLs shown, an ACL added from the dialog and removed after a confirmation, and the
checker naming the rule that decided."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from kafkatui.backends.base import Backend
from kafkatui.backends.embedded import EmbeddedBackend
from kafkatui.common.acl import (
    AccessControlEntry,
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)
from kafkatui.common.scram import UserScramUpsertion
from kafkatui.serve.host import ServiceHost
from kafkatui.tui.app import KafkaTuiApp
from kafkatui.tui.panels.security_acl import AddAclScreen
from kafkatui.wire.security.listener import ListenerConfig, SecurityProtocol
from tests.tui.conftest import SIZE, make_app, until

READ_ORDERS = AclBinding(
    ResourcePattern(ResourceType.TOPIC, "orders", PatternType.LITERAL),
    AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW),
)


async def secured(backend: Backend) -> None:
    """alice (SCRAM-SHA-512, 8192 iterations) may read `orders`; bob may write `sales-*`."""
    await backend.alter_user_scram_credentials([UserScramUpsertion("alice", "SCRAM-SHA-512", 8192, "pw")])
    writes_sales = AclBinding(
        ResourcePattern(ResourceType.TOPIC, "sales-", PatternType.PREFIXED),
        AccessControlEntry("User:bob", "*", AclOperation.WRITE, AclPermissionType.ALLOW),
    )
    assert await backend.create_acls([READ_ORDERS, writes_sales]) == [None, None]


async def shown(app: KafkaTuiApp, pilot: Pilot) -> None:
    await app.ready.wait()
    await pilot.pause()
    await pilot.press("A")
    await until(
        pilot, lambda: app.panel("security").query_one("#security-acls", DataTable).row_count > 0, "ACLs"
    )


def cells(app: KafkaTuiApp, table_id: str) -> list[list[str]]:
    table = app.panel("security").query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def check(app: KafkaTuiApp, pilot: Pilot, principal: str, operation: AclOperation, name: str) -> str:
    panel = app.panel("security")
    panel.query_one("#check-principal", Input).value = principal
    panel.query_one("#check-operation", Select).value = int(operation)
    panel.query_one("#check-name", Input).value = name
    panel.focus()
    await pilot.press("c")
    result = panel.query_one("#check-result", Static)
    await until(pilot, lambda: name in str(result.render()), "the decision")
    return str(result.render())


async def test_users_and_acls_are_listed_and_the_checker_names_the_rule() -> None:
    app = make_app(secured)
    async with app.run_test(size=SIZE) as pilot:
        await shown(app, pilot)
        assert cells(app, "#security-users") == [["alice", "SCRAM-SHA-512", "8,192"]]
        assert ["User:alice", "TOPIC:orders", "LITERAL", "READ", "ALLOW", "*"] in cells(app, "#security-acls")
        assert ["User:bob", "TOPIC:sales-", "PREFIXED", "WRITE", "ALLOW", "*"] in cells(app, "#security-acls")
        said = await check(app, pilot, "User:alice", AclOperation.READ, "orders")
        assert "ALLOWED (allow ACL: ALLOW User:alice READ from * on TOPIC:LITERAL:orders)" in said
        said = await check(app, pilot, "User:alice", AclOperation.DESCRIBE, "orders")
        assert "ALLOWED" in said  # READ implies DESCRIBE
        said = await check(app, pilot, "User:alice", AclOperation.WRITE, "orders")
        assert "DENIED (no ACL allows it)" in said
        said = await check(app, pilot, "User:bob", AclOperation.WRITE, "sales-eu")
        assert "TOPIC:PREFIXED:sales-" in said


async def test_an_acl_added_in_the_dialog_and_removed_after_asking() -> None:
    app = make_app(secured)
    async with app.run_test(size=SIZE) as pilot:
        await shown(app, pilot)
        backend = app.backend
        assert backend is not None
        app.panel("security").focus()
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AddAclScreen), "the dialog")
        dialog = app.screen
        dialog.query_one("#acl-principal", Input).value = "User:alice"
        dialog.query_one("#acl-permission", Select).value = int(AclPermissionType.DENY)
        dialog.query_one("#acl-name", Input).value = "orders"
        await pilot.click("#add")
        denies = AclBindingFilter(permission=AclPermissionType.DENY)
        await until(pilot, lambda: len(cells(app, "#security-acls")) == 3, "the new ACL")
        assert len(await backend.describe_acls(denies)) == 1
        said = await check(app, pilot, "User:alice", AclOperation.READ, "orders")
        assert "DENIED (deny ACL: DENY User:alice READ" in said  # DENY wins
        table = app.panel("security").query_one("#security-acls", DataTable)
        table.move_cursor(row=[r[4] for r in cells(app, "#security-acls")].index("DENY"))
        app.panel("security").focus()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await until(pilot, lambda: len(cells(app, "#security-acls")) == 2, "the ACL gone")
        assert await backend.describe_acls(denies) == []


async def test_an_acl_added_on_the_panel_moves_the_security_lesson_on(tmp_path: Path) -> None:
    from kafkatui.course.model import load_lessons
    from kafkatui.course.progress import Progress
    from kafkatui.tui.panels.lessons import LessonsPanel

    app = make_app()
    app.course_db = tmp_path / "course.db"
    for lesson in load_lessons():  # the lessons before it are done: it is open
        if lesson.id != "security":
            Progress(app.course_db).mark_done(lesson.id)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        lessons = app.query_one(LessonsPanel)
        await lessons.action_start("security")
        await until(pilot, lambda: app.current_panel_id == "security", "the Security panel")
        assert lessons.run is not None and lessons.run.step_index == 0
        await app.panel("security").add(READ_ORDERS)  # type: ignore[attr-defined]
        await until(pilot, lambda: lessons.run is not None and lessons.run.step_index == 1, "step 2")


async def test_acls_changed_elsewhere_show_up_from_their_events() -> None:
    app = make_app(secured)
    async with app.run_test(size=SIZE) as pilot:
        await shown(app, pilot)
        backend = app.backend
        assert backend is not None
        denies = AclBinding(
            READ_ORDERS.pattern, dataclasses.replace(READ_ORDERS.entry, permission=AclPermissionType.DENY)
        )
        await backend.create_acls([denies])  # as the CLI or a wire client would: not the panel
        await until(pilot, lambda: len(cells(app, "#security-acls")) == 3, "the ACL from AclsCreated")
        await backend.delete_acls([AclBindingFilter(principal="User:bob")])
        await until(pilot, lambda: len(cells(app, "#security-acls")) == 2, "the ACL gone on AclsDeleted")
        assert all(row[0] == "User:alice" for row in cells(app, "#security-acls"))


async def served_twice(backend: EmbeddedBackend) -> None:
    """The workbench's own PLAINTEXT listener, and a SASL_PLAINTEXT one beside it."""
    services = ServiceHost(backend.cluster)
    await services.listen_wire(0)
    sasl = ListenerConfig(name="SASL", protocol=SecurityProtocol.SASL_PLAINTEXT)
    await services.listen_wire(0, listener=sasl)
    backend.attach_listeners(services)


async def test_the_listeners_table_shows_each_brokers_socket_and_protocol() -> None:
    app = make_app(served_twice)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("A")
        table = "#security-listener-table"
        await until(pilot, lambda: len(cells(app, table)) == 6, "two listeners on three brokers")
        assert app.backend is not None
        views = app.backend.listeners()
        ports = {(v.name, v.broker_id): v.port for v in views}
        first = min(v.broker_id for v in views)
        rows = cells(app, table)
        assert rows[0] == ["PLAINTEXT", "PLAINTEXT", str(first), f"127.0.0.1:{ports['PLAINTEXT', first]}", ""]
        assert rows[3] == [
            "SASL", "SASL_PLAINTEXT", str(first), f"127.0.0.1:{ports['SASL', first]}",
            "SCRAM-SHA-256, SCRAM-SHA-512",
        ]  # fmt: skip
        assert len(set(ports.values())) == 6
