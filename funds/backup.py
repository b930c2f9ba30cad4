"""Backups and restores: a consistent copy while the app serves, and a checked, atomic restore.

A backup copies the current read-only snapshot (immutable, so consistent without stopping
anyone), beside it the HMAC key (mode 0600) unless asked not to, and a manifest with the
file's SHA-256, each table's row count and a fingerprint of the key (not the key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from funds import db, keys, settings, snapshots
from funds.checksums import file_sha256
from funds.errors import FundsError, UsageError


def key_fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it: HMAC of a fixed label, 16 hex digits."""
    return hmac.new(key, b"funds key fingerprint", hashlib.sha256).hexdigest()[:16]



def _table_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' and not temporary order by 1"
        ).fetchall()]
        return {t: int(con.execute(f'select count(*) from "{t}"').fetchall()[0][0]) for t in tables}
    finally:
        con.close()


def _key_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".secret")


def _manifest_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".manifest.json")


def backup(path: Path, dest: Path, with_key: bool = True) -> dict[str, Any]:
    """Copy what readers see now to `dest` (+ `.secret`, + `.manifest.json`); returns the manifest."""
    if dest.exists() or dest.is_dir():
        raise UsageError(f"目标 {dest} 已存在，请换一个文件名。", f"{dest} already exists; choose a new file name.",
                         f"{dest}이(가) 이미 있습니다.")
    if not path.exists():
        db.connect(path, read_only=True)  # NotInitialised with what to do
    key = keys.load(settings.secret_path(path))
    db.recover(path)
    if snapshots.current(path) is None:  # a database from before snapshots: publish one first
        con = db.connect(path)
        try:
            db.publish(con, path)
        finally:
            con.close()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with snapshots.pinned(path) as snap:
        assert snap is not None
        shutil.copyfile(snap, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    manifest = {
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
        "source": str(path), "sha256": file_sha256(tmp), "tables": _table_counts(tmp),
        "key_fingerprint": key_fingerprint(key), "key_included": with_key,
    }
    os.replace(tmp, dest)
    if with_key:
        fd = os.open(_key_path(dest), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex())
    _manifest_path(dest).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return manifest


def _restore_key(src: Path, path: Path, manifest: dict[str, Any] | None) -> None:
    """The database's key must be the backup's: keep a matching one, or install the backup's copy."""
    target = settings.secret_path(path)
    wanted = manifest.get("key_fingerprint") if manifest else None
    if target.exists():
        have = key_fingerprint(keys.load(target))
        if wanted and have != wanted:
            raise FundsError(
                f"密钥文件 {target} 与备份不匹配，恢复后将无法查询。请先把备份时的密钥放回该位置。",
                f"The key file {target} is not the key of this backup; lookups would find nobody. "
                "Put the backup's key file in its place first.",
                f"키 파일 {target}이(가) 백업의 키와 다릅니다.",
            )
        return
    backup_key = _key_path(src)
    if not backup_key.exists():
        raise FundsError(
            f"找不到密钥：{target} 不存在，备份旁也没有 {backup_key.name}。请先放回备份时的密钥文件。",
            f"No key: neither {target} nor {backup_key} exists. Put the backup's key file in place first.",
            f"키 파일이 없습니다: {target}",
        )
    key = keys.load(backup_key)
    if wanted and key_fingerprint(key) != wanted:
        raise FundsError(f"{backup_key} 不是该备份的密钥。", f"{backup_key} is not this backup's key.", None)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex())


def restore(src: Path, path: Path) -> dict[str, int]:
    """Replace the database at `path` with backup `src`, atomically for readers; returns table counts."""
    if not src.is_file():
        raise UsageError(f"找不到备份 {src}。", f"Backup {src} not found.", f"백업 {src}을(를) 찾을 수 없습니다.")
    manifest = None
    if _manifest_path(src).exists():
        manifest = json.loads(_manifest_path(src).read_text("utf-8"))
        if manifest.get("sha256") != file_sha256(src):
            raise FundsError(f"备份 {src} 已损坏（校验和不符）。", f"Backup {src} is damaged (checksum mismatch).", None)
    try:
        counts = _table_counts(src)
    except duckdb.Error:
        raise FundsError(f"{src} 不是可用的数据库备份。", f"{src} is not a usable database backup.", None) from None
    _restore_key(src, path, manifest)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.restore.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    old = db.connect(path) if path.exists() else None  # waits out a running ingest, then keeps others out
    try:
        if old is not None:
            old.execute("checkpoint")
        snapshots.mark_dirty(path)
        os.replace(tmp, path)
        wal = path.with_name(path.name + ".wal")
        wal.unlink(missing_ok=True)
    finally:
        if old is not None:
            old.close()
    con = db.connect(path)
    try:
        db.migrate(con)
        db.publish(con, path)
    finally:
        con.close()
    return counts
