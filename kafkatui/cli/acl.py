"""`kafkatui acl add|list|remove`: the cluster's ACLs, as Kafka's `kafka-acls.sh --add /
--list / --remove` manages them, on kafkatui's own cluster (its metadata log, enforced
when served with `kafkatui serve --authorizer`) or any Kafka with an authorizer
(CreateAcls, DescribeAcls, DeleteAcls; SECURITY_DISABLED from one without).

The options are kafka-acls.sh's: `--allow-principal` / `--deny-principal`, `--host`
(its `--allow-host` / `--deny-host`), `--operation` (repeatable), the resources
`--topic`, `--group`, `--cluster`, `--transactional-id` with `--resource-pattern-type`,
and the `--producer` / `--consumer` conveniences (AclCommand's ACL sets).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from itertools import groupby
from typing import Annotated, Any, get_type_hints

import typer
from rich.table import Table

from kafkatui.backends.base import Backend
from kafkatui.cli.context import backend_command, console, fail
from kafkatui.cli.output import print_json
from kafkatui.common.acl import (
    CLUSTER_NAME,
    WILDCARD_HOST,
    AccessControlEntry,
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    PatternType,
    ResourcePattern,
    ResourceType,
)

app = typer.Typer(
    help="ACLs: add, list and remove who may do what (like kafka-acls.sh).", no_args_is_help=True
)


class Operation(StrEnum):
    ALL = "All"
    READ = "Read"
    WRITE = "Write"
    CREATE = "Create"
    DELETE = "Delete"
    ALTER = "Alter"
    DESCRIBE = "Describe"
    CLUSTER_ACTION = "ClusterAction"
    DESCRIBE_CONFIGS = "DescribeConfigs"
    ALTER_CONFIGS = "AlterConfigs"
    IDEMPOTENT_WRITE = "IdempotentWrite"

    @property
    def acl(self) -> AclOperation:
        return AclOperation[self.name]


class PatternOption(StrEnum):
    LITERAL = "literal"
    PREFIXED = "prefixed"
    MATCH = "match"
    ANY = "any"


# AclCommand.ResourceTypeToValidOperations
VALID_OPERATIONS: dict[ResourceType, frozenset[AclOperation]] = {
    ResourceType.TOPIC: frozenset(
        {
            AclOperation.READ,
            AclOperation.WRITE,
            AclOperation.CREATE,
            AclOperation.DESCRIBE,
            AclOperation.DELETE,
            AclOperation.ALTER,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS,
            AclOperation.ALL,
        }
    ),
    ResourceType.GROUP: frozenset(
        {AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALL}
    ),
    ResourceType.CLUSTER: frozenset(
        {
            AclOperation.CREATE,
            AclOperation.CLUSTER_ACTION,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS,
            AclOperation.IDEMPOTENT_WRITE,
            AclOperation.ALTER,
            AclOperation.DESCRIBE,
            AclOperation.ALL,
        }
    ),
    ResourceType.TRANSACTIONAL_ID: frozenset({AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.ALL}),
}

Principals = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-principal",
        metavar="PRINCIPAL",
        help="A principal allowed (User:alice; User:* for everyone). Repeatable.",
    ),
]
DenyPrincipals = Annotated[
    list[str] | None,
    typer.Option("--deny-principal", metavar="PRINCIPAL", help="A principal denied (DENY wins). Repeatable."),
]
Hosts = Annotated[
    list[str] | None,
    typer.Option(
        "--host", metavar="HOST", help="The client IP address the ACL covers (default *). Repeatable."
    ),
]
Operations = Annotated[
    list[Operation] | None,
    typer.Option("--operation", metavar="OPERATION", case_sensitive=False,
                 help="Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, "
                 "AlterConfigs, IdempotentWrite or All. Repeatable."),
]  # fmt: skip
Topics = Annotated[
    list[str] | None,
    typer.Option("--topic", metavar="TOPIC", help="A topic (* for every topic). Repeatable."),
]
Groups = Annotated[
    list[str] | None,
    typer.Option("--group", metavar="GROUP", help="A consumer group (* for every group). Repeatable."),
]
Cluster = Annotated[bool, typer.Option("--cluster", help="The cluster itself (CLUSTER:kafka-cluster).")]
TransactionalIds = Annotated[
    list[str] | None,
    typer.Option(
        "--transactional-id", metavar="ID", help="A transactional.id (* for every one). Repeatable."
    ),
]
Pattern = Annotated[
    PatternOption,
    typer.Option("--resource-pattern-type", help="literal or prefixed names (add); list and remove also take "
                 "match (every ACL that applies to the named resource) and any.", case_sensitive=False),
]  # fmt: skip
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@dataclass(frozen=True)
class Selection:
    """The options `add` and `remove` share, as kafka-acls.sh's --add and --remove do:
    whose ACLs, from which hosts, for which operations, on which resources. A field's
    type is its Typer option; `_selecting` makes them a command's options."""

    allow_principal: Principals = None
    deny_principal: DenyPrincipals = None
    host: Hosts = None
    operation: Operations = None
    topic: Topics = None
    group: Groups = None
    cluster: Cluster = False
    transactional_id: TransactionalIds = None
    pattern: Pattern = PatternOption.LITERAL

    def resources(self) -> list[tuple[ResourceType, str]]:
        """The resources named; naming none is a usage error (both commands need one)."""
        named = _resources(self.topic, self.group, self.cluster, self.transactional_id)
        if not named:
            raise typer.BadParameter("name a resource: --topic, --group, --cluster or --transactional-id")
        return named


