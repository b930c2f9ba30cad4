"""The auditor's SQL console: one read-only SELECT in a sandboxed connection, with a time limit and a row cap.

A read-only DuckDB connection is not a sandbox (it can still read files, ATTACH, INSTALL, SET and scan
Python objects), so every query runs in its own in-memory connection that attaches the database read-only,
turns off file access, extension loading and Python replacement scans, and then locks its configuration.
Before it runs, the text is parsed by DuckDB's own parser: exactly one SELECT, no table function outside a
short allow-list, no table named like a file.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from funds import db, settings
from funds.errors import FundsError

ALLOWED_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "duckdb_tables", "duckdb_columns", "duckdb_views",
    "pragma_table_info", "pragma_show",
})
DENIED_FUNCTIONS = frozenset({"getenv", "query", "query_table", "read_text", "read_blob", "load_extension",
                              "current_setting", "duckdb_secrets", "duckdb_settings", "duckdb_extensions"})
_DENIED_PREFIXES = ("read_", "parquet_", "sniff_", "glob", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_",
                    "json_execute", "http")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PRIVATE_TABLES = frozenset({"users"})  # password hashes and lockouts are nobody's to query
_SANDBOX = (
    "SET enable_external_access = false",
    "SET python_enable_replacements = false",
    "SET autoload_known_extensions = false",
    "SET autoinstall_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET threads = 1",
    "SET memory_limit = '1GB'",
    "SET lock_configuration = true",  # last: nothing above can be undone by the query
)


class SqlRefused(FundsError):
    """A query the console will not run (and why)."""


@dataclass
class Result:
    """A query's columns and rows (at most the row cap), and whether rows were cut off."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    seconds: float
    limit: int
    types: list[str] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, r, strict=False)) for r in self.rows]


def _refuse(zh: str, en: str, ko: str) -> SqlRefused:
    return SqlRefused(zh, en, ko)


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _function_denied(name: str) -> bool:
    name = name.lower()
    return name in DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES) or name.endswith("_scan")


def check(sql: str) -> str:
    """The single SELECT statement in `sql`, or SqlRefused saying why it may not run."""
    text = (sql or "").strip()
    if not text:
        raise _refuse("请输入一条 SELECT 查询。", "Enter one SELECT query.", "SELECT 쿼리 하나를 입력하십시오.")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise _refuse(f"SQL 语法错误：{exc}", f"SQL syntax error: {exc}", f"SQL 구문 오류: {exc}") from None
    if len(statements) != 1:
        raise _refuse(f"只能运行一条语句（收到 {len(statements)} 条）。",
                      f"Only one statement may run (got {len(statements)}).",
                      f"문장은 하나만 실행할 수 있습니다({len(statements)}개 받음).")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = str(kind).rsplit(".", 1)[-1]
        raise _refuse(f"只允许只读的 SELECT / WITH 查询，不允许 {name}（例如 COPY、ATTACH、INSTALL、LOAD、SET、PRAGMA）。",
                      f"Only read-only SELECT / WITH queries are allowed, not {name} "
                      "(COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA ... are refused).",
                      f"읽기 전용 SELECT / WITH 쿼리만 허용됩니다. {name}은(는) 허용되지 않습니다.")
    with duckdb.connect(":memory:") as scratch:
        tree = json.loads(scratch.execute("select json_serialize_sql($q)", {"q": text}).fetchall()[0][0])
    if tree.get("error"):
        raise _refuse(f"无法检查该查询：{tree.get('error_message')}",
                      f"The query cannot be checked: {tree.get('error_message')}",
                      f"쿼리를 검사할 수 없습니다: {tree.get('error_message')}")
    for node in _walk(tree):
        if node.get("type") == "TABLE_FUNCTION":
            fn = str((node.get("function") or {}).get("function_name", "")).lower()
            if fn not in ALLOWED_TABLE_FUNCTIONS:
                raise _refuse(f"不允许表函数 {fn}()（不能读取文件或系统信息）。",
                              f"The table function {fn}() is not allowed (no reading files or system state).",
                              f"테이블 함수 {fn}()은(는) 허용되지 않습니다.")
        elif node.get("class") == "FUNCTION" and _function_denied(str(node.get("function_name", ""))):
            fn = node.get("function_name")
            raise _refuse(f"不允许函数 {fn}()。", f"The function {fn}() is not allowed.",
                          f"함수 {fn}()은(는) 허용되지 않습니다.")
        elif node.get("type") == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            if name.lower() in PRIVATE_TABLES:
                raise _refuse(f"表“{name}”不对审计查询开放（账户和密码散列）。",
                              f"The table \"{name}\" is not open to audit queries (accounts and password hashes).",
                              f"\"{name}\" 테이블은 감사 쿼리에 열려 있지 않습니다.")
            if not _IDENT.fullmatch(name):
                raise _refuse(f"“{name}”不是数据库中的表（不能读取文件）。",
                              f"\"{name}\" is not a table of the database (files cannot be read).",
                              f"\"{name}\"은(는) 데이터베이스의 테이블이 아닙니다.")
    return text


