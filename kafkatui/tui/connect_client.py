"""The Connect panel's client of a Kafka Connect worker: its REST API over HTTP (httpx),
as any Connect UI talks to a worker, at `Backend.connect_url`. Errors are Connect's
bodies (`{"error_code", "message"}`) as `ConnectRefused`; a worker that does not answer
is `ConnectDown`, which the panel shows in place, never as a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx


class ConnectDown(Exception):
    """No worker answers at the URL (connection refused, timed out)."""


class ConnectRefused(Exception):
    """The worker answered with an error: Connect's status code and message (409 while
    it rebalances or when the name is taken, 400 for a config it refuses, 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{message} (HTTP {status})")
        self.status = status
        self.message = message


class ConnectClient:
    """The Connect REST API's calls the panel makes (Apache Kafka's paths)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        try:
            response = await self._http.request(method, path, json=body, params=params or None)
        except httpx.TransportError as error:
            raise ConnectDown(f"No Connect worker answers at {self.url} ({type(error).__name__})") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.text
            except ValueError:
                message = response.text
            raise ConnectRefused(response.status_code, str(message))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @staticmethod
    def _c(name: str) -> str:
        return f"/connectors/{quote(name, safe='')}"

    async def connectors(self) -> dict[str, Any]:
        """Every connector with its status and info (`?expand=status&expand=info`)."""
        found = await self.request("GET", "/connectors", expand=["status", "info"])
        return found if isinstance(found, dict) else {}

    async def plugins(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/connector-plugins")  # type: ignore[no-any-return]

    async def plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        return await self.request("GET", f"/connector-plugins/{quote(plugin, safe='')}/config")  # type: ignore[no-any-return]

    async def validate(self, plugin: str, config: dict[str, Any]) -> dict[str, Any]:
        path = f"/connector-plugins/{quote(plugin, safe='')}/config/validate"
        return await self.request("PUT", path, config)  # type: ignore[no-any-return]

    async def create(self, name: str, config: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", "/connectors", {"name": name, "config": config})  # type: ignore[no-any-return]

    async def offsets(self, name: str) -> list[dict[str, Any]]:
        found = await self.request("GET", f"{self._c(name)}/offsets")
        return list(found.get("offsets", [])) if isinstance(found, dict) else []

    async def pause(self, name: str) -> None:
        await self.request("PUT", f"{self._c(name)}/pause")

    async def resume(self, name: str) -> None:
        await self.request("PUT", f"{self._c(name)}/resume")

    async def restart(self, name: str) -> None:
        await self.request("POST", f"{self._c(name)}/restart", includeTasks="true")

    async def delete(self, name: str) -> None:
        await self.request("DELETE", self._c(name))


def problems(validation: dict[str, Any]) -> dict[str, list[str]]:
    """A `PUT .../config/validate` answer as field → its errors (only fields with some)."""
    out: dict[str, list[str]] = {}
    for entry in validation.get("configs", []):
        value = entry.get("value", {})
        if value.get("errors"):
            out[str(value.get("name"))] = [str(e) for e in value["errors"]]
    return out


@dataclass(frozen=True)
class Field:
    """One config key as the new-connector form asks for it (a ConfigKeyInfo of
    `GET /connector-plugins/{plugin}/config`, or one of ConnectorConfig's own)."""

    name: str
    required: bool = False
    default: str | None = None
    documentation: str = ""


# ConnectorConfig's keys every connector has (the plugin's config endpoint lists only its
# own, as Apache Kafka's does); a sink also says which topics it reads.
COMMON = (Field("tasks.max", False, "1", "Maximum number of tasks to use for this connector."),)
SINK_TOPICS = Field("topics", True, None, "List of topics to consume, separated by commas")


def form_fields(definitions: list[dict[str, Any]], kind: str) -> list[Field]:
    """The fields of a plugin's form: the required ones first, then the rest in the
    plugin's order, then ConnectorConfig's own; each with its default."""
    own = [
        Field(
            str(d.get("name")),
            bool(d.get("required")),
            None if d.get("default_value") in (None, "") else str(d["default_value"]),
            str(d.get("documentation") or ""),
        )
        for d in sorted(definitions, key=lambda d: int(d.get("order") or 0))
    ]
    common = [SINK_TOPICS, *COMMON] if kind == "sink" else list(COMMON)
    names = {f.name for f in own}
    fields = own + [f for f in common if f.name not in names]
    return sorted(fields, key=lambda f: not f.required)  # sorted() is stable: the order stays


def template(fields: list[Field], plugin: str) -> dict[str, str]:
    """A plugin's config as the JSON editor starts it: `connector.class`, the required
    keys empty and the keys with a default at it."""
    config = {"connector.class": plugin}
    for field in fields:
        if field.required:
            config[field.name] = ""
        elif field.default is not None:
            config[field.name] = field.default
    return config