def _selecting(command: Callable[..., None]) -> Callable[..., None]:
    """`command(ctx, selection, **own)` as a Typer command: its options are Selection's
    fields, then the command's own, in that order in --help."""
    hints = get_type_hints(Selection, include_extras=True)
    shared = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name])
        for f in fields(Selection)
    ]
    ctx, _selection, *own = inspect.signature(command, eval_str=True).parameters.values()
    parameters = [ctx, *shared, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own)]

    @functools.wraps(command)
    def run(ctx: typer.Context, **options: Any) -> None:
        selection = Selection(**{f.name: options.pop(f.name) for f in fields(Selection)})
        command(ctx, selection, **options)

    # Typer reads a command's options from its signature and type hints.
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


def _resources(
    topics: list[str] | None, groups: list[str] | None, cluster: bool, transactional_ids: list[str] | None
) -> list[tuple[ResourceType, str]]:
    named = [(ResourceType.TOPIC, t) for t in topics or ()]
    named += [(ResourceType.GROUP, g) for g in groups or ()]
    named += [(ResourceType.CLUSTER, CLUSTER_NAME)] if cluster else []
    named += [(ResourceType.TRANSACTIONAL_ID, t) for t in transactional_ids or ()]
    return named


def _principal(text: str) -> str:
    kind, _, name = text.partition(":")
    if not kind or not name:
        raise typer.BadParameter(f"{text!r} is not a principal (want Type:name, e.g. User:alice)")
    return text


def _entries(
    allow: Iterable[str], deny: Iterable[str], hosts: list[str] | None, operations: Iterable[AclOperation]
) -> list[tuple[str, str, AclOperation, AclPermissionType]]:
    people = [(_principal(p), AclPermissionType.ALLOW) for p in allow]
    people += [(_principal(p), AclPermissionType.DENY) for p in deny]
    return [(p, h, op, kind) for p, kind in people for h in (hosts or [WILDCARD_HOST]) for op in operations]


