"""The Security panel: who may connect and do what. The listeners and their protocols,
the SASL users (mechanisms and iterations, never a secret), the ACLs as kafka-acls.sh
lists them, with add and remove dialogs, the open connections' principals, and a
checker: pick a principal, an operation and a resource and see what StandardAuthorizer
decides and which rule or ACL decided it (KIP-801)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input, Select, Static

from kafkatui.backends.base import Backend
from kafkatui.common.acl import AclBinding, AclBindingFilter, AclOperation, ResourceType
from kafkatui.common.errors import ErrorCode, KafkaError
from kafkatui.common.events import AclsCreated, AclsDeleted
from kafkatui.tui.panels.base import Panel, reports_errors
from kafkatui.tui.panels.security_acl import OPERATIONS, RESOURCE_TYPES, AddAclScreen, choices
from kafkatui.tui.screens.confirm import ConfirmScreen


class SecurityPanel(Panel):
    """Listeners, users, ACLs, connected principals and the authorization checker."""

    PANEL_ID = "security"
    TITLE = "Security"
    TITLE_PT = "Segurança"
    KEY = "A"  # the number keys are taken; S is Streams; A for ACLs (authorization)
    TICK = 2.0  # connections come and go without engine events
    REFRESH_ON = (AclsCreated, AclsDeleted)  # whoever changed them: this panel, the CLI, the wire

    BINDINGS = [
        Binding(
            "a", "add_acl", "Add ACL", id="security.add_acl",
            tooltip="Add an ACL: principal, host, operation, ALLOW/DENY, resource and pattern",
        ),
        Binding(
            "d", "remove_acl", "Remove ACL", id="security.remove_acl",
            tooltip="Remove the selected ACL (asks first)",
        ),
        Binding(
            "c", "check", "Check", id="security.check",
            tooltip="Ask the authorizer: may this principal do this operation on this resource?",
        ),
    ]  # fmt: skip

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._acls: list[AclBinding] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="security-listeners")
        listeners: DataTable[str] = DataTable(id="security-listener-table", cursor_type="row")
        listeners.add_columns("Listener", "Security protocol", "Broker", "Host:port", "SASL mechanisms")
        yield listeners
        with Horizontal(id="security-top"):
            with Vertical(id="security-users-box"):
                yield Static("SASL/SCRAM users", classes="section")
                users: DataTable[str] = DataTable(id="security-users", cursor_type="row")
                users.add_columns("User", "Mechanism", "Iterations")
                yield users
            with Vertical(id="security-connections-box"):
                yield Static("Connections", classes="section")
                connections: DataTable[str] = DataTable(id="security-connections", cursor_type="row")
                connections.add_columns("Principal", "Listener", "Protocol", "SASL", "Client", "Address")
                yield connections
        yield Static("ACLs (a adds, d removes the selected one)", classes="section")
        acls: DataTable[str] = DataTable(id="security-acls", cursor_type="row", zebra_stripes=True)
        acls.add_columns("Principal", "Resource", "Pattern", "Operation", "Permission", "Host")
        yield acls
        yield Static("May a principal do it? (c checks)", classes="section")
        with Horizontal(id="security-checker"):
            yield Input("User:", id="check-principal", placeholder="User:alice")
            yield Select(
                choices(OPERATIONS), value=int(AclOperation.READ), allow_blank=False, id="check-operation"
            )
            yield Select(
                choices(RESOURCE_TYPES),
                value=int(ResourceType.TOPIC),
                allow_blank=False,
                id="check-resource-type",
            )
            yield Input(id="check-name", placeholder="resource name")
        yield Static("", id="check-result")

    async def refresh_data(self) -> None:
        try:
            acls_table = self.query_one("#security-acls", DataTable)
        except NoMatches:
            return  # a refresh queued while the panel is being torn down
        status = self.backend.listener_status()
        self.query_one("#security-listeners", Static).update(
            f"Listeners — {status}" if status else "Listeners — not served to outside clients"
        )
        self._show_listeners()
        self._show_connections()
        users = self.query_one("#security-users", DataTable)
        users.clear()
        try:
            described = await self.backend.describe_user_scram_credentials()
        except KafkaError as error:
            described = {}
            users.add_row(error.name, error.message, "")
        for user, mechanisms in described.items():
            for mechanism, iterations in mechanisms.items():
                users.add_row(user, mechanism, f"{iterations:,}")
        try:
            self._acls = await self.backend.describe_acls(AclBindingFilter())
        except KafkaError as error:
            if error.code is not ErrorCode.SECURITY_DISABLED:
                raise
            self._acls = []
        acls_table.clear()
        for b in self._acls:
            p, e = b.pattern, b.entry
            acls_table.add_row(
                e.principal, f"{p.resource_type.name}:{p.name}", p.pattern_type.name, e.operation.name,
                e.permission.name, e.host,
            )  # fmt: skip
        self.refresh_bindings()

    def on_tick(self) -> None:
        self._show_connections()

    def _show_listeners(self) -> None:
        table = self.query_one("#security-listener-table", DataTable)
        table.clear()
        for view in self.backend.listeners():
            table.add_row(
                view.name, view.security_protocol, str(view.broker_id), f"{view.host}:{view.port}",
                ", ".join(view.sasl_mechanisms),
            )  # fmt: skip

    def _show_connections(self) -> None:
        table = self.query_one("#security-connections", DataTable)
        table.clear()
        for c in self.backend.connected_clients():
            table.add_row(
                c.principal, c.listener, c.security_protocol, c.sasl_mechanism or "", c.client_id or "",
                c.address,
            )  # fmt: skip

    @property
    def selected_acl(self) -> AclBinding | None:
        table = self.query_one("#security-acls", DataTable)
        if not self._acls or table.cursor_row >= len(self._acls):
            return None
        return self._acls[table.cursor_row]

    def unavailable(self, action: str) -> str | None:
        if action == "remove_acl" and self.is_mounted and self.selected_acl is None:
            return "No ACL yet: a adds one."
        return super().unavailable(action)

    @work
    async def action_add_acl(self) -> None:
        binding = await self.app.push_screen_wait(AddAclScreen())
        if binding is not None:
            await self.add(binding)

    @reports_errors
    async def add(self, binding: AclBinding) -> None:
        (outcome,) = await self.backend.create_acls([binding])
        if outcome is not None:
            raise outcome
        self.app.notify(binding.describe(), title="Added ACL")
        await self.refresh_data()  # at once, also where no event will tell (a remote cluster)

    @work
    @reports_errors
    async def action_remove_acl(self) -> None:
        binding = self.selected_acl
        if binding is None:
            return
        if not await self.app.push_screen_wait(
            ConfirmScreen(f"Remove the ACL {binding.describe()}?", "Remove")
        ):
            return
        p, e = binding.pattern, binding.entry
        exact = AclBindingFilter(
            p.resource_type, p.name, p.pattern_type, e.principal, e.host, e.operation, e.permission
        )
        await self.backend.delete_acls([exact])
        self.app.notify(binding.describe(), title="Removed ACL")
        await self.refresh_data()

    @reports_errors
    async def action_check(self) -> None:
        principal = self.query_one("#check-principal", Input).value.strip()
        name = self.query_one("#check-name", Input).value.strip()
        kind = ResourceType(self.query_one("#check-resource-type", Select).value)
        operation = AclOperation(self.query_one("#check-operation", Select).value)
        if kind is ResourceType.CLUSTER:
            name = "kafka-cluster"
        result = self.query_one("#check-result", Static)
        if not principal.partition(":")[2] or not name:
            result.update("Give a principal (User:alice) and a resource name.")
            return
        allowed, why = await self.backend.check_acls(principal, "*", operation, kind, name)
        result.set_class(allowed, "allowed")
        result.set_class(not allowed, "denied")
        result.update(f"{principal} {operation.name} {kind.name}:{name} → {why}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id in ("check-principal", "check-name"):
            self.run_worker(self.action_check)
