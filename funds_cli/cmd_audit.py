"""The auditor's sub-commands: lag, leads, reconcile, sql (the same code as the auditor pages)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import Any

from funds import db, lag, leads, money, reconcile, settings, sqlconsole
from funds.errors import UsageError
from funds_cli import main
from funds_cli.main import command, emit


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


def _parsers(sub: Any, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sp = add("lag", "days from approval to payment, and unpaid ageing, in buckets")
    sp.add_argument("--kind", choices=lag.KINDS, required=True)
    sp.add_argument("--by", choices=list(lag.GROUP_BY), default="fund")
    sp.add_argument("--year", type=int)
    sp.add_argument("--as-of", type=_date, help="date unpaid items are aged against (default today)")
    sp.add_argument("--working-days", action="store_true", help="count working days (holiday calendar)")
    sp.add_argument("--json", action="store_true")
    sp = add("leads", "anomaly leads for review")
    sp.add_argument("--year", type=int)
    sp.add_argument("--json", action="store_true")
    sp = add("reconcile", "allocated vs paid vs disclosed per fund and year")
    sp.add_argument("--year", type=int)
    sp.add_argument("--json", action="store_true")
    sp = add("sql", "run one read-only SELECT in the auditor's sandbox")
    sp.add_argument("query")
    sp.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="bind $NAME")
    sp.add_argument("--json", action="store_true")


main.EXTRA_PARSERS.append(_parsers)


def _path(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    return settings.db_path(getattr(args, "db", None))


@command("lag")
def lag_cmd(args: argparse.Namespace) -> int:
    """Lag buckets per group (paid), ageing buckets (unpaid) and deadline breaches."""
    with db.reading(_path(args)) as con:
        data = lag.summary(con, args.kind, args.by, args.year, args.as_of, args.working_days)
    if args.json:
        emit(data)
        return 0
    labels = data["buckets"]
    print(f"{data['kind']} by {data['by']}, as of {data['as_of']}"
          f"{' (working days)' if data['working_days'] else ''}")
    print(f"{'key':<16}" + "".join(f"{'paid ' + b:>12}" for b in labels)
          + "".join(f"{'unpaid ' + b:>12}" for b in labels) + f"{'breaches':>10}")
    for g in data["groups"]:
        print(f"{g['key']:<16}" + "".join(f"{g['paid'][b]:>12}" for b in labels)
              + "".join(f"{g['unpaid'][b]:>12}" for b in labels) + f"{g['breaches']:>10}")
    return 0


@command("leads")
def leads_cmd(args: argparse.Namespace) -> int:
    """Every anomaly lead, with its rows and whether it has been reviewed."""
    with db.reading(_path(args)) as con:
        found = leads.find(con, args.year)
    if args.json:
        emit({"leads": found})
        return 0
    for lead in found:
        mark = "✔" if lead["reviewed"] else "•"
        rows = ", ".join(f"{r['batch_id']}:{r['row_no']}" for r in lead["rows"])
        print(f"{mark} [{lead['code']}] {lead['fund_code']} {lead['id_masked']}  {lead['detail']}  (rows {rows})")
    print(f"{len(found)} leads")
    return 0


@command("reconcile")
def reconcile_cmd(args: argparse.Namespace) -> int:
    """Per fund and year: allocated, paid and disclosed, and the differences to the fen."""
    with db.reading(_path(args)) as con:
        rows = reconcile.table(con, args.year)
    if args.json:
        emit({"funds": reconcile.as_json(rows)})
        return 0
    print(f"{'year':<6}{'fund':<8}{'allocated':>16}{'disclosed':>16}{'paid':>16}{'alloc-discl':>16}")
    for r in rows:
        print(f"{r['year']:<6}{r['fund_code']:<8}{money.grouped(r['allocated_yuan']):>16}"
              f"{money.grouped(r['disclosed_yuan']):>16}{money.grouped(r['paid_yuan']):>16}"
              f"{money.grouped(r['allocated_minus_disclosed']):>16}")
    return 0


@command("sql")
def sql_cmd(args: argparse.Namespace) -> int:
    """One read-only query through the same guards as the console."""
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"参数应写成 NAME=VALUE：{item}", f"--param must be NAME=VALUE: {item}",
                             f"--param은 NAME=VALUE 형식이어야 합니다: {item}")
        params[name] = value
    result = sqlconsole.run(_path(args), args.query, params)
    if args.json:
        emit({"columns": result.columns, "rows": [[_json(v) for v in r] for r in result.rows],
              "row_count": len(result.rows), "truncated": result.truncated, "limit": result.limit})
        return 0
    print("\t".join(result.columns))
    for r in result.rows:
        print("\t".join("" if v is None else str(v) for v in r))
    if result.truncated:
        print(f"… truncated at {result.limit} rows / 结果已截断（最多 {result.limit} 行）")
    return 0


def _json(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int) and abs(value) > 2**53:  # id_hash: keep every digit
        return str(value)
    return value
