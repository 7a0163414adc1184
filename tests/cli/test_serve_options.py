"""`kafkatui serve`'s security settings refused before anything listens, each as one
error line naming what is wrong (the authorizer's through `serve/authorizer.py`, the
SASL users through the backend)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import CliFn, cli, data_dir

__all__ = ["cli", "data_dir"]

QUIET = ("--port-base", "0", "--no-schema-registry", "--no-rest-proxy", "--no-connect", "--no-ksql")


def test_super_users_must_be_principals(cli: CliFn) -> None:
    cli("serve", *QUIET, "--authorizer", "--super-users", "User:admin;bob").assert_error(
        "INVALID_CONFIG", "super.users: 'bob' is not a principal (want Type:name, e.g. User:admin)"
    )


def test_authorizer_settings_need_the_authorizer(cli: CliFn) -> None:
    for args in (("--super-users", "User:admin"), ("--allow-everyone-if-no-acl-found",)):
        cli("serve", *QUIET, *args).assert_error(
            "INVALID_CONFIG", "--super-users and --allow-everyone-if-no-acl-found need --authorizer"
        )


def test_sasl_without_users_names_the_command_that_adds_one(cli: CliFn, data_dir: Path) -> None:
    cli("serve", *QUIET, "--security", "sasl_plaintext").assert_error(
        "INVALID_CONFIG", f"SASL_PLAINTEXT needs SASL users ({data_dir} has none)", "kafkatui user add NAME"
    )
    # The cluster it opened to look is closed again: the data dir is free.
    cli("topic", "list").ok()