def _conveniences(
    producer: bool, consumer: bool, idempotent: bool, resources: list[tuple[ResourceType, str]]
) -> dict[tuple[ResourceType, str], set[AclOperation]]:
    """AclCommand's --producer and --consumer: the ACL sets a client of that kind needs."""
    wanted: dict[tuple[ResourceType, str], set[AclOperation]] = {}
    kinds = {kind for kind, _ in resources}
    if producer:
        if ResourceType.TOPIC not in kinds:
            raise typer.BadParameter("--producer needs at least one --topic")
        for kind, name in resources:
            if kind == ResourceType.TOPIC:
                wanted.setdefault((kind, name), set()).update({AclOperation.WRITE, AclOperation.DESCRIBE,
                                                               AclOperation.CREATE})  # fmt: skip
            elif kind == ResourceType.TRANSACTIONAL_ID:
                wanted.setdefault((kind, name), set()).update({AclOperation.WRITE, AclOperation.DESCRIBE})
        if idempotent:
            wanted.setdefault((ResourceType.CLUSTER, CLUSTER_NAME), set()).add(AclOperation.IDEMPOTENT_WRITE)
    if consumer:
        if ResourceType.TOPIC not in kinds or ResourceType.GROUP not in kinds:
            raise typer.BadParameter("--consumer needs at least one --topic and one --group")
        for kind, name in resources:
            if kind == ResourceType.TOPIC:
                wanted.setdefault((kind, name), set()).update({AclOperation.READ, AclOperation.DESCRIBE})
            elif kind == ResourceType.GROUP:
                wanted.setdefault((kind, name), set()).add(AclOperation.READ)
    return wanted


def _json(b: AclBinding) -> dict[str, Any]:
    p, e = b.pattern, b.entry
    return {
        "resource_type": p.resource_type.name, "name": p.name, "pattern_type": p.pattern_type.name,
        "principal": e.principal, "host": e.host, "operation": e.operation.name,
        "permission_type": e.permission.name,
    }  # fmt: skip


def _show(bindings: list[AclBinding], json_out: bool, heading: str) -> None:
    if json_out:
        print_json([_json(b) for b in bindings])
        return
    if not bindings:
        console.print(f"{heading}: none", markup=False)
        return
    for pattern, group in groupby(bindings, key=lambda b: b.pattern):
        console.print(
            f"{heading} for resource `ResourcePattern(resourceType={pattern.resource_type.name}, "
            f"name={pattern.name}, patternType={pattern.pattern_type.name})`:",
            markup=False,
        )
        table = Table("Principal", "Host", "Operation", "Permission", box=None, padding=(0, 2, 0, 4))
        for b in group:
            table.add_row(b.entry.principal, b.entry.host, b.entry.operation.name, b.entry.permission.name)
        console.print(table)


@app.command("add")
@_selecting
def add(
    ctx: typer.Context,
    selection: Selection,
    producer: Annotated[
        bool,
        typer.Option(
            "--producer",
            help="WRITE, DESCRIBE, CREATE on the topics (and WRITE, DESCRIBE on the transactional ids).",
        ),
    ] = False,
    consumer: Annotated[
        bool, typer.Option("--consumer", help="READ, DESCRIBE on the topics, READ on the groups.")
    ] = False,
    idempotent: Annotated[
        bool,
        typer.Option(
            "--idempotent",
            help="With --producer: IDEMPOTENT_WRITE on the cluster (KIP-679 makes WRITE on a topic enough).",
        ),
    ] = False,
    json_out: Json = False,
) -> None:
    """Add ACLs, e.g. `kafkatui acl add --allow-principal User:alice --operation Read --topic t`."""
    pattern = selection.pattern
    if pattern not in (PatternOption.LITERAL, PatternOption.PREFIXED):
        raise typer.BadParameter("adding needs literal or prefixed", param_hint="--resource-pattern-type")
    allow, deny = selection.allow_principal or (), selection.deny_principal or ()
    if not allow and not deny:
        raise typer.BadParameter("give --allow-principal or --deny-principal to add ACLs")
    resources = selection.resources()
    if producer or consumer:
        wanted = _conveniences(producer, consumer, idempotent, resources)
    else:
        ops = {o.acl for o in selection.operation or [Operation.ALL]}
        wanted = {r: ops for r in resources}
    bindings = []
    for (kind, name), ops in wanted.items():
        bad = sorted(o.name for o in ops if o not in VALID_OPERATIONS[kind])
        if bad:
            valid = ",".join(sorted(o.name for o in VALID_OPERATIONS[kind]))
            raise fail(
                "INVALID_REQUEST", f"ResourceType {kind.name} only supports operations {valid} (not {bad[0]})"
            )
        chosen = PatternType.LITERAL if kind == ResourceType.CLUSTER else PatternType[pattern.name]
        bindings += [
            AclBinding(ResourcePattern(kind, name, chosen), AccessControlEntry(p, h, op, perm))
            for p, h, op, perm in _entries(allow, deny, selection.host, sorted(ops))
        ]

    @backend_command("kafkatui acl add")
    async def body(backend: Backend) -> None:
        outcomes = await backend.create_acls(bindings)
        failed = [(b, e) for b, e in zip(bindings, outcomes, strict=True) if e is not None]
        if failed:
            binding, error = failed[0]
            raise fail(error.name, f"{error.message} ({binding.describe()})")
        _show(sorted(set(bindings)), json_out, "Adding ACLs")

    body(ctx)


