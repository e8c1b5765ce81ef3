"""The bench's own databases, derived from DATABASE_URL but never the database it names:
SQLite files under bench/results/, or PostgreSQL databases named <db>_bench_<dataset>.
Used by the parent processes, which do not set Django up."""

import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

RESULTS = Path(__file__).resolve().parent / "results"


def base_url() -> str:
    return os.environ.get("DATABASE_URL", "").strip() or "sqlite://"


def engine(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme.startswith("postgres") or scheme == "pgsql":
        return "postgresql"
    if scheme.startswith("sqlite"):
        return "sqlite"
    raise SystemExit(f"The bench runs on SQLite or PostgreSQL, not {scheme!r}.")


def dataset_url(name: str, base: str | None = None) -> str:
    base = base or base_url()
    if engine(base) == "sqlite":
        return f"sqlite:///{RESULTS / f'bench-{name}.sqlite3'}"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.strip('/')}_bench_{name}"))


def _sqlite_path(url: str) -> Path:
    import dj_database_url

    return Path(dj_database_url.parse(url)["NAME"])


def _admin_connection(url: str):
    """A connection to the PostgreSQL server's `postgres` database, to create and drop ours."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _pg_name(url: str) -> str:
    return urlsplit(url).path.strip("/")


def exists(url: str) -> bool:
    if engine(url) == "sqlite":
        return _sqlite_path(url).exists()
    with _admin_connection(url) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_pg_name(url)])
        return row.fetchone() is not None


def drop(url: str) -> None:
    if engine(url) == "sqlite":
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from psycopg import sql

    with _admin_connection(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_pg_name(url)))
        )


def create_empty(url: str) -> None:
    drop(url)
    if engine(url) == "sqlite":
        RESULTS.mkdir(exist_ok=True)
        return
    from psycopg import sql

    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_pg_name(url))))


def copy(source: str, target: str) -> None:
    """A full copy of `source` (nobody may be connected to it)."""
    drop(target)
    if engine(source) == "sqlite":
        src = sqlite3.connect(_sqlite_path(source))
        dst = sqlite3.connect(_sqlite_path(target))
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return
    from psycopg import sql

    with _admin_connection(source) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(_pg_name(target)), sql.Identifier(_pg_name(source))
            )
        )
