"""A Schema Registry client for kafkatui's serde: kafkatui's own registry or any
Confluent-compatible URL, over aiohttp. Ids never change meaning, so schemas by id are
cached for good; registrations are cached per (subject, schema)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp

from kafkatui.ecosystem.http import NO_ACCESS, SCHEMA_REGISTRY_V1, client_access
from kafkatui.ecosystem.registry.schemas import ParsedSchema, Reference, SchemaType, parse_schema


class RegistryClientError(Exception):
    """The registry refused (its Confluent error code and message) or could not be reached."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, error code {error_code})")
        self.status = status
        self.error_code = error_code
        self.message = message


@dataclass(frozen=True)
class RegisteredSchema:
    schema_id: int
    schema: ParsedSchema
    subject: str | None = None
    version: int | None = None


class RegistryClient:
    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._by_id: dict[int, ParsedSchema] = {}
        self._registered: dict[tuple[str, SchemaType, str, tuple[Reference, ...]], int] = {}
        self._versions: dict[tuple[str, int], dict[str, Any]] = {}
        self.requests = 0  # HTTP requests sent, to see the caches work

    async def request(self, method: str, path: str, body: Any = None, **query: str) -> Any:
        """One REST call (`path` with its subject already quoted, see `quote`); the JSON
        answer, or `RegistryClientError` with the registry's error code and message."""
        access = client_access(self.url) or NO_ACCESS  # a registry of this process behind TLS/Basic
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=access.verify)
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=connector)
        headers = {"Accept": SCHEMA_REGISTRY_V1, **access.headers}
        if body is not None:
            headers["Content-Type"] = SCHEMA_REGISTRY_V1
        self.requests += 1
        try:
            async with self._session.request(
                method, self.url + path, json=body, params=query, headers=headers
            ) as r:
                try:
                    data = await r.json(content_type=None)
                except ValueError:  # not JSON: not a Schema Registry (a proxy's page, another server)
                    raise RegistryClientError(
                        r.status,
                        r.status,
                        f"{self.url} answered HTTP {r.status} with a body that is not JSON: "
                        "is it a Schema Registry?",
                    ) from None
                if r.status >= 400:
                    code = data.get("error_code", r.status) if isinstance(data, dict) else r.status
                    message = data.get("message", r.reason) if isinstance(data, dict) else str(r.reason)
                    raise RegistryClientError(r.status, code, message)
                return data
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RegistryClientError(
                0, 0, f"the Schema Registry at {self.url} cannot be reached: {error or 'timed out'}"
            ) from None

    async def _references(self, refs: list[dict[str, Any]]) -> dict[str, ParsedSchema]:
        resolved = {}
        for ref in refs:
            key = (ref["subject"], int(ref["version"]))
            if key not in self._versions:
                self._versions[key] = await self.request(
                    "GET", f"/subjects/{quote(key[0])}/versions/{key[1]}"
                )
            found = self._versions[key]
            resolved[ref["name"]] = await self._parse(found)
        return resolved

    async def _parse(self, body: dict[str, Any]) -> ParsedSchema:
        kind = SchemaType(body.get("schemaType") or "AVRO")
        return parse_schema(kind, body["schema"], await self._references(body.get("references") or []))

    async def schema_by_id(self, schema_id: int) -> ParsedSchema:
        """The writer's schema of a framed record (cached: an id's schema never changes)."""
        cached = self._by_id.get(schema_id)
        if cached is None:
            cached = await self._parse(await self.request("GET", f"/schemas/ids/{schema_id}"))
            self._by_id[schema_id] = cached
        return cached

    async def register(
        self,
        subject: str,
        schema: str,
        schema_type: SchemaType = SchemaType.AVRO,
        references: tuple[Reference, ...] = (),
    ) -> int:
        key = (subject, schema_type, schema, references)
        if key not in self._registered:
            body: dict[str, Any] = {"schema": schema, "schemaType": schema_type.value}
            if references:
                body["references"] = [r.to_json() for r in references]
            answer = await self.request("POST", f"/subjects/{quote(subject)}/versions", body)
            self._registered[key] = int(answer["id"])
        return self._registered[key]

    async def latest(self, subject: str) -> RegisteredSchema:
        return await self.version(subject, "latest")

    async def version(self, subject: str, version: int | str) -> RegisteredSchema:
        """A subject's version (a number, or "latest": Confluent's use.latest.version)."""
        body = await self.request("GET", f"/subjects/{quote(subject)}/versions/{version}")
        parsed = await self._parse(body)
        self._by_id.setdefault(int(body["id"]), parsed)
        return RegisteredSchema(int(body["id"]), parsed, body.get("subject"), body.get("version"))

    def forget(self) -> None:
        """Drop every cache (the bench's uncached lookups)."""
        self._by_id.clear()
        self._registered.clear()
        self._versions.clear()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def quote(subject: str) -> str:
    """A subject as one path segment (a `/` or `%` in it must not change the path)."""
    return urllib.parse.quote(subject, safe="")
