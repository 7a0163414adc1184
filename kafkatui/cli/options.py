"""Options more than one command takes, declared once: kafka-consumer-groups.sh's reset
scenarios (`group reset-offsets`, `streams reset`) and the HTTP services' ports and
switches (`serve`, and the workbench's root command).

Typer has no option groups, so `expands` gives a command one parameter that stands for
several options: they show in --help where that parameter is, and the command gets
one value made of theirs. Light (the root command imports it to parse its options):
no engine, backend or ecosystem import at module level.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from kafkatui.backends.offset_reset import ResetStrategy

F = TypeVar("F", bound=Callable[..., Any])


# A placeholder's default, for the syntax only: `expands` always passes its value.
EXPANDED: Any = object()


def expands(
    placeholder: str, options: Sequence[inspect.Parameter], combine: Callable[..., Any]
) -> Callable[[F], F]:
    """Decorator: the command's `placeholder` parameter becomes `options` on the command
    line and in --help (at its place, in their order), and the command is called with
    `placeholder=combine(**their values)`."""

    def decorate(command: F) -> F:
        signature = inspect.signature(command)
        params = list(signature.parameters.values())
        at = [p.name for p in params].index(placeholder)
        kind = params[at].kind
        # Typer reads the annotations as objects; the placeholder's is never read.
        kept = [_evaluated(p, command.__globals__) for p in params]
        expanded = [*kept[:at], *(o.replace(kind=kind) for o in options), *kept[at + 1 :]]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {o.name: kwargs.pop(o.name) for o in options}
            return command(*args, **kwargs, **{placeholder: combine(**given)})

        wrapper.__signature__ = signature.replace(parameters=expanded)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in expanded}
        return wrapper  # type: ignore[return-value]

    return decorate


def _evaluated(param: inspect.Parameter, namespace: dict[str, Any]) -> inspect.Parameter:
    """The parameter with its annotation evaluated (`from __future__ import annotations`
    keeps them as text), as `inspect.signature(eval_str=True)` would."""
    if not isinstance(param.annotation, str):
        return param
    return param.replace(annotation=eval(param.annotation, namespace))


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


# --- kafka-consumer-groups.sh's reset scenarios -----------------------------------------


def _given(name: str, kind: Any, flag: str, help: str) -> inspect.Parameter:
    """A reset scenario's option: False (a flag) or None (a value) when not given."""
    default = False if kind is bool else None
    return _option(name, Annotated[kind, typer.Option(flag, help=help)], default)


_RESET_OPTIONS = [
    _given("to_earliest", bool, "--to-earliest", "Reset to the log start offset."),
    _given("to_latest", bool, "--to-latest", "Reset to the high watermark."),
    _given("to_offset", int | None, "--to-offset", "Reset to this offset."),
    _given("shift_by", int | None, "--shift-by", "Move the committed offset by N (negative goes back)."),
    _given(
        "to_datetime", str | None, "--to-datetime", "Reset to the first record at or after this ISO time."
    ),
    _given(
        "by_duration",
        str | None,
        "--by-duration",
        "Reset to the first record at most this long ago (PnDTnHnMnS, e.g. PT15M).",
    ),
]


def reset_options(default: ResetStrategy | None) -> Callable[[F], F]:
    """Decorator: the command's `strategy` parameter is kafka-consumer-groups.sh's reset
    scenarios (--to-earliest … --by-duration) and gets the one they choose with its
    value, `(ResetStrategy, int | None)`; `default` when none is given (None: one must be)."""
    return expands("strategy", _RESET_OPTIONS, functools.partial(reset_strategy, default=default))


