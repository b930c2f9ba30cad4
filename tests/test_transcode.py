"""A big GBK upload is transcoded in two halves at once; the UTF-8 text and the errors must not change.

The threshold is lowered so small files take the two-process path; each case is compared with
the one-piece transcode of the same bytes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pipelines import read
from pipelines.read import ReadProblem, _transcode

LINE = "F01,2007,城关镇,东村,张三丰,420102198001000012,10.00,2007-03-05,2007-03-08,𠀀备注\n"


def _both(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """(result of the two-half path, result of the one-piece path): the text, or the error raised."""
    out = []
    halves = set(Path(tempfile.gettempdir()).glob("funds-upload-*.rest"))
    for threshold in (1, 1 << 40):
        monkeypatch.setattr(read, "PARALLEL_TRANSCODE_BYTES", threshold)
        dst = tmp_path / f"out-{threshold}.csv"
        try:
            _transcode(src, dst, "gb18030")
            out.append(dst.read_text("utf-8"))
        except (UnicodeDecodeError, ReadProblem) as exc:
            out.append(type(exc).__name__ + (f":{exc.code}" if isinstance(exc, ReadProblem) else ""))
        assert set(Path(tempfile.gettempdir()).glob("funds-upload-*.rest")) == halves, "the second half is removed"
    return out[0], out[1]


def test_halves_give_the_same_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "gbk.csv"
    src.write_bytes(("\ufeff" + "资金编码,年度\n" + LINE * 3001).encode("gb18030"))
    two, one = _both(src, tmp_path, monkeypatch)
    assert two == one
    assert isinstance(two, str) and not two.startswith("\ufeff") and two.count("\n") == 3002
    assert "𠀀" in two  # a four-byte GB18030 character survives the cut


@pytest.mark.parametrize("damage", [b"\x81\x0a", b"\x00"])
def test_damage_in_the_second_half_is_found(damage: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An invalid byte pair or a NUL byte past the cut: the same error as reading it in one piece."""
    body = (LINE * 2000).encode("gb18030")
    src = tmp_path / "bad.csv"
    src.write_bytes(body + damage + body)
    two, one = _both(src, tmp_path, monkeypatch)
    assert two == one
    assert two == ("UnicodeDecodeError" if damage != b"\x00" else "ReadProblem:unreadable-file")


def test_a_file_without_a_line_break_after_the_middle_is_read_in_one_piece(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "one-line.csv"
    src.write_bytes(("资金编码,年度\n" + "张" * 50000).encode("gb18030"))
    two, one = _both(src, tmp_path, monkeypatch)
    assert two == one and isinstance(two, str) and two.endswith("张")


def test_a_gbk_upload_cut_in_two_loads_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: the rows read from the transcoded copy are the rows of the UTF-8 original."""
    text = "资金编码,年度,乡镇,村,姓名,身份证号,金额,审批日期,发放日期\n" + "".join(
        f"F01,2007,城关镇,东村,张{n},4201021980010{n:05d},10.00,2007-03-05,2007-03-08\n" for n in range(5000))
    utf8, gbk = tmp_path / "u.csv", tmp_path / "g.csv"
    utf8.write_text(text, "utf-8")
    gbk.write_bytes(text.encode("gb18030"))
    monkeypatch.setattr(read, "PARALLEL_TRANSCODE_BYTES", 1)
    columns = {0: "fund_code", 4: "name", 6: "amount"}
    a = read.CsvSource(utf8).table(0, columns, set()).to_pydict()
    source = read.CsvSource(gbk)
    assert source.encoding == "gbk/gb18030"
    assert source.table(0, columns, set()).to_pydict() == a
    source.close()


def test_the_head_of_a_gbk_file_is_read_without_transcoding_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`head_rows` (the upload page's preview, `funds ingest auto`) decodes the first MB only: the same
    rows as a full source's head, and no transcoded copy of the whole file is written."""
    text = "2007年补贴发放明细表,,\n资金编码,姓名,金额\n" + "".join(f"F01,张{n}·买买提,{n}.00\n" for n in range(60_000))
    gbk = tmp_path / "g.csv"
    gbk.write_bytes(text.encode("gb18030"))
    assert gbk.stat().st_size > read.HEAD_BYTES  # the 1 MB cut falls inside the file, maybe inside a character
    full = read.open_source(gbk)
    expected = full.head()
    full.close()

    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("transcoded whole")

    monkeypatch.setattr(read, "_transcode", no_copy)
    assert read.head_rows(gbk) == expected
    assert expected[1] == ["资金编码", "姓名", "金额"] and expected[2] == ["F01", "张0·买买提", "0.00"]
