"""The root `kafkatui` command: which commands there are, and three things Typer does not
do for them.

- **Commands load on first use.** The engine, the wire codecs and confluent-kafka take
  ~0.4 s to import; `kafkatui --help` lists every command from the one-line help in
  `COMMANDS`, so it imports none of them (bench/startup.py measures it).
- **Global options after the command too.** `kafkatui topic create t --bootstrap-server B`
  works, as Kafka's own tools take `--bootstrap-server` after the command; each command
  lists them in its --help. A command's own option of the same name wins (`demo` has its
  own `--seed`, `serve` its own `--brokers`).
- **A usage error is one line**, `error: USAGE: <what> (see <command> --help)`, exit code 2,
  like every other error (Typer would print the usage and a boxed panel).
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# The root's options that every command takes as well (its callback's parameter names,
# which are also ClusterOptions' fields).
GLOBAL_OPTIONS = ("data_dir", "memory", "brokers", "cluster_name", "seed", "bootstrap_server")


@dataclass(frozen=True)
class LazyCommand:
    """A command of the root: where it lives, and its help as `kafkatui --help` lists it
    (tests/cli/test_help.py checks it against the command's own)."""

    target: str  # "module:attribute", a Typer app (a group of commands) or a command function
    help: str
    global_options: bool = True  # False: it never opens the cluster the global options choose


COMMANDS: dict[str, LazyCommand] = {
    "produce": LazyCommand(
        "kafkatui.cli.produce:produce",
        "Produce records: one from --value, many from stdin lines, or --count generated ones.",
    ),
    "consume": LazyCommand(
        "kafkatui.cli.consume:consume",
        "Read records from the partitions' leaders, up to the high watermark.",
    ),
    "serve": LazyCommand(
        "kafkatui.cli.serve:serve",
        "Serve the cluster to real Kafka clients over the wire protocol (no workbench).",
    ),
    "where": LazyCommand("kafkatui.cli.main:where", "Print the data dir this command line would use."),
    "topic": LazyCommand("kafkatui.cli.topic:app", "Create, list, describe, alter and delete topics."),
    "broker": LazyCommand(
        "kafkatui.cli.broker:app", "List, stop, start, check and repair brokers (leaders move, ISRs change)."
    ),
    "certs": LazyCommand(
        "kafkatui.cli.certs:app",
        "Certificates for TLS listeners: a local CA, broker and client certificates.",
    ),
    "user": LazyCommand("kafkatui.cli.user:app", "SASL users (SCRAM credentials): add, list, delete."),
    "acl": LazyCommand(
        "kafkatui.cli.acl:app", "ACLs: add, list and remove who may do what (like kafka-acls.sh)."
    ),
    "group": LazyCommand(
        "kafkatui.cli.group:app",
        "Consumer groups: committed offsets, lag, reset and delete (like kafka-consumer-groups.sh).",
    ),
    "transactions": LazyCommand(
        "kafkatui.cli.transactions:app",
        "Transactions: list them, or describe them by transactional.id (as Kafka's own tool does).",
    ),
    "schema": LazyCommand(
        "kafkatui.cli.schema:app",
        "Schema Registry: register, list, show, diff and check schemas; delete; compatibility config.",
    ),
    # Connect is reached over its REST API (--connect-url), never through the cluster options.
    "ksql": LazyCommand(
        "kafkatui.cli.ksql:ksql",
        "ksqlDB's CLI: SQL over the cluster's topics (streams, tables, push and pull queries).",
    ),
    "connect": LazyCommand(
        "kafkatui.cli.connect:app",
        "Kafka Connect: create, list, pause, resume, restart, delete connectors; status, plugins, offsets.",
        global_options=False,
    ),
    "streams": LazyCommand(
        "kafkatui.cli.streams:app",
        "Kafka Streams: run an application module on the cluster, describe its topology, list the "
        "applications, show one's status, reset one (like kafka-streams-application-reset.sh).",
    ),
    "lesson": LazyCommand(
        "kafkatui.cli.lesson:app",
        "The guided course: list the lessons, start one in the workbench, see your progress, reset one.",
    ),
    # The lessons run on their own in-memory cluster (only --bootstrap-server, before the
    # command, is refused there).
    "demo": LazyCommand(
        "kafkatui.cli.demo:app",
        "Scripted scenarios: crash, count, explain (in memory, deterministic; --pace slows the telling).",
        global_options=False,
    ),
    # Chaos runs its own throwaway clusters, like the lessons.
    "chaos": LazyCommand(
        "kafkatui.cli.chaos:app",
        "Seeded fault schedules against throwaway clusters; check what Kafka promises.",
        global_options=False,
    ),
}


def load(name: str, entry: LazyCommand) -> TyperCommand | TyperGroup:
    """Import the command's module and build its Click command, as `add_typer` would."""
    module, _, attribute = entry.target.partition(":")
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _Commands(MutableMapping[str, Any]):
    """The root's commands by name, in `COMMANDS` order; a command's module is imported
    the first time the command is looked up (Typer and Click look up by `.get`)."""

    def __init__(self, root: RootGroup, loaded: dict[str, Any]) -> None:
        self._root = root
        self._loaded = loaded

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            entry = COMMANDS[name]  # KeyError: no such command
            self._loaded[name] = self._root.adopt(load(name, entry), entry.global_options)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._loaded]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*COMMANDS, *self._loaded]))


