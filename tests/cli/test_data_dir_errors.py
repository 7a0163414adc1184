"""A data dir kafkatui cannot use is one plain line naming the path (Kafka's
KAFKA_STORAGE_ERROR), never `INTERNAL_ERROR … (a kafkatui bug …)`, and never a hang."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import CliFn, Run, _clean, kafkatui_command, subprocess_env

STORAGE = "KAFKA_STORAGE_ERROR"


def no_bug(run: Run) -> None:
    assert "kafkatui bug" not in run.stderr and "INTERNAL_ERROR" not in run.stderr, str(run)


def test_a_regular_file(cli: CliFn, tmp_path: Path) -> None:
    file = tmp_path / "notes"
    file.write_text("mine\n")
    run = cli("topic", "list", data_dir=file)
    run.assert_error(STORAGE, str(file), "is a file, not a directory")
    assert file.read_text() == "mine\n"


def test_below_a_regular_file(cli: CliFn, tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine\n")
    run = cli("topic", "list", data_dir=tmp_path / "notes" / "cluster")
    run.assert_error(STORAGE, str(tmp_path / "notes" / "cluster"), "Not a directory")


def test_someone_else_s_directory(cli: CliFn, tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("mine\n")
    (tmp_path / "photos").mkdir()
    run = cli("topic", "create", "t", data_dir=tmp_path)
    run.assert_error(STORAGE, str(tmp_path), "not a kafkatui data dir", "photos, report.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "report.txt"]  # nothing added


def test_an_empty_directory_is_fine(cli: CliFn, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    cli("topic", "create", "t", data_dir=tmp_path / "empty").ok()


def test_a_damaged_metadata_log_is_rebuilt_from_a_brokers_copy(cli: CliFn, data_dir: Path) -> None:
    """Each broker keeps a copy of the metadata log (KRaft's `__cluster_metadata`): the
    controller's, damaged, is rebuilt from one, and the command says so on stderr."""
    cli("topic", "create", "t").ok()
    (data_dir / "cluster-metadata.db").write_bytes(b"this is not SQLite at all, just text\n" * 100)
    run = cli("topic", "list").ok()
    assert "t" in run.stdout.split()
    assert f"warning: {data_dir / 'cluster-metadata.db'} is damaged" in run.stderr
    assert "rebuilt from broker 1's copy" in run.stderr and "cluster-metadata.db.damaged-1" in run.stderr


def _without_copies(data_dir: Path) -> None:
    for copy in data_dir.glob("cluster-metadata.broker-*.db*"):
        copy.unlink()


def test_a_file_that_is_not_a_database(cli: CliFn, data_dir: Path) -> None:
    """The metadata log with no broker's copy: nothing can start without it. (A broker's
    database that is not SQLite only takes that broker's log dir offline:
    tests/cli/test_broker_check_cli.py.)"""
    cli("topic", "create", "t").ok()
    _without_copies(data_dir)
    (data_dir / "cluster-metadata.db").write_bytes(b"this is not SQLite at all, just text\n" * 100)
    run = cli("topic", "list")
    run.assert_error(STORAGE, str(data_dir / "cluster-metadata.db"), "not a SQLite database")


def test_a_damaged_database(cli: CliFn, data_dir: Path) -> None:
    """A SQLite file whose pages are garbage (its header intact), and so are the brokers'
    copies: SQLite's own word."""
    cli("topic", "create", "t").ok()
    for path in [data_dir / "cluster-metadata.db", *data_dir.glob("cluster-metadata.broker-*.db")]:
        data = path.read_bytes()
        path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    run = cli("topic", "list")
    message = run.assert_error(STORAGE, str(data_dir))
    assert "malformed" in message or "not a database" in message, str(run)
    assert "no broker's copy" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory(cli: CliFn, tmp_path: Path) -> None:
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o500)
    try:
        cli("topic", "list", data_dir=read_only).assert_error(STORAGE, str(read_only), "Permission denied")
    finally:
        read_only.chmod(0o700)


def _full_disk() -> None:  # runs in the child: files stop growing past 300 kB
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE as a full disk")
def test_a_full_disk_is_one_line_and_the_process_ends(kafkatui: CliFn, data_dir: Path) -> None:
    """Writes past the limit fail as on a full disk. The error was INTERNAL_ERROR, then
    the process hung: a broker whose checkpoint failed left its database open."""
    kafkatui("topic", "create", "t").ok()
    proc = subprocess.run(
        [*kafkatui_command(), "--data-dir", str(data_dir), "produce", "t", "--count", "3000",
         "--record-size", "1000"],
        capture_output=True, text=True, env=subprocess_env(data_dir), timeout=60,
        stdin=subprocess.DEVNULL, preexec_fn=_full_disk,
    )  # fmt: skip
    run = Run(["produce"], proc.returncode, _clean(proc.stdout), _clean(proc.stderr))
    no_bug(run)
    assert run.exit_code == 1, str(run)
    # The broker whose database filled goes offline (KIP-112), said as it happens and
    # naming the file; the records it could not take fail with KAFKA_STORAGE_ERROR.
    assert STORAGE in run.stdout + run.stderr, str(run)
    assert "warning: broker" in run.stderr and str(data_dir) in run.stderr, str(run)
    # What was written before the disk filled is still there.
    assert kafkatui("topic", "list", "--json").ok().json()[0]["record_count"] > 0


def test_a_port_in_use(kafkatui: CliFn) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = kafkatui("serve", "--memory", "--port-base", str(port))
    run.assert_error("LISTENER_BIND_FAILED", f"127.0.0.1:{port}", "address already in use")
