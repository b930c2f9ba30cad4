"""`funds users add|list|disable|enable|passwd`: local staff accounts (passwords never echoed)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any

from funds import accounts, audit_log, settings
from funds.errors import UsageError
from funds_cli import main as cli


def _parsers(sub: Any, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sp = add("users", "staff accounts: add, list, disable, enable, passwd")
    users = sp.add_subparsers(dest="users_command", required=True)
    for name, help_ in (("add", "create an account"), ("passwd", "set a new password (lifts a lockout)")):
        p = users.add_parser(name, help=help_)
        p.add_argument("name")
        if name == "add":
            p.add_argument("--role", required=True, choices=accounts.ROLES)
        p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p = users.add_parser("list", help="list accounts")
    p.add_argument("--json", action="store_true")
    for name, help_ in (("disable", "stop an account from logging in"), ("enable", "allow a disabled account again")):
        users.add_parser(name, help=help_).add_argument("name")
    # the sub-sub-parsers need --db too, wherever the user writes it
    for p in users.choices.values():
        p.add_argument("--db", default=argparse.SUPPRESS, help="database file (default FUNDS_DB)")


cli.EXTRA_PARSERS.append(_parsers)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("请在终端中输入密码，或使用 --password-stdin。",
                         "Type the password at a terminal, or use --password-stdin.",
                         "터미널에서 비밀번호를 입력하거나 --password-stdin을 사용하십시오.")
    first = getpass.getpass("密码 / password: ")
    if getpass.getpass("再输一次 / again: ") != first:
        raise UsageError("两次输入的密码不一致。", "The passwords do not match.", "비밀번호가 일치하지 않습니다.")
    return first


@cli.command("users")
def users(args: argparse.Namespace) -> int:
    """Manage staff accounts; every change goes to the audit log as the OS user who ran it."""
    from funds.staff_db import staff_connection

    path = settings.db_path(getattr(args, "db", None))
    actor = "cli:" + cli.current_user(argparse.Namespace())
    action = args.users_command
    password = _password(args) if action in ("add", "passwd") else None
    if not path.exists():
        from funds import db

        db.initialise(path)
    with staff_connection(path) as con:
        if action == "list":
            rows = accounts.list_users(con)
            if args.json:
                cli.emit(rows)
            else:
                for r in rows:
                    state = "disabled" if r["disabled"] else ("locked" if r["locked_until"] else "active")
                    print(f"{r['name']:<20} {r['role']:<8} {state:<8} last login: {r['last_login'] or '-'}")
            return 0
        if action == "add":
            accounts.add_user(con, args.name, args.role, password or "")
            audit_log.record(con, actor, "user-add", {"name": args.name, "role": args.role})
            print(f"✔ {args.name} ({args.role})")
        elif action == "passwd":
            accounts.reset_password(con, args.name, password or "")
            audit_log.record(con, actor, "user-password-reset", {"name": args.name})
            print(f"✔ {args.name}")
        else:
            accounts.set_disabled(con, args.name, action == "disable")
            audit_log.record(con, actor, f"user-{action}", {"name": args.name})
            print(f"✔ {args.name} {action}d")
    return 0