class RootGroup(TyperGroup):
    """The `kafkatui` group (Typer's `cls=`): lazy commands, global options on every
    command, one-line usage errors."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        eager = {name: self.adopt(command, True) for name, command in self.commands.items()}
        self.commands = _Commands(self, eager)

    # -- the command tree ---------------------------------------------------------------

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(self.commands)  # the names, without importing every command

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        commands = self.commands
        assert isinstance(commands, _Commands)
        rows = [
            (name, commands[name].get_short_help_str() if commands.is_loaded(name) else COMMANDS[name].help)
            for name in commands
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def adopt(self, command: Any, global_options: bool) -> Any:
        """Give a command (and each command of a group) this root's help style, its
        first paragraph whole as short help, and the global options."""
        command.rich_markup_mode = self.rich_markup_mode
        command.parse_args = functools.partial(_parse_args, command.parse_args)
        if command.short_help is None and command.help:
            first = inspect.cleandoc(command.help).partition("\n\n")[0]
            command.short_help = " ".join(first.split())  # listed whole and wrapped, never cut
        if isinstance(command, TyperGroup):
            for sub in command.commands.values():
                self.adopt(sub, global_options)
        elif global_options:
            taken = {name for p in command.params for name in (p.name, *p.opts, *p.secondary_opts)}
            for option in self.params:
                names = {option.name, *option.opts, *option.secondary_opts}
                if option.name in GLOBAL_OPTIONS and not names & taken:
                    command.params.append(_after_the_command(option))
        return command

    # -- usage errors -------------------------------------------------------------------

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return _parse_args(super().parse_args, ctx, args)

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> typer.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except typer.TyperException as error:
            raise _one_line(error) from None

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as error:
            raise _one_line(error) from None


def _after_the_command(option: Any) -> Any:
    """A command's copy of a root option: given after the command, it sets the same
    field of the root's ClusterOptions (the root callback has run by then)."""
    copied = copy.copy(option)
    copied.envvar = None  # the root reads $KAFKATUI_DATA_DIR; a copy must not overwrite `-d`
    copied.show_envvar = False
    copied.show_default = False  # absent here means "as before the command", not the default
    copied.expose_value = False
    copied.callback = _set_on_root
    return copied


def _set_on_root(ctx: typer.Context, param: Any, value: Any) -> Any:
    source = ctx.get_parameter_source(param.name)
    root = ctx.find_root().obj
    if source is not None and source.name == "COMMANDLINE" and root is not None:
        setattr(root, param.name, value)
    return value


def _parse_args(parse: Any, ctx: typer.Context, args: list[str]) -> list[str]:
    """Click's parser raises some usage errors without the context ("Option '-p'
    requires an argument"); give them the command's, so the hint names the command."""
    try:
        return parse(ctx, args)
    except typer.TyperException as error:
        if getattr(error, "ctx", None) is None:
            error.ctx = ctx  # type: ignore[attr-defined]
        raise


def _one_line(error: typer.TyperException) -> BaseException:
    """A usage error (Click's UsageError and its kin, exit code 2) as the Exit after
    `error: USAGE: <what> (see <command> --help)`; anything else as it was."""
    # "No arguments: show the help" is a UsageError too (Typer tells it by name as well).
    if getattr(error, "exit_code", None) != 2 or type(error).__name__ == "NoArgsIsHelpError":
        return error
    from kafkatui.cli.context import fail

    message = " ".join(error.format_message().split()).rstrip(".")
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        message += f" (see {ctx.command_path} --help)"
    return fail("USAGE", message, 2)