def sandbox(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection with the database attached read-only and its configuration locked."""
    if not db_path.exists():
        db.connect(db_path, read_only=True)  # raises the usual "run funds init" message
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH $path AS funds (READ_ONLY)", {"path": str(db_path)})
        con.execute("USE funds")
        for statement in _SANDBOX:
            con.execute(statement)
    except duckdb.IOException as exc:
        con.close()
        if "lock" in str(exc).lower():
            raise db._locked(exc, db_path) from None
        raise
    return con


def _pinned(db_path: Path) -> contextlib.AbstractContextManager[Path | None]:
    """The published reader snapshot, when the database has them (it never waits for an ingest)."""
    try:
        from funds import snapshots
    except ImportError:
        return contextlib.nullcontext(None)
    return snapshots.pinned(db_path)


def run(db_path: Path, sql: str, params: dict[str, Any] | None = None, timeout: float | None = None,
        max_rows: int | None = None) -> Result:
    """Check and run one query in the sandbox; values in `params` are bound to $name placeholders."""
    text = check(sql)
    timeout = float(settings.get("sql_timeout")) if timeout is None else timeout
    max_rows = settings.get_int("sql_max_rows") if max_rows is None else max_rows
    if not db_path.exists():
        db.connect(db_path, read_only=True)  # raises the usual "run funds init" message
    with _pinned(db_path) as snap:
        return _execute(snap or db_path, text, params, timeout, max_rows)


def _execute(path: Path, text: str, params: dict[str, Any] | None, timeout: float, max_rows: int) -> Result:
    con = sandbox(path)
    timer = threading.Timer(timeout, con.interrupt)
    started = time.monotonic()
    timer.start()
    try:
        cur = con.execute(text, params or {})
        columns = [d[0] for d in cur.description]
        types = [str(d[1]) for d in cur.description]
        rows = cur.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise _refuse(f"查询超过 {timeout:g} 秒，已停止。请缩小范围或加上条件。",
                      f"The query ran longer than {timeout:g} s and was stopped. Narrow it down.",
                      f"쿼리가 {timeout:g}초를 넘어 중지되었습니다.") from None
    except duckdb.Error as exc:
        message = str(exc).split("\n")[0]
        raise _refuse(f"查询出错：{message}", f"Query error: {message}", f"쿼리 오류: {message}") from None
    finally:
        timer.cancel()
        con.close()
    return Result(columns, rows[:max_rows], len(rows) > max_rows, time.monotonic() - started, max_rows, types)


def parameters(sql: str) -> list[str]:
    """The $name placeholders of a query, in order of first use."""
    seen: list[str] = []
    for name in re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql):
        if name not in seen:
            seen.append(name)
    return seen


def saved(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The saved queries, with their parameter names."""
    out = db.fetch_dicts(con, "list_saved_queries")
    for q in out:
        q["params"] = parameters(q["sql"])
    return out


def save(con: duckdb.DuckDBPyConnection, name: str, sql: str, description: str, user: str) -> None:
    """Keep a query (checked first) under a name; needs a writable connection."""
    check(sql)
    if not _IDENT.fullmatch(name):
        raise _refuse("名称只能包含字母、数字和下划线。", "A name may hold only letters, digits and _.",
                      "이름에는 영문자, 숫자, _만 쓸 수 있습니다.")
    import datetime as dt

    con.execute(db.query_text("upsert_saved_query"),
                {"name": name, "sql": sql, "description": description, "user": user, "at": dt.datetime.now()})