def reset_strategy(
    to_earliest: bool,
    to_latest: bool,
    to_offset: int | None,
    shift_by: int | None,
    to_datetime: str | None,
    by_duration: str | None,
    *,
    default: ResetStrategy | None,
) -> tuple[ResetStrategy, int | None]:
    """The one reset scenario the options choose, and its value (a moment or a duration
    in ms); `default` when none is given (None: one must be)."""
    from kafkatui.backends.offset_reset import ResetStrategy

    chosen = [
        (strategy, value)
        for strategy, flag, value in (
            (ResetStrategy.TO_EARLIEST, to_earliest, None),
            (ResetStrategy.TO_LATEST, to_latest, None),
            (ResetStrategy.TO_OFFSET, to_offset is not None, to_offset),
            (ResetStrategy.SHIFT_BY, shift_by is not None, shift_by),
            (ResetStrategy.TO_DATETIME, to_datetime is not None, to_datetime),
            (ResetStrategy.BY_DURATION, by_duration is not None, by_duration),
        )
        if flag
    ]
    if not chosen and default is not None:
        return default, None
    if len(chosen) != 1:
        raise typer.BadParameter(
            "choose exactly one of --to-earliest, --to-latest, --to-offset, --shift-by, --to-datetime, "
            "--by-duration",
            param_hint="strategy",
        )
    strategy, raw = chosen[0]
    if isinstance(raw, str):  # a moment or a duration: in ms
        return strategy, (
            _parse_datetime(raw) if strategy is ResetStrategy.TO_DATETIME else _parse_duration(raw)
        )
    return strategy, raw


def _parse_datetime(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date-time (e.g. 2026-11-30T10:00:00 or 2026-11-30T10:00:00+00:00)",
            param_hint="--to-datetime",
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local time, as kafka-consumer-groups.sh takes it
    return int(moment.timestamp() * 1000)


# Java's Duration.parse for the days, hours, minutes and seconds kafka-consumer-groups.sh's
# --by-duration takes ("PnDTnHnMnS").
_DURATION = re.compile(
    r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?", re.IGNORECASE
)


def _parse_duration(text: str) -> int:
    """An ISO-8601 duration such as PT15M or P1DT2H, in ms."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()) or text.strip().upper().endswith("T"):
        raise typer.BadParameter(
            f"{text!r} is not a duration like PnDTnHnMnS (e.g. PT15M, PT1H30M, P2D)",
            param_hint="--by-duration",
        )
    d, h, m, sec = (float(match.group(g) or 0) for g in "dhms")
    return int((((d * 24 + h) * 60 + m) * 60 + sec) * 1000)


# --- the HTTP services beside the brokers --------------------------------------------------


@dataclass(frozen=True)
class HttpService:
    """One service `serve` and the workbench run beside the brokers: its switch
    (`--NAME/--no-NAME`) and its port option, with Confluent's and Apache Kafka's default
    port (the ecosystem service's `DEFAULT_PORT`, tests/cli/test_serve_options.py)."""

    switch: str  # the --NAME/--no-NAME flag's name, and the parameter's
    port_flag: str
    port_param: str
    port: int


SCHEMA_REGISTRY = HttpService("schema_registry", "--schema-registry-port", "registry_port", 8081)
REST_PROXY = HttpService("rest_proxy", "--rest-port", "rest_port", 8082)
CONNECT = HttpService("connect", "--connect-port", "connect_port", 8083)  # Connect's rest.port
KSQL = HttpService("ksql", "--ksql-port", "ksql_port", 8088)  # ksqlDB's listeners
HTTP_SERVICES = (SCHEMA_REGISTRY, REST_PROXY, CONNECT, KSQL)


@dataclass(frozen=True)
class ServicePorts:
    """Where each HTTP service is to listen; None: it was switched off (--no-NAME)."""

    schema_registry: int | None
    rest_proxy: int | None
    connect: int | None
    ksql: int | None


def service_options(helps: Mapping[HttpService, tuple[str, str]]) -> Callable[[F], F]:
    """Decorator: the command's `services` parameter is each HTTP service's port option
    and switch, in HTTP_SERVICES order, with these helps (port's, switch's): the
    command gets their `ServicePorts`."""
    options = []
    for service in HTTP_SERVICES:
        port_help, switch_help = helps[service]
        flag = service.switch.replace("_", "-")
        port = typer.Option(service.port_flag, help=port_help, min=0, max=65535)
        options.append(_option(service.port_param, Annotated[int, port], service.port))
        switch = typer.Option(f"--{flag}/--no-{flag}", help=switch_help)
        options.append(_option(service.switch, Annotated[bool, switch], True))

    def combine(**given: Any) -> ServicePorts:
        return ServicePorts(*(given[s.port_param] if given[s.switch] else None for s in HTTP_SERVICES))

    return expands("services", options, combine)
