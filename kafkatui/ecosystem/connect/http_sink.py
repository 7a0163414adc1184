"""An HTTP sink with the Confluent HTTP Sink connector's configs
(io.confluent.connect.http.HttpSinkConnector): records are sent to `http.api.url` with
`request.method`, `batch.max.size` records a request — a JSON array
(`batch.json.as.array=true`), or the values joined by `batch.separator` between
`batch.prefix` and `batch.suffix` — with the `headers` (`Name:value`, separated by
`header.separator`).

A request that fails (no connection, or a status in `retry.on.status.codes`) is retried
up to `max.retries` times, waiting `retry.backoff.ms` and twice as long each time after;
then the task fails naming the URL and the last error, and its offsets stay where the
last delivered batch left them. Requests are made inside `put`, so when the worker
commits the consumer offsets, the target has answered 2xx for every record before them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

from kafkatui.ecosystem.connect.api import (
    ConnectException,
    Props,
    SinkConnector,
    SinkRecord,
    SinkTask,
    Task,
)
from kafkatui.ecosystem.connect.config import (
    ConfigDef,
    ConfigException,
    ConfigType,
    Importance,
    at_least,
    one_of,
)
from kafkatui.ecosystem.connect.data import to_json_value

VERSION = "1.7.6"  # the Confluent HTTP Sink release whose configs these follow
METHODS = ("POST", "PUT")


def _url(name: str, value: Any) -> None:
    if value is None:
        return
    try:
        parsed = httpx.URL(str(value))
    except Exception as error:
        raise ConfigException(f"Invalid value {value} for configuration {name}: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigException(
            f"Invalid value {value} for configuration {name}: must be an http:// or https:// URL"
        )


def status_codes(text: str) -> list[tuple[int, int]]:
    """`retry.on.status.codes`: codes and ranges, `400-` meaning 400 and above."""
    ranges = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        start = int(low)
        end = (int(high) if high else 999) if dash else start
        ranges.append((start, end))
    return ranges


def _codes(name: str, value: Any) -> None:
    try:
        status_codes(str(value or ""))
    except ValueError:
        raise ConfigException(
            f"Invalid value {value} for configuration {name}: expected codes or ranges such as 400-,500-599"
        ) from None


class HttpSinkConnector(SinkConnector):
    def version(self) -> str:
        return VERSION

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("http.api.url", ConfigType.STRING, importance=Importance.HIGH,
                    documentation="HTTP API URL.", validators=[_url], group="Connection")
            .define("request.method", ConfigType.STRING, "POST", Importance.HIGH,
                    "HTTP Request Method: POST or PUT.", validators=[one_of(*METHODS)], group="Connection")
            .define("headers", ConfigType.STRING, "", Importance.MEDIUM,
                    "HTTP headers to be included in all requests, Name:value, separated by header.separator.",
                    group="Connection")
            .define("header.separator", ConfigType.STRING, "|", Importance.LOW,
                    "Separator character used in headers property.", group="Connection")
            .define("batch.max.size", ConfigType.INT, 1, Importance.HIGH,
                    "The number of records accumulated in a batch before the HTTP API is invoked.",
                    validators=[at_least(1)], group="Batching")
            .define("batch.json.as.array", ConfigType.BOOLEAN, False, Importance.MEDIUM,
                    "Send the batch as a JSON array of the records' values.", group="Batching")
            .define("batch.prefix", ConfigType.STRING, "", Importance.LOW,
                    "Prefix added to record batches (when not a JSON array).", group="Batching")
            .define("batch.suffix", ConfigType.STRING, "", Importance.LOW,
                    "Suffix added to record batches (when not a JSON array).", group="Batching")
            .define("batch.separator", ConfigType.STRING, ",", Importance.LOW,
                    "Separator for records in a batch (when not a JSON array).", group="Batching")
            .define("max.retries", ConfigType.INT, 10, Importance.MEDIUM,
                    "The maximum number of times to retry on errors before failing the task.",
                    validators=[at_least(0)], group="Retries")
            .define("retry.backoff.ms", ConfigType.INT, 3000, Importance.MEDIUM,
                    "The initial duration in milliseconds to wait following an error before a retry "
                    "attempt is made; each later wait is twice the one before.",
                    validators=[at_least(0)], group="Retries")
            .define("retry.on.status.codes", ConfigType.STRING, "400-", Importance.MEDIUM,
                    "The HTTP error codes to retry on: codes and ranges (400- is 400 and above).",
                    validators=[_codes], group="Retries")
            .define("request.timeout.ms", ConfigType.INT, 30000, Importance.LOW,
                    "The time in milliseconds to wait for a request response from the server.",
                    validators=[at_least(1)], group="Connection")
        )  # fmt: skip

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        values = {n: v.value for n, v in self.config_def().validate(props).items()}
        try:
            _headers(str(values["headers"] or ""), str(values["header.separator"] or "|"))
        except ConnectException as error:
            return {"headers": [str(error)]}
        return {}

    def start(self, props: Props) -> None:
        self.props = dict(props)
        self.config_def().parse(props)

    def task_class(self) -> type[Task]:
        return HttpSinkTask

    def task_configs(self, max_tasks: int) -> list[Props]:
        return [dict(self.props) for _ in range(max_tasks)]


def _headers(text: str, separator: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (p for p in text.split(separator) if p.strip()):
        name, colon, value = part.partition(":")
        if not colon or not name.strip():
            raise ConnectException(f"Invalid header {part!r}: expected Name:value")
        out[name.strip()] = value.strip()
    return out


class HttpSinkTask(SinkTask):
    def version(self) -> str:
        return VERSION

    def start(self, props: Props) -> None:
        v = HttpSinkConnector().config_def().parse(props)
        self.url: str = v["http.api.url"]
        self.method: str = v["request.method"]
        self.headers = _headers(v["headers"], v["header.separator"])
        self.batch_size: int = v["batch.max.size"]
        self.as_array: bool = v["batch.json.as.array"]
        self.prefix, self.suffix, self.separator = v["batch.prefix"], v["batch.suffix"], v["batch.separator"]
        self.max_retries: int = v["max.retries"]
        self.backoff_s = v["retry.backoff.ms"] / 1000
        self.retry_on = status_codes(v["retry.on.status.codes"])
        self.client = httpx.AsyncClient(timeout=v["request.timeout.ms"] / 1000)
        self.requests = 0  # answered 2xx

    async def put(self, records: list[SinkRecord]) -> None:
        for start in range(0, len(records), self.batch_size):
            await self._send(records[start : start + self.batch_size])

    def _body(self, batch: list[SinkRecord]) -> tuple[bytes, str]:
        if self.as_array:
            values = [to_json_value(r.value_schema, _plain(r.value)) for r in batch]
            return json.dumps(values, separators=(",", ":")).encode(), "application/json"
        parts = [_text(r) for r in batch]
        body = self.prefix + self.separator.join(parts) + self.suffix
        structured = all(isinstance(r.value, dict | list) for r in batch)
        return body.encode(), "application/json" if structured else "text/plain"

    async def _send(self, batch: list[SinkRecord]) -> None:
        body, content_type = self._body(batch)
        headers = {"Content-Type": content_type, **self.headers}
        last, attempts = "", 0
        for attempt in range(self.max_retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            attempts += 1
            try:
                answer = await self.client.request(self.method, self.url, content=body, headers=headers)
            except httpx.HTTPError as error:
                last = f"{type(error).__name__}: {error or 'no answer'}"
                continue
            if answer.is_success:
                self.requests += 1
                return
            last = f"HTTP {answer.status_code} {answer.reason_phrase}: {answer.text[:200]}"
            if not any(low <= answer.status_code <= high for low, high in self.retry_on):
                raise ConnectException(
                    f"{self.method} {self.url} refused {len(batch)} record(s) "
                    f"(not in retry.on.status.codes): {last}"
                )
        raise ConnectException(
            f"Exceeded max retries ({self.max_retries}) sending {len(batch)} record(s) to "
            f"{self.method} {self.url} ({attempts} attempts): {last}"
        )

    async def stop(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            self.client = None  # type: ignore[assignment]
            await client.aclose()


def _plain(value: Any) -> Any:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _text(record: SinkRecord) -> str:
    value = _plain(record.value)
    if isinstance(value, dict | list):
        return json.dumps(to_json_value(record.value_schema, value), separators=(",", ":"))
    if value is None:
        return "null"
    return str(value)
