"""`kafkatui schema ...`: the Schema Registry from the command line — register, list,
show, diff, check, delete, config — over Confluent's REST API, with its semantics, on the
registry that `cli/registry.py` finds (the data dir owner's, `--schema-registry-url`, or one
run for the command). Its refusals are one line naming Confluent's error:
`error: SUBJECT_NOT_FOUND: Subject 'x' not found (error code 40401)`.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.text import Text

from kafkatui.cli.context import console, fail
from kafkatui.cli.output import print_json
from kafkatui.cli.registry import UrlOption, reason_text, registry_command
from kafkatui.ecosystem.registry import errors
from kafkatui.ecosystem.registry.compatibility import CompatibilityLevel, Reason, read_messages
from kafkatui.ecosystem.registry.schemas import SchemaType
from kafkatui.ecosystem.serde.client import RegistryClient, RegistryClientError, quote
from kafkatui.formatting import pretty_schema, schema_diff

T = TypeVar("T")

app = typer.Typer(
    help="Schema Registry: register, list, show, diff and check schemas; delete; compatibility config.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SubjectArgument = Annotated[
    str, typer.Argument(help="The subject, e.g. orders-value (topic orders' values).")
]
SchemaFile = Annotated[
    Path,
    typer.Argument(
        help="The schema's file (- for stdin): .avsc Avro, .json JSON Schema, .proto Protobuf.",
    ),
]
TypeOption = Annotated[
    SchemaType | None,
    typer.Option(
        "--type",
        case_sensitive=False,
        help="The schema type (default: from the file's extension, else AVRO).",
    ),
]
ReferenceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        metavar="NAME=SUBJECT:VERSION",
        help="A schema this one refers to (repeatable): its name in the schema (Avro full name, "
        "JSON Schema $ref, .proto import), and the subject and version it is registered as.",
    ),
]


async def _optional(call: Awaitable[T], *codes: int) -> T | None:
    """The answer, or None if the registry refused with one of `codes`."""
    try:
        return await call
    except RegistryClientError as error:
        if error.error_code in codes:
            return None
        raise


# --- reading schemas --------------------------------------------------------------------------


def schema_type_of(path: Path, given: SchemaType | None) -> SchemaType:
    if given is not None:
        return given
    suffix = path.suffix.lower()
    return {".proto": SchemaType.PROTOBUF, ".json": SchemaType.JSON}.get(suffix, SchemaType.AVRO)


def read_schema(path: Path) -> str:
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        return data.decode()
    except UnicodeDecodeError as error:
        raise fail(errors.error_name(errors.INVALID_SCHEMA), f"{path} is not UTF-8 text: {error}") from None
    except OSError as error:  # a usage error, as Click's own check of a path would be
        raise typer.BadParameter(f"cannot read {path}: {error.strerror}", param_hint="SCHEMA_FILE") from None


def parse_references(given: list[str] | None) -> list[dict[str, Any]]:
    out = []
    for text in given or ():
        name, _, target = text.partition("=")
        subject, _, version = target.rpartition(":")
        if not name or not subject or not (version.isdigit() or version == "-1"):
            raise typer.BadParameter(f"{text!r} is not NAME=SUBJECT:VERSION", param_hint="--reference")
        out.append({"name": name, "subject": subject, "version": int(version)})
    return out


def schema_body(text: str, kind: SchemaType, references: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": text, "schemaType": kind.value}
    if references:
        body["references"] = references
    return body


def _type(answer: dict[str, Any]) -> str:
    return answer.get("schemaType") or "AVRO"


def _versions(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def meaning(level: str) -> str:
    """What a level promises (a registry that is not kafkatui's may know other levels)."""
    known = CompatibilityLevel.parse(level)
    return known.meaning if known is not None else "a level kafkatui does not know"


# --- commands ---------------------------------------------------------------------------------


@app.command()
def register(
    ctx: typer.Context,
    subject: SubjectArgument,
    schema_file: SchemaFile,
    schema_type: TypeOption = None,
    reference: ReferenceOption = None,
    normalize: Annotated[
        bool, typer.Option("--normalize", help="Normalise the schema first, so equivalent texts share an id.")
    ] = False,
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """Register a schema under a subject and print its id.

    A schema the subject already has keeps its version and id (nothing is written); the
    same schema under another subject keeps its global id. Otherwise it must be
    compatible with the subject's earlier versions under its compatibility level
    (BACKWARD unless configured): an incompatible one is refused with the reasons
    (INCOMPATIBLE_SCHEMA, error code 409).
    """
    kind = schema_type_of(schema_file, schema_type)
    references = parse_references(reference)
    text = read_schema(schema_file)
    body = schema_body(text, kind, references)
    query = {"normalize": "true"} if normalize else {}

    async def run(client: RegistryClient) -> None:
        path = f"/subjects/{quote(subject)}"
        known = await _optional(
            client.request("POST", path, body, **query), errors.SUBJECT_NOT_FOUND, errors.SCHEMA_NOT_FOUND
        )
        answer = await client.request("POST", f"{path}/versions", body, **query)
        version = answer.get("version")
        if version is None:  # older Confluent registries answer only the id
            version = (await client.request("POST", path, body, **query))["version"]
        out = {"subject": subject, "version": version, "id": answer["id"], "schemaType": kind.value,
               "registered": known is None}  # fmt: skip
        if json_out:
            print_json(out)
        elif known is None:
            console.print(f"Registered {subject} version {version}: schema id {answer['id']}", markup=False)
        else:
            console.print(
                f"{subject} version {version} already has this schema: schema id {answer['id']} "
                "(nothing registered)",
                markup=False,
            )

    registry_command(ctx, url, "kafkatui schema register", run)


@app.command("list")
def list_subjects(
    ctx: typer.Context,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Include soft-deleted subjects and versions.")
    ] = False,
    prefix: Annotated[str, typer.Option("--prefix", help="Only subjects starting with this.")] = "",
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """List subjects with their versions, the latest schema id and type."""

    async def run(client: RegistryClient) -> None:
        flags = {"deleted": "true"} if deleted else {}
        subjects = await client.request("GET", "/subjects", subjectPrefix=prefix, **flags)
        rows = []
        for subject in subjects:
            path = f"/subjects/{quote(subject)}/versions"
            live = await _optional(client.request("GET", path), errors.SUBJECT_NOT_FOUND) or []
            every = await client.request("GET", path, **flags) if deleted else live
            latest = (
                await client.request("GET", f"{path}/latest")
                if live
                else await client.request("GET", f"{path}/{every[-1]}", deleted="true")
            )
            row = {"subject": subject, "versions": live, "latest": {"version": latest["version"],
                   "id": latest["id"]}, "schemaType": _type(latest)}  # fmt: skip
            if deleted:
                row["deleted"] = not live
                row["deleted_versions"] = [v for v in every if v not in live]
            rows.append(row)
        if json_out:
            print_json(rows)
            return
        if not rows:
            console.print(
                "No subjects yet. Register one: kafkatui schema register orders-value order.avsc",
                markup=False,
            )
            return
        for row in rows:
            shown = [f"versions {_versions(row['versions'])}"] if row["versions"] else []
            if row.get("deleted_versions"):
                shown.append(f"soft-deleted {_versions(row['deleted_versions'])}")
            console.print(
                f"{row['subject']}  {'  '.join(shown)}  latest id {row['latest']['id']}  {row['schemaType']}",
                markup=False,
            )

    registry_command(ctx, url, "kafkatui schema list", run)


@app.command()
def show(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Argument(help="The subject (not with --id).")] = None,
    version: Annotated[str, typer.Argument(help="A version number, or latest.")] = "latest",
    schema_id: Annotated[
        int | None, typer.Option("--id", help="Show the schema with this global id instead, and who uses it.")
    ] = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="A soft-deleted version too.")] = False,
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show a subject's version (latest by default), or a schema by its id: the schema's
    text, its id and type."""
    if (subject is None) == (schema_id is None):
        raise typer.BadParameter("name a subject, or a schema --id (not both)", param_hint="SUBJECT")
    flags = {"deleted": "true"} if deleted else {}

    async def run(client: RegistryClient) -> None:
        if schema_id is not None:
            answer = await client.request("GET", f"/schemas/ids/{schema_id}")
            uses = await client.request("GET", f"/schemas/ids/{schema_id}/versions", **flags)
            answer = {"id": schema_id, **answer, "versions": uses}
            used = ", ".join(f"{u['subject']} version {u['version']}" for u in uses) or "no live version"
            header = f"schema id {schema_id} · {_type(answer)} · used by {used}"
        else:
            assert subject is not None
            answer = await client.request("GET", f"/subjects/{quote(subject)}/versions/{version}", **flags)
            header = f"{answer['subject']} version {answer['version']} · schema id {answer['id']} · " + _type(
                answer
            )
        if json_out:
            print_json(answer)
            return
        console.print(header, markup=False)
        for ref in answer.get("references") or ():
            console.print(
                f"  refers to {ref['name']}: {ref['subject']} version {ref['version']}", markup=False
            )
        console.print(pretty_schema(answer["schema"], answer.get("schemaType")), markup=False)

    registry_command(ctx, url, "kafkatui schema show", run)


@app.command()
def diff(
    ctx: typer.Context,
    subject: SubjectArgument,
    old: Annotated[
        str | None, typer.Argument(help="The older version (default: the one before NEW).")
    ] = None,
    new: Annotated[str, typer.Argument(help="The newer version, or latest.")] = "latest",
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show what changed between two versions of a subject, as a unified diff of their
    schemas (in the registry's canonical form, indented)."""

    async def run(client: RegistryClient) -> None:
        path = f"/subjects/{quote(subject)}/versions"

        async def version(v: str) -> dict[str, Any]:
            flags = {} if v == "latest" else {"deleted": "true"}  # a named version may be soft-deleted
            return await client.request("GET", f"{path}/{v}", **flags)

        newer = await version(new)
        if old is None:
            earlier = [v for v in await client.request("GET", path) if v < newer["version"]]
            if not earlier:
                raise fail(
                    errors.error_name(errors.VERSION_NOT_FOUND),
                    f"{subject} has no version before {newer['version']} to compare it with "
                    "(name two versions: kafkatui schema diff SUBJECT OLD NEW)",
                )
            older = await version(str(earlier[-1]))
        else:
            older = await version(old)
        lines = schema_diff(
            (older["schema"], older.get("schemaType")),
            (newer["schema"], newer.get("schemaType")),
            f"{subject} version {older['version']} (id {older['id']})",
            f"{subject} version {newer['version']} (id {newer['id']})",
        )
        if json_out:
            print_json({"subject": subject, "old": {"version": older["version"], "id": older["id"]},
                        "new": {"version": newer["version"], "id": newer["id"]}, "diff": lines})  # fmt: skip
            return
        if not lines:
            console.print(
                f"{subject} versions {older['version']} and {newer['version']} have the same schema "
                f"(id {newer['id']})",
                markup=False,
            )
        styles = {"+": "green", "-": "red", "@": "cyan"}
        for line in lines:
            style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1], "")
            console.print(Text(line, style=style))

    registry_command(ctx, url, "kafkatui schema diff", run)