def _filters(
    resources: list[tuple[ResourceType, str]],
    pattern: PatternOption,
    principals: list[tuple[str | None, AclPermissionType]],
    hosts: list[str] | None,
    operations: list[AclOperation],
) -> list[AclBindingFilter]:
    chosen = PatternType[pattern.name]
    named: list[tuple[ResourceType, str | None, PatternType]] = [
        (kind, name, PatternType.LITERAL if kind == ResourceType.CLUSTER else chosen)
        for kind, name in resources
    ] or [(ResourceType.ANY, None, PatternType.ANY)]
    return [
        AclBindingFilter(kind, name, kind_pattern, principal, host, op, permission)
        for kind, name, kind_pattern in named
        for principal, permission in principals
        for host in (hosts or [None])
        for op in operations
    ]


@app.command("list")
def list_acls(
    ctx: typer.Context,
    principal: Annotated[
        list[str] | None,
        typer.Option("--principal", metavar="PRINCIPAL", help="Only this principal's ACLs. Repeatable."),
    ] = None,
    topic: Topics = None,
    group: Groups = None,
    cluster: Cluster = False,
    transactional_id: TransactionalIds = None,
    pattern: Pattern = PatternOption.LITERAL,
    json_out: Json = False,
) -> None:
    """List ACLs: all of them, or those on the named resources (`--resource-pattern-type
    match` shows every ACL that applies to a resource, PREFIXED and `*` ones too)."""
    people: list[tuple[str | None, AclPermissionType]] = [
        (_principal(p), AclPermissionType.ANY) for p in principal or ()
    ] or [(None, AclPermissionType.ANY)]
    filters = _filters(_resources(topic, group, cluster, transactional_id), pattern, people, None,
                       [AclOperation.ANY])  # fmt: skip

    @backend_command("kafkatui acl list")
    async def body(backend: Backend) -> None:
        found: set[AclBinding] = set()
        for f in filters:
            found.update(await backend.describe_acls(f))
        _show(sorted(found), json_out, "Current ACLs")

    body(ctx)


@app.command("remove")
@_selecting
def remove(ctx: typer.Context, selection: Selection, json_out: Json = False) -> None:
    """Remove ACLs on the named resources: those of the principals, hosts and operations
    given, or every ACL there when none are (kafka-acls.sh --remove --force)."""
    resources = selection.resources()
    people: list[tuple[str | None, AclPermissionType]] = [
        (_principal(p), AclPermissionType.ALLOW) for p in selection.allow_principal or ()
    ] + [(_principal(p), AclPermissionType.DENY) for p in selection.deny_principal or ()]
    ops = sorted({o.acl for o in selection.operation or ()}) or [AclOperation.ANY]
    filters = _filters(
        resources, selection.pattern, people or [(None, AclPermissionType.ANY)], selection.host, ops
    )

    @backend_command("kafkatui acl remove")
    async def body(backend: Backend) -> None:
        removed = {b for deleted in await backend.delete_acls(filters) for b in deleted}
        _show(sorted(removed), json_out, "Removed ACLs")

    body(ctx)
