"""The Security panel's dialog for a new ACL, with kafka-acls.sh's fields: who (principal
and host), what (operation, ALLOW or DENY) and on what (resource type, name, LITERAL or
PREFIXED). It returns the binding; the panel creates it through the backend."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from kafkatui.common.acl import (
    AccessControlEntry,
    AclBinding,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)

RESOURCE_TYPES = (ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID)
OPERATIONS = tuple(o for o in AclOperation if o not in (AclOperation.ANY, AclOperation.UNKNOWN))


def choices(values: tuple[ResourceType, ...] | tuple[AclOperation, ...]) -> list[tuple[str, int]]:
    return [(v.name, int(v)) for v in values]


class AddAclScreen(ModalScreen[AclBinding | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New ACL (kafka-acls.sh --add)", classes="question")
            yield Label("Principal")
            yield Input("User:", id="acl-principal", placeholder="User:alice")
            yield Label("Host")
            yield Input("*", id="acl-host")
            yield Label("Operation")
            yield Select(
                choices(OPERATIONS), value=int(AclOperation.READ), allow_blank=False, id="acl-operation"
            )
            yield Label("Permission")
            yield Select(
                [("ALLOW", int(AclPermissionType.ALLOW)), ("DENY", int(AclPermissionType.DENY))],
                value=int(AclPermissionType.ALLOW), allow_blank=False, id="acl-permission",
            )  # fmt: skip
            yield Label("Resource type")
            yield Select(
                choices(RESOURCE_TYPES),
                value=int(ResourceType.TOPIC),
                allow_blank=False,
                id="acl-resource-type",
            )
            yield Label("Resource name (kafka-cluster for the cluster)")
            yield Input(id="acl-name", placeholder="orders")
            yield Label("Pattern")
            yield Select(
                [("LITERAL", int(PatternType.LITERAL)), ("PREFIXED", int(PatternType.PREFIXED))],
                value=int(PatternType.LITERAL), allow_blank=False, id="acl-pattern",
            )  # fmt: skip
            yield Static("", id="acl-problem", classes="problem")
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Add", id="add", variant="primary")

    def binding(self) -> AclBinding | str:
        """The ACL the fields describe, or what is missing."""
        principal = self.query_one("#acl-principal", Input).value.strip()
        name = self.query_one("#acl-name", Input).value.strip()
        kind = ResourceType(self.query_one("#acl-resource-type", Select).value)
        if kind is ResourceType.CLUSTER:
            name = "kafka-cluster"
        if not principal.partition(":")[2]:
            return "The principal is Type:name, e.g. User:alice"
        if not name:
            return "Name the resource (* for every one)"
        return AclBinding(
            ResourcePattern(kind, name, PatternType(self.query_one("#acl-pattern", Select).value)),
            AccessControlEntry(
                principal,
                self.query_one("#acl-host", Input).value.strip() or "*",
                AclOperation(self.query_one("#acl-operation", Select).value),
                AclPermissionType(self.query_one("#acl-permission", Select).value),
            ),
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        self._submit()

    def on_input_submitted(self) -> None:
        self._submit()

    def _submit(self) -> None:
        made = self.binding()
        if isinstance(made, str):
            self.query_one("#acl-problem", Static).update(made)
            return
        self.dismiss(made)

    def action_cancel(self) -> None:
        self.dismiss(None)
