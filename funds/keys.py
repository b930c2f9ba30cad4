"""The per-deployment HMAC key: created once by `funds init`, kept outside the database (mode 0600).

ID numbers are stored only as HMAC-SHA256(key, id) truncated to 128 bits (UHUGEINT), so a
stolen database cannot be searched with a list of known ID numbers without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from funds.errors import NotInitialised

KEY_BYTES = 32


def create(path: Path) -> bool:
    """Create a new random key at `path` (mode 0600); False when one already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(KEY_BYTES))
    return True


def load(path: Path) -> bytes:
    """Read the key; a missing or damaged key is a NotInitialised error with what to do."""
    try:
        text = path.read_text().strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError):
        raise NotInitialised(
            f"找不到密钥文件 {path}。请先运行 funds init，或从备份恢复该文件。",
            f"The key file {path} is missing or damaged. Run `funds init`, or restore the file from a backup.",
            f"키 파일 {path}이(가) 없습니다. funds init을 실행하거나 백업에서 복원하십시오.",
        ) from None
    if len(key) < 16:
        raise NotInitialised(f"密钥文件 {path} 已损坏。", f"The key file {path} is damaged.", None)
    return key


def id_hash(key: bytes, id18: str) -> int:
    """The stored form of an ID: the first 128 bits of HMAC-SHA256 as an unsigned integer."""
    digest = hmac.digest(key, id18.encode("ascii"), hashlib.sha256)
    return int.from_bytes(digest[:16], "big")


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC pads, so SQL can compute HMAC-SHA256 over a whole column."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
