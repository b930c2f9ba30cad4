"""Transcoding an upload (or a byte range of it) to UTF-8, with the standard library only.

`pipelines/read.py` calls `transcode_range` for a file, or for the first half of a big GBK file
while a child Python runs this module as a script for the second half (the codec holds the
GIL, so two halves need two processes). One function does both, so both halves give the same
text and the same errors:

    python -I -S transcode.py SRC START DST ENCODING   # exit 2: not that encoding; 3: NUL bytes
"""

from __future__ import annotations

import codecs
import sys

CHUNK = 1 << 24  # files are streamed in 16 MB pieces: a 1 GB upload never sits whole in memory


class NulBytes(Exception):
    """The text holds NUL characters: a binary file, not a spreadsheet export."""


def transcode_range(src: str, dst: str, enc: str, start: int = 0, end: int | None = None) -> None:
    """Write bytes [start, end) of `src` (to its end when `end` is None), read as `enc`, to `dst` as UTF-8.

    A BOM at the very start of the file is dropped. Raises UnicodeDecodeError or NulBytes.
    """
    decoder = codecs.getincrementaldecoder(enc)()
    first = start == 0
    left = None if end is None else end - start
    with open(src, "rb") as f, open(dst, "wb") as out:
        f.seek(start)
        while True:
            chunk = f.read(CHUNK if left is None else min(CHUNK, left))
            if left is not None:
                left -= len(chunk)
            text = decoder.decode(chunk, final=not chunk)
            if "\x00" in text:
                raise NulBytes
            if first and text:
                text, first = text.lstrip("\ufeff"), False
            out.write(text.encode("utf-8"))
            if not chunk:
                break


if __name__ == "__main__":
    try:
        transcode_range(sys.argv[1], sys.argv[3], sys.argv[4], start=int(sys.argv[2]))
    except UnicodeDecodeError:
        sys.exit(2)
    except NulBytes:
        sys.exit(3)
