"""Handlers of the core sub-commands: init, ingest, report, lookup, demo, batches."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from funds import db, settings
from funds_cli.main import AUTO, command, current_user, emit, lang

if TYPE_CHECKING:
    import duckdb

    from pipelines.ingest import Outcome


def _db(args: argparse.Namespace) -> Path:
    return settings.db_path(getattr(args, "db", None))


@command("init")
def init(args: argparse.Namespace) -> int:
    """Create the database and its key (idempotent)."""
    path = _db(args)
    created, key_created = db.initialise(path)
    print(f"数据库 / database: {path} ({'created' if created else 'exists, migrated'})")
    print(f"密钥 / key: {settings.secret_path(path)} ({'created, mode 0600' if key_created else 'exists'})")
    return 0


@command("ingest")
def ingest(args: argparse.Namespace) -> int:
    """Check and load files; exit 1 when any file was rejected."""
    from pipelines.ingest import open_for_ingest, optimize_advice, plan, spreadsheets

    language = lang(args)
    path = _db(args)
    files = spreadsheets(args.files)
    yield_cpu()  # telling kinds reads every file's head: a background job too
    if args.kind == AUTO:
        if args.replace is not None:
            from funds.errors import UsageError

            raise UsageError("--replace 只替换一个批次：请指明类型，如 funds ingest payments --replace N 文件",
                             "--replace replaces one batch: name the kind, e.g. funds ingest payments --replace N FILE",
                             "--replace는 배치 하나를 바꿉니다: 종류를 지정하십시오(예: funds ingest payments --replace N 파일)")
        groups = plan(files)  # every file's kind, the catalogue first; refuses all when one is unknown
        if args.dry_run and len(groups) > 1 and groups[0][0] == "funds":
            print(_t(language, "注意：--dry-run 不导入本次的资金目录，其他表格按数据库中已有的资金目录核对。",
                     "Note: --dry-run does not load this run's fund catalogue; the other sheets are checked "
                     "against the catalogue already in the database.",
                     "참고: --dry-run은 이번 자금 목록을 올리지 않으므로 다른 표는 데이터베이스에 이미 있는 "
                     "자금 목록으로 검사합니다."), file=sys.stderr)
    else:
        groups = [(args.kind, files)]
    con, key = open_for_ingest(path)
    try:
        try:
            outcomes = _load(con, key, groups, args, language)
        finally:
            db.publish_pending(con, path)  # readers see the whole run at once, or what a stopped run loaded
        fan_out, hint = None, None  # read from the file as published
        for kind in dict.fromkeys(o.report.kind for o in outcomes if o.status == "loaded"):
            fan_out, hint = optimize_advice(con, kind, language)  # lookups slow as big batches pile up
            if fan_out is not None:  # the kind that adds payment rows; the others have no advice
                break
    finally:
        con.close()
    if args.json:
        out: dict[str, object] = {"files": [o.as_dict(language) for o in outcomes]}
        if fan_out is not None:
            out["lookup_row_groups"] = fan_out
        if hint:
            out["advice"] = hint
        emit(out)
    elif hint:
        print(hint)
    return 1 if any(o.status == "rejected" for o in outcomes) else 0


def _load(con: duckdb.DuckDBPyConnection, key: bytes, groups: list[tuple[str, list[Path]]],
          args: argparse.Namespace, language: str) -> list[Outcome]:
    """Each kind's files through `ingest_files`, committed and not published; each outcome printed as
    it comes. After a rejected catalogue the other kinds are not checked."""
    from funds_cli.progress import progress
    from pipelines.ingest import ingest_files

    outcomes = []
    for kind, paths in groups:
        results = ingest_files(con, key, kind, paths, current_user(args), args.replace, dry_run=args.dry_run,
                               publish=False)  # the next file is checked while one loads
        with closing(results):
            for file in paths:
                with progress(f"{file.name}", quiet=args.json):
                    outcome = next(results)
                outcomes.append(outcome)
                if not args.json:
                    _print_outcome(outcome, language)
        if kind == "funds" and len(groups) > 1 and any(o.status == "rejected" for o in outcomes):
            print(_t(language, "资金目录未导入：其余文件未检查（它们按目录核对资金）。请改正目录后重新运行。",
                     "The fund catalogue was rejected, so the other files were not checked (their funds are "
                     "checked against it). Correct the catalogue and run again.",
                     "자금 목록이 거부되어 나머지 파일은 검사하지 않았습니다(자금을 목록과 대조합니다). "
                     "목록을 고친 뒤 다시 실행하십시오."), file=sys.stderr)
            break
    return outcomes


def yield_cpu() -> None:
    """A command-line load is a background job: it gives way to kiosk lookups served from the same box."""
    step = settings.get_int("ingest_nice")
    if step > 0 and hasattr(os, "nice"):
        try:
            os.nice(step)
        except OSError:
            pass  # not permitted here: run at the normal priority


def _print_outcome(outcome, language: str) -> None:  # type: ignore[no-untyped-def]
    r = outcome.report
    if outcome.status == "loaded":
        print(f"✔ {outcome.path}: {_t(language, '已导入', 'loaded', '올림')} "
              f"batch {outcome.batch_id}, {r.rows} {_t(language, '行', 'rows', '행')} ({r.seconds:.1f}s)")
    elif outcome.status == "already_loaded":
        print(f"= {outcome.path}: {_t(language, '已导入过，批次', 'already loaded as batch', '이미 올린 배치')} "
              f"{outcome.batch_id}")
    elif outcome.status == "valid":
        print(f"✔ {outcome.path}: {_t(language, '检查通过（未导入）', 'valid (not loaded)', '검사 통과')}, {r.rows}")
    else:
        print(f"✘ {outcome.path}: {_t(language, '未导入，发现', 'rejected,', '거부됨,')} "
              f"{r.error_count} {_t(language, '个错误', 'errors', '개 오류')}", file=sys.stderr)
        for issue in r.errors:
            print(f"  [{issue.code}] {issue.message(language, r.kind)}", file=sys.stderr)
        if r.error_count > len(r.errors):
            print(f"  … {r.error_count - len(r.errors)} more", file=sys.stderr)
    for issue in r.warnings[:20]:
        print(f"  ! [{issue.code}] {issue.message(language, r.kind)}")


def _t(language: str, zh: str, en: str, ko: str) -> str:
    return {"zh": zh, "en": en, "ko": ko}.get(language, zh)


@command("report")
def report(args: argparse.Namespace) -> int:
    """The annual disclosure summary."""
    from funds import disclosure

    with db.reading(_db(args)) as con:
        data = disclosure.annual(con, args.year)
    if args.json:
        emit(data)
    else:
        print(disclosure.paragraph(data, lang(args)))
    return 0


@command("lookup")
def lookup(args: argparse.Namespace) -> int:
    """What a kiosk shows one household."""
    from funds import household

    path = _db(args)
    result = household.lookup_path(path, args.id, args.name)
    if args.json:
        emit(result)
    else:
        print(household.describe(result, lang(args)))
    return 0


@command("demo")
def demo(args: argparse.Namespace) -> int:
    """Generate and load a demo county."""
    from pipelines import demo as demo_county

    path = _db(args)
    summary = demo_county.build(path, households=args.households, year=args.year, seed=args.seed)
    print(summary)
    return 0


@command("batches")
def batches(args: argparse.Namespace) -> int:
    """List batches, newest first."""
    with db.reading(_db(args)) as con:
        rows = db.fetch_dicts(con, "list_batches")
    if args.json:
        emit({"batches": rows})
    else:
        for r in rows:
            print(f"{r['batch_id']:>5} {r['status']:<10} {r['kind']:<12} {r['rows']:>9} {r['user_name']:<12} "
                  f"{r['loaded_at']:%Y-%m-%d %H:%M} {r['file_name']}")
    return 0
