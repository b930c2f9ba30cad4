"""`funds backup DEST` and `funds restore SRC`: consistent copies while the app serves."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from funds import settings
from funds_cli import main


def _parsers(sub: Any, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sp = add("backup", "copy the database (as readers see it now) and its key to DEST")
    sp.add_argument("dest", type=Path)
    sp.add_argument("--no-key", action="store_true", help="do not write DEST.secret (back the key up elsewhere)")
    sp.add_argument("--json", action="store_true")
    sp = add("restore", "replace the database with backup SRC (waits for a running ingest)")
    sp.add_argument("src", type=Path)
    sp.add_argument("--json", action="store_true")


main.EXTRA_PARSERS.append(_parsers)


@main.command("backup")
def backup(args: argparse.Namespace) -> int:
    """Write DEST, DEST.secret (mode 0600, unless --no-key) and DEST.manifest.json."""
    from funds import backup as backups

    manifest = backups.backup(settings.db_path(args.db), args.dest, with_key=not args.no_key)
    if args.json:
        main.emit(manifest)
    else:
        rows = sum(manifest["tables"].values())
        print(f"✔ {args.dest}: {len(manifest['tables'])} tables, {rows} rows, sha256 {manifest['sha256'][:12]}…")
        if args.no_key:
            print("! 未包含密钥：请另行备份密钥文件 / key not included: back up the key file separately "
                  f"({settings.secret_path(settings.db_path(args.db))})")
        else:
            print(f"  密钥 / key: {args.dest}.secret (0600) — 请与备份分开保管 / keep it apart from the backup copy")
    return 0


@main.command("restore")
def restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup; readers switch to it atomically."""
    from funds import backup as backups

    path = settings.db_path(args.db)
    counts = backups.restore(args.src, path)
    if args.json:
        main.emit({"restored": str(path), "tables": counts})
    else:
        print(f"✔ {path} ← {args.src}: {len(counts)} tables, {sum(counts.values())} rows")
    return 0
