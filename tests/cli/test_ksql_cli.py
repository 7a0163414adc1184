"""`kafkatui ksql`: -e and -f scripts, --json, the REPL on stdin (statements over several
lines), refusals as one line, and the CLI talking to the ksqlDB that `kafkatui serve`
runs (--ksql-port)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from kafkatui.cli.main import app
from kafkatui.ecosystem.ksql.parser import parse
from kafkatui.ecosystem.ksql.service import KsqlService
from tests.cli.conftest import CliFn, kafkatui_command, subprocess_env
from tests.ecosystem.streams.conftest import close_served, open_served, until

SALES = (
    "CREATE STREAM sales (id STRING KEY, client_id STRING, price DOUBLE) "
    "WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=1);"
)
SOLD = (
    "INSERT INTO sales (id, client_id, price) VALUES ('s1', 'c1', 10.0);"
    "INSERT INTO sales (id, client_id, price) VALUES ('s2', 'c2', 4.0);"
)
EARLIEST = "SET 'auto.offset.reset'='earliest';"


def test_execute_prints_tables_and_streams_a_push_query_to_its_limit(cli: CliFn) -> None:
    out = cli("ksql", "-e", SALES + SOLD + "SHOW STREAMS;" + EARLIEST
              + "SELECT id, price * 2 AS doubled FROM sales EMIT CHANGES LIMIT 2;").ok().stdout  # fmt: skip
    assert "Stream created" in out
    assert "SALES" in out and "sales" in out and "JSON" in out
    assert "Successfully changed local property 'auto.offset.reset' to 'earliest'." in out
    rows = [line for line in out.splitlines() if line.startswith("| s")]
    assert rows == [f"| s1{' ' * 11}| 20.0{' ' * 9}|", f"| s2{' ' * 11}| 8.0{' ' * 10}|"]
    assert "2 row(s)" in out


def test_a_file_and_json_output(cli: CliFn, tmp_path: Path) -> None:
    script = tmp_path / "setup.sql"
    script.write_text(SALES + "\n-- the seed's sales\n" + SOLD + "\nSHOW STREAMS;\n")
    cli("ksql", "-f", str(script)).ok()
    out = cli(
        "ksql", "--json", "-e", EARLIEST + "SELECT * FROM sales EMIT CHANGES LIMIT 1; LIST STREAMS;"
    ).ok()
    documents = [json.loads(line) for line in out.stdout.splitlines() if line.startswith(("{", "["))]
    assert documents[1]["columnNames"] == ["ID", "CLIENT_ID", "PRICE"]
    assert documents[2] == ["s1", "c1", 10.0]  # the stream kept its rows: they are in the topic


def test_the_streams_and_queries_persist_between_commands(cli: CliFn) -> None:
    counts = "CREATE TABLE counts AS SELECT client_id, COUNT(*) AS n FROM sales GROUP BY client_id;"
    cli("ksql", "-e", SALES + counts).ok()
    out = cli("ksql", "--json", "-e", "SHOW QUERIES;").ok()
    entity = json.loads(out.stdout)
    assert [q["id"] for q in entity["queries"]] == ["CTAS_COUNTS_1"]


def test_a_refusal_is_one_line(cli: CliFn) -> None:
    cli("ksql", "-e", SALES).ok()
    cli("ksql", "-e", "SELECT pricee FROM sales EMIT CHANGES;").assert_error(
        "BAD_STATEMENT", "line 1:8: Column 'PRICEE' cannot be resolved."
    )
    cli("ksql", "-e", "CREATE STREAM sales (id STRING KEY) WITH (KAFKA_TOPIC='sales');").assert_error(
        "BAD_STATEMENT", "Cannot add stream 'SALES': A stream with the same name already exists"
    )
    cli("ksql", "--ksql-url", "http://127.0.0.1:9", "-e", "SHOW STREAMS;").assert_error(
        "KSQL_UNAVAILABLE", "cannot reach ksqlDB at http://127.0.0.1:9"
    )


def test_the_repl_reads_statements_over_several_lines(cli: CliFn) -> None:
    typed = (
        "CREATE STREAM sales (id STRING KEY,\n  client_id STRING, price DOUBLE)\n"
        "  WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=1);\n"
        "SELEC nothing;\n"
        "SHOW\nSTREAMS;\nexit\n"
    )
    run = cli("ksql", input=typed)
    assert run.exit_code == 0, run
    assert "Stream created" in run.stdout and "SALES" in run.stdout
    assert "error: BAD_STATEMENT: line 1:1: mismatched input 'SELEC'" in run.stderr  # and the REPL goes on


def test_serve_runs_ksqldb_and_the_cli_uses_it(data_dir: Path, kafkatui: CliFn) -> None:
    """`kafkatui serve`'s ksqlDB, found in its lock file; a push query there ended by
    Ctrl-C (the part after the first queries)."""
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "serve", "--brokers", "1", "--port-base", "0",
         "--no-schema-registry", "--no-rest-proxy", "--no-connect", "--ksql-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = None
        for line in proc.stdout:
            if line.startswith("ksqlDB: "):
                url = line.removeprefix("ksqlDB: ").strip()
                break
        assert url is not None and url.startswith("http://127.0.0.1:")
        env = subprocess_env(data_dir)
        # No --ksql-url: the server's lock file says where its ksqlDB is (not 8088 here),
        # so the CLI neither probes 8088 nor attaches to run a server of its own.
        found = subprocess.run(
            [*kafkatui_command(), "ksql", "-e", SALES],
            capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert found.returncode == 0, found.stderr
        assert "Stream created" in found.stdout and "attached to" not in found.stderr
        ran = subprocess.run(
            [*kafkatui_command(), "ksql", "--ksql-url", url, "-e", "SHOW STREAMS;"],
            capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert "SALES" in ran.stdout  # the serving engine itself has it: no replay in between
        _ctrl_c_on_the_owners_ksqldb(data_dir, kafkatui)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0


COUNTING = "SELECT client_id, COUNT(*) AS n FROM sales GROUP BY client_id EMIT CHANGES;"


def _until_header(proc: subprocess.Popen[str], seen: list[str], timeout_s: float = 60) -> None:
    """Read the process's stdout (a thread: a pipe has no timeout) until the push query's
    header is printed, or fail after `timeout_s`."""
    import threading

    header = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if "CLIENT_ID" in line:
                header.set()

    threading.Thread(target=read, daemon=True).start()
    assert header.wait(timeout_s), f"no header within {timeout_s}s: {seen}"


def _transient(kafkatui: CliFn) -> list[str]:
    """The transient topics and groups of push queries, through the CLI."""
    topics = [t["name"] for t in kafkatui("topic", "list", "--internal", "--json").ok().json()]
    groups = [
        g["group_id"] if isinstance(g, dict) else g for g in kafkatui("group", "list", "--json").ok().json()
    ]
    return [n for n in topics + groups if "transient" in n]


def _transient_in(data_dir: Path) -> list[str]:
    """The same, read from the data dir in this process (no owner holds it)."""
    import asyncio

    from kafkatui.backends.embedded import EmbeddedBackend

    async def names() -> list[str]:
        backend = await EmbeddedBackend.open(data_dir)
        try:
            groups = [g for g, _ in await backend.groups()]
            return [n for n in [*backend.topic_names(include_internal=True), *groups] if "transient" in n]
        finally:
            await backend.close()

    return asyncio.run(names())


def test_sigterm_ends_a_push_query_deletes_its_topics_and_exits(data_dir: Path) -> None:
    """The command's own ksqlDB server: a push query with a repartition topic and a
    changelog, killed by SIGTERM, is closed before the process exits (143): no
    transient topic or group is left, and nothing after the query runs."""
    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "ksql", "-e",
         SALES + SOLD + EARLIEST + COUNTING + "SHOW STREAMS;"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    seen: list[str] = []
    try:
        _until_header(proc, seen)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.stderr is not None
    assert "Query terminated" in proc.stderr.read()
    assert not any("Stream Name" in line for line in seen)  # SHOW STREAMS did not run
    assert _transient_in(data_dir) == []


def _ctrl_c_on_the_owners_ksqldb(data_dir: Path, kafkatui: CliFn) -> None:
    """A SIGINT ends the CLI's push query on the owner's ksqlDB and the script goes on;
    the server, seeing its client gone, deletes the query's transient topics and group."""
    import time

    proc = subprocess.Popen(
        [*kafkatui_command(), "--data-dir", str(data_dir), "ksql", "-e",
         SOLD + EARLIEST + COUNTING + "SHOW STREAMS;"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=subprocess_env(data_dir),
    )  # fmt: skip
    seen: list[str] = []
    try:
        _until_header(proc, seen)
        assert _transient(kafkatui), "the push query's topics exist while it runs"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert any("Stream Name" in line for line in seen)  # the script went on
    deadline = time.monotonic() + 30
    while left := _transient(kafkatui):
        assert time.monotonic() < deadline, f"left behind: {left}"


def test_a_pull_query_on_a_table_made_by_a_join(cli: CliFn) -> None:
    """A table–table join's table answers a pull query (the push query first waits for
    the joined rows to be written: the table's store holds them before its topic does)."""
    tables = (
        "CREATE TABLE clients (id STRING PRIMARY KEY, name STRING) "
        "WITH (KAFKA_TOPIC='clients', VALUE_FORMAT='JSON', PARTITIONS=1);"
        "CREATE TABLE balances (id STRING PRIMARY KEY, amount DOUBLE) "
        "WITH (KAFKA_TOPIC='balances', VALUE_FORMAT='JSON', PARTITIONS=1);"
        "CREATE TABLE client_balances AS SELECT c.id AS id, c.name AS name, b.amount AS amount "
        "FROM clients c JOIN balances b ON c.id = b.id;"
        "INSERT INTO clients (id, name) VALUES ('c1', 'Ana');"
        "INSERT INTO balances (id, amount) VALUES ('c1', 10.0);"
        "INSERT INTO clients (id, name) VALUES ('c2', 'Bia');"
        "INSERT INTO balances (id, amount) VALUES ('c2', 4.0);"
    )
    pulled = "SELECT * FROM client_balances WHERE id = 'c2';"
    out = cli(
        "ksql", "-e", tables + EARLIEST + "SELECT * FROM client_balances EMIT CHANGES LIMIT 2;" + pulled
    )
    rows = [line for line in out.ok().stdout.splitlines() if line.startswith("| c")]
    cells = [[cell.strip() for cell in row.split("|")[1:-1]] for row in rows]
    assert cells == [["c1", "Ana", "10.0"], ["c2", "Bia", "4.0"], ["c2", "Bia", "4.0"]], out.stdout


async def test_a_push_query_whose_source_is_dropped_ends_with_the_error_line() -> None:
    """`kafkatui ksql -e "SELECT … EMIT CHANGES;"` streaming when the stream is dropped
    with its topic: the query ends with ksqlDB's server error as the CLI's one line and a
    non-zero exit, no traceback."""
    served = await open_served("embedded")
    service = KsqlService(served.backend)
    try:
        url = await service.start(0)
        for statement in parse(SALES):
            await service.engine.execute(statement)
        select = ["ksql", "--ksql-url", url, "-e", "SELECT id, price FROM sales EMIT CHANGES;"]
        reading = asyncio.create_task(asyncio.to_thread(CliRunner().invoke, app, select))
        await until(lambda: service.engine.push_queries, "the push query running")
        for statement in parse("DROP STREAM sales DELETE TOPIC;"):
            await service.engine.execute(statement)
        result = await asyncio.wait_for(reading, 30)
        assert result.exit_code == 1 and "Traceback" not in result.output
        [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert line.startswith("error: SERVER_ERROR: Query _confluent-ksql-default_transient_")
        assert "MissingSourceTopicException" in line and "topic sales" in line
    finally:
        await service.close()
        await close_served(served)