@app.command()
def check(
    ctx: typer.Context,
    subject: SubjectArgument,
    schema_file: SchemaFile,
    version: Annotated[
        str | None,
        typer.Option(
            "--version", help="Check against this version only (default: the ones the level checks)."
        ),
    ] = None,
    schema_type: TypeOption = None,
    reference: ReferenceOption = None,
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """Would this schema be accepted? Check it against the subject's versions under its
    compatibility level and say why not (exit code 1 when it is incompatible).

    Nothing is registered. BACKWARD and FORWARD check the latest version, their
    _TRANSITIVE kin every version, FULL both directions.
    """
    kind = schema_type_of(schema_file, schema_type)
    body = schema_body(read_schema(schema_file), kind, parse_references(reference))

    async def run(client: RegistryClient) -> None:
        config = await client.request("GET", f"/config/{quote(subject)}", defaultToGlobal="true")
        level = config.get("compatibilityLevel", "BACKWARD")
        target = f"/versions/{version}" if version is not None else "/versions"
        answer = await client.request(
            "POST", f"/compatibility/subjects/{quote(subject)}{target}", body, verbose="true"
        )
        compatible = bool(answer.get("is_compatible"))
        reasons, said_level = read_messages(answer.get("messages") or [])
        level = said_level or level
        live = await _optional(
            client.request("GET", f"/subjects/{quote(subject)}/versions"), errors.SUBJECT_NOT_FOUND
        )
        if version is not None:
            checked = [version]
        elif live is None or level == "NONE":
            checked = []
        else:
            checked = live if level.endswith("_TRANSITIVE") else live[-1:]
        if json_out:
            print_json({"subject": subject, "compatibility": level, "is_compatible": compatible,
                        "checked_versions": checked, "messages": answer.get("messages") or [],
                        "reasons": [{"errorType": r.error_type, "description": r.description,
                                     "version": r.version} for r in reasons]})  # fmt: skip
        elif compatible:
            against = (
                f"against version {_versions(checked)}"
                if len(checked) == 1
                else f"against versions {_versions(checked)}"
                if checked
                else "(nothing to check it against)"
            )
            console.print(f"Compatible with {subject} under {level} {against}: {meaning(level)}",
                          markup=False)  # fmt: skip
        else:
            console.print(f"Not compatible with {subject} under {level} ({meaning(level)}):",
                          markup=False)  # fmt: skip
            for reason in reasons or [Reason("", m) for m in answer.get("messages") or []]:
                console.print(f"  - {reason_text(reason)}", markup=False)
        if not compatible:
            problems = f"{len(reasons)} problem{'s' if len(reasons) > 1 else ''}" if reasons else "see above"
            raise fail(
                errors.error_name(errors.INCOMPATIBLE_SCHEMA),
                f"{subject} would refuse the schema under {level} "
                f"({problems}; error code {errors.INCOMPATIBLE_SCHEMA})",
            )

    registry_command(ctx, url, "kafkatui schema check", run)


@app.command()
def delete(
    ctx: typer.Context,
    subject: SubjectArgument,
    version: Annotated[
        str | None, typer.Argument(help="Only this version (a number, or latest); default: the subject.")
    ] = None,
    permanent: Annotated[
        bool,
        typer.Option(
            "--permanent", help="Remove for good what was soft-deleted before (Confluent's two steps)."
        ),
    ] = False,
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete a subject or one version: soft (hidden, its ids still decode old records;
    registering again continues the numbering), then --permanent (gone from _schemas).

    As in Confluent's registry a permanent delete needs the soft one first
    (SUBJECT_NOT_SOFT_DELETED 40405, SCHEMAVERSION_NOT_SOFT_DELETED 40407).
    """
    query = {"permanent": "true"} if permanent else {}

    async def run(client: RegistryClient) -> None:
        path = f"/subjects/{quote(subject)}" + (f"/versions/{version}" if version is not None else "")
        answer = await client.request("DELETE", path, **query)
        versions = answer if isinstance(answer, list) else [answer]
        if json_out:
            print_json({"subject": subject, "versions": versions, "permanent": permanent})
            return
        what = f"{subject} version" + ("s" if len(versions) > 1 else "") + f" {_versions(versions)}"
        if permanent:
            console.print(f"Permanently deleted {what}: removed from the _schemas topic", markup=False)
        else:
            console.print(
                f"Soft-deleted {what}: hidden from list and show (--deleted shows it), its schema ids "
                "still decode records; --permanent removes it for good",
                markup=False,
            )

    registry_command(ctx, url, "kafkatui schema delete", run)


@app.command()
def config(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Argument(help="The subject (default: the global config).")] = None,
    compatibility: Annotated[
        str | None,
        typer.Option(
            "--compatibility",
            metavar="LEVEL",
            help="Set the level: BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, "
            "FULL_TRANSITIVE or NONE.",
        ),
    ] = None,
    remove: Annotated[
        bool,
        typer.Option("--delete", help="Remove the subject's own level (it follows the global one again)."),
    ] = False,
    url: UrlOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show or set the compatibility level, of a subject or the global one (a subject
    without its own level follows the global one; the global default is BACKWARD)."""
    if compatibility is not None and remove:
        raise typer.BadParameter("--compatibility sets a level, --delete removes it: not both")
    path = "/config" + (f"/{quote(subject)}" if subject is not None else "")
    scope = subject if subject is not None else "global"

    async def run(client: RegistryClient) -> None:
        if compatibility is not None:
            answer = await client.request("PUT", path, {"compatibility": compatibility})
            level = answer.get("compatibility") or answer.get("compatibilityLevel")
            if json_out:
                print_json({"subject": subject, "compatibilityLevel": level})
            else:
                console.print(f"{scope}: compatibility set to {level}: {meaning(level)}", markup=False)
            return
        previous = None
        if remove:
            previous = (await client.request("DELETE", path)).get("compatibilityLevel")
        own = await _optional(client.request("GET", path), errors.SUBJECT_COMPATIBILITY_NOT_CONFIGURED)
        source = "subject" if own is not None and subject is not None else "global"
        if own is None:
            own = await client.request("GET", "/config")
        level = own.get("compatibilityLevel", "BACKWARD")
        if json_out:
            out: dict[str, Any] = {"subject": subject, "compatibilityLevel": level, "source": source}
            if remove:
                out["deleted"] = previous
            print_json(out)
            return
        if remove:
            console.print(f"{scope}: removed its own level (was {previous})", markup=False)
        where = "set on the subject" if source == "subject" else "the global level"
        if subject is not None and source == "global":
            where += "; the subject sets none"
        console.print(f"{scope}: compatibility {level} ({where}): {meaning(level)}", markup=False)

    registry_command(ctx, url, "kafkatui schema config", run)
