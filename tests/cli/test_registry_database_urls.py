"""Which database a command uses, and how its URL is shown: an empty ``--db`` or ``CUSTOMS_DB``
is a usage error naming where it came from (never the default registry); a password in the
URL's query (``?password=``) is masked like one in its user information; a command that stores
refuses an in-memory database (what it stored would be gone when it ends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from customs_engine.cli import main
from customs_engine.core.registry.urls import shown_url
from tests.conftest import MESSAGES, REGISTRY_CSV

BOE = MESSAGES / "02-be-laptops-ims.xml"


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


COMMANDS = [
    ("registry", "import", str(REGISTRY_CSV)),
    ("registry", "where"),
    ("registry", "list"),
    ("validate", "--commit", "--no-progress", str(BOE)),
    ("tokens", "create", "--scope", "validate"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_empty_db_option_is_a_usage_error(
    args: tuple[str, ...], _private_user_data_dir: Path
) -> None:
    result = run(*args, "--db", "", env={"CUSTOMS_DB": None})
    assert result.exit_code == 2, result.output
    assert "--db is empty: give a database URL, or leave --db out" in result.stderr
    assert "imported" not in result.output and "sqlite:///" not in result.output
    assert not list(_private_user_data_dir.rglob("customs.db"))  # the default is not touched


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_empty_customs_db_is_a_usage_error(
    args: tuple[str, ...], _private_user_data_dir: Path
) -> None:
    result = run(*args, env={"CUSTOMS_DB": ""})
    assert result.exit_code == 2, result.output
    assert "the environment variable CUSTOMS_DB is set but empty" in result.stderr
    assert not list(_private_user_data_dir.rglob("customs.db"))


def test_a_blank_db_option_is_empty_too() -> None:
    result = run("registry", "where", "--db", "  ", env={"CUSTOMS_DB": None})
    assert result.exit_code == 2 and "--db is empty" in result.stderr


def test_a_blank_customs_db_is_named_as_such_not_as_the_option() -> None:
    """click hands a blank (not empty) environment value in as the option's own."""
    result = run("registry", "where", env={"CUSTOMS_DB": "  "})
    assert result.exit_code == 2
    assert "the environment variable CUSTOMS_DB is set but empty" in result.stderr
    assert "--db is empty" not in result.stderr


def test_db_option_wins_over_an_empty_customs_db(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    result = run("registry", "where", "--db", url, env={"CUSTOMS_DB": ""})
    assert result.exit_code == 0 and result.stdout.strip() == url


def test_without_either_the_default_is_used(_private_user_data_dir: Path) -> None:
    result = run("registry", "where", env={"CUSTOMS_DB": None})
    assert result.exit_code == 0
    assert result.stdout.strip().endswith("customs-engine/customs.db")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:5999/x?password=s3cret",
            "postgresql+psycopg://postgres@127.0.0.1:5999/x?password=***",
        ),
        (
            "postgresql://u:s3cret@h/db?sslmode=require&SSLPASSWORD=s3cret&application_name=a",
            "postgresql://u:***@h/db?sslmode=require&SSLPASSWORD=***&application_name=a",
        ),
        (
            "mysql+pymysql://u@h/db?passwd=s3cret&pwd=s3cret",
            "mysql+pymysql://u@h/db?passwd=***&pwd=***",
        ),
        ("postgresql://u:s3/c@ret@h/db", "postgresql://u:***@h/db"),  # "@" and "/" in it
        (
            "postgresql://u@h/db?options=-csearch_path%3Dx",
            "postgresql://u@h/db?options=-csearch_path%3Dx",
        ),
        ("sqlite:///file:/x.db?mode=ro&uri=true", "sqlite:///file:/x.db?mode=ro&uri=true"),
    ],
)
def test_every_password_in_a_url_is_masked(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_a_query_password_is_masked_by_where_and_in_messages() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/x?password=s3cret"
    where = run("registry", "where", "--db", url)
    assert where.stdout.strip() == "postgresql+psycopg://postgres@127.0.0.1:1/x?password=***"
    failed = run("registry", "list", "--db", url)
    assert failed.exit_code == 2
    assert "cannot open registry postgresql+psycopg://postgres@127.0.0.1:1/x?password=***: " in (
        failed.stderr
    )
    assert "s3cret" not in where.output + failed.output


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://"])
@pytest.mark.parametrize(
    "args",
    [
        ("registry", "import", str(REGISTRY_CSV)),
        ("validate", "--commit", "--no-progress", str(BOE)),
        ("tokens", "create", "--scope", "validate"),
    ],
    ids=" ".join,
)
def test_a_command_that_stores_refuses_an_in_memory_database(
    url: str, args: tuple[str, ...]
) -> None:
    result = run(*args, "--db", url)
    assert result.exit_code == 2, result.output
    assert f"customs: {url} is an in-memory database: what this command stores would be gone" in (
        result.stderr
    )
    assert "imported" not in result.output and "Traceback" not in result.output


def test_a_run_without_commit_still_reads_an_in_memory_database() -> None:
    result = run("validate", "--no-progress", "--db", "sqlite://", str(BOE))
    assert result.exit_code in (0, 1), result.output
    assert "checking against an empty registry" in result.stderr
