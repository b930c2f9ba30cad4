"""Fuzzed uploads: hostile CSV and xlsx files end as loaded or rejected with a message, fast and bounded.

Cases run in a separate worker process (tests/fuzz_worker.py), so a crash in a native reader
cannot take pytest down with it; each case must finish within CASE_SECONDS and the worker's
peak memory must stay under MEMORY_MB.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import ROOT, SAMPLE

CASE_SECONDS = 8.0  # "a few seconds" with headroom for a 2-core machine shared by several test runs
MEMORY_MB = 1500
VALID_CSV = (SAMPLE / "payments_en.tsv").read_bytes()
VALID_XLSX = (SAMPLE / "payments_title.xlsx").read_bytes()
FUNDS_CSV = SAMPLE / "funds.csv"  # 2007 catalogue: the valid samples and their harmless mutations load


class Worker:
    """The fuzz worker process and the folder its cases are written to."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.worst = {"seconds": 0.0, "maxrss_mb": 0, "statuses": {}}
        db = folder / "fuzz.duckdb"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fuzz_worker.py"), str(db)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        assert json.loads(self._line())["ready"]
        assert self.run("funds", FUNDS_CSV.read_bytes(), "funds.csv")["status"] == "loaded"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the worker died (exit {self.proc.wait()}) on case {self.count}")
        return line

    def run(self, kind: str, data: bytes, name: str) -> dict:
        """Ingest one upload; returns its outcome after checking the promises."""
        self.count += 1
        path = self.folder / f"case-{self.count}{Path(name).suffix}"
        path.write_bytes(data)
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{kind}\t{path}\t{name}\n")
        self.proc.stdin.flush()
        result = json.loads(self._line())
        path.unlink()
        what = f"{name} ({len(data)} bytes): {result}"
        assert result["status"] in ("loaded", "rejected", "already_loaded"), what
        if result["status"] == "rejected":
            assert result["messages"] and all(m.strip() for m in result["messages"]), what
        assert result["seconds"] < CASE_SECONDS, what
        assert result["maxrss_mb"] < MEMORY_MB, what
        self.worst["seconds"] = max(self.worst["seconds"], result["seconds"])
        self.worst["maxrss_mb"] = max(self.worst["maxrss_mb"], result["maxrss_mb"])
        self.worst["statuses"][result["status"]] = self.worst["statuses"].get(result["status"], 0) + 1
        return result

    def close(self) -> None:
        """Stop the worker; FUNDS_FUZZ_SUMMARY names a file for the figures (cases, slowest, peak memory)."""
        if os.environ.get("FUNDS_FUZZ_SUMMARY"):
            Path(os.environ["FUNDS_FUZZ_SUMMARY"]).write_text(json.dumps({"cases": self.count, **self.worst}))
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    w = Worker(tmp_path_factory.mktemp("fuzz"))
    yield w
    w.close()


# ---------------------------------------------------------------- hostile files, by hand

def _xlsx_with(sheet_xml: bytes, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The sample workbook with its first sheet replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as src, zipfile.ZipFile(out, "w", compress) as dst:
        for item in src.infolist():
            data = sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item.filename, data)
    return out.getvalue()


def _zip_bomb(size_mb: int) -> bytes:
    """An xlsx whose sheet inflates to `size_mb` MB of XML whitespace (a few MB compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item.filename, src.read(item.filename))
        with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><sheetData>')
            chunk = b" " * (1 << 20)
            for _ in range(size_mb):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def hostile_cases() -> list[tuple[str, str, bytes]]:
    """(name, kind, bytes): the named hostile uploads of the issue."""
    rng = random.Random(5)
    lines = VALID_CSV.decode().splitlines()
    cases = [
        ("random.csv", "payments", rng.randbytes(4096)),
        ("random.xlsx", "payments", rng.randbytes(4096)),
        ("zip-header-only.xlsx", "payments", b"PK\x03\x04" + rng.randbytes(200)),
        ("huge-cell.csv", "payments", (lines[0] + "\n" + "F02\t2007\tA\tB\t" + "x" * 30_000_000 + "\n").encode()),
        ("huge-field-quoted.csv", "payments", b'a,b\n"' + b"y" * 5_000_000 + b'",1\n'),
        ("million-columns.csv", "payments", (",".join(["c"] * 1_000_000) + "\n" + ",".join(["1"] * 1_000_000)).encode()),
        ("many-columns.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b'><sheetData><row r="1">'
            + b"".join(b'<c t="inlineStr"><is><t>h%d</t></is></c>' % i for i in range(16384))
            + b"</row></sheetData></worksheet>")),
        ("nested.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b"><sheetData>" + b"<x>" * 200_000 + b"</x>" * 200_000
            + b"</sheetData></worksheet>")),
        ("billion-laughs.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                       for i in range(1, 10))
            + b']><worksheet ' + NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'
            b"</row></sheetData></worksheet>")),
        ("zip-bomb.xlsx", "payments", _zip_bomb(1200)),
        # a reader builds the range its cells span: 550 GB here, and the process would abort (calamine#693)
        ("far-cell.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b'><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
            b'<row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>')),
        ("far-row.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b'><sheetData><row r="1"><c r="L1"><v>1</v></c></row>'
            b'<row r="999999999"><c r="A999999999"><v>2</v></c></row></sheetData></worksheet>')),
        ("wide-without-references.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b'><sheetData><row>' + b"<c><v>1</v></c>" * 16384
            + b'</row><row r="1048576"><c r="A1048576"><v>2</v></c></row></sheetData></worksheet>')),
        ("utf16-no-bom.csv", "payments", VALID_CSV.decode().encode("utf-16-le")),
        ("utf32.csv", "payments", VALID_CSV.decode().encode("utf-32")),
        ("latin1.csv", "payments", "fund_code,name\nF02,Müller Ñ\n".encode("latin-1")),
        ("shift-jis.csv", "payments", "資金コード,名前\nF02,山田\n".encode("shift_jis")),
        ("formulas.csv", "payments", (lines[0] + "\n" + "\n".join(
            "\t".join(["=cmd|' /C calc'!A0" if i == 4 else c for i, c in enumerate(line.split("\t"))])
            for line in lines[1:])).encode()),
        ("formula-cells.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b'><sheetData><row r="1"><c r="A1"><f>1/0</f><v>#DIV/0!</v>'
            b'</c><c r="B1" t="str"><f>HYPERLINK("http://x","y")</f><v>y</v></c></row></sheetData></worksheet>')),
        ("nul-bytes.csv", "payments", VALID_CSV.replace(b"\t", b"\x00\t", 3)),
        ("nul-in-xlsx.xlsx", "payments", _xlsx_with(
            b'<?xml version="1.0"?><worksheet ' + NS + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a'
            + b"\x00" + b"b</t></is></c></row></sheetData></worksheet>")),
        ("not-xml.xlsx", "payments", _xlsx_with(b"\xff\xfe<<<>>>" * 100)),
        ("stored-entries.xlsx", "payments", _xlsx_with(
            zipfile.ZipFile(io.BytesIO(VALID_XLSX)).read("xl/worksheets/sheet1.xml"), zipfile.ZIP_STORED)),
        ("empty.xlsx", "payments", b""),
        ("only-bom.csv", "payments", b"\xef\xbb\xbf"),
        ("only-newlines.csv", "payments", b"\n" * 100_000),
        ("one-long-line.csv", "payments", b"a" * 20_000_000),
        ("many-short-lines.csv", "payments", b"x\n" * 3_000_000),
        ("xls-header-garbage.xls", "payments", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(5000)),
    ]
    for cut in (30, 100, 500, 1000, 2000, 4000, len(VALID_XLSX) - 22, len(VALID_XLSX) - 1):
        cases.append((f"truncated-{cut}.xlsx", "payments", VALID_XLSX[:cut]))
    return cases


@pytest.mark.parametrize("case", hostile_cases(), ids=lambda c: c[0])
def test_hostile_upload_is_loaded_or_rejected_with_a_message(worker: Worker, case: tuple[str, str, bytes]) -> None:
    """Each named hostile upload ends as loaded or rejected, within time and memory."""
    name, kind, data = case
    worker.run(kind, data, name)


def test_zip_bomb_is_refused_before_reading(worker: Worker) -> None:
    """The declared uncompressed size is checked before calamine inflates anything."""
    result = worker.run("payments", _zip_bomb(1200), "bomb.xlsx")
    assert result["status"] == "rejected" and result["seconds"] < 2, result


# ---------------------------------------------------------------- mutation and property fuzzing

def _mutate(data: bytes, rng: random.Random, steps: int) -> bytes:
    buf = bytearray(data)
    for _ in range(steps):
        op = rng.randrange(5)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)  # flip a byte
        elif op == 1:
            buf[pos:pos] = rng.randbytes(rng.randrange(1, 16))  # insert junk
        elif op == 2:
            del buf[pos:pos + rng.randrange(1, 64)]  # delete a stretch
        elif op == 3:
            buf[pos:pos] = rng.choice([b"\x00", b'"', b"\n", b"\t", b",", b"\xef\xbb\xbf", b"=1+1", b"\xff"])
        else:
            buf = buf[:pos]  # truncate
    return bytes(buf)


def _mutated_xlsx(rng: random.Random) -> bytes:
    """Mutate inside the zip (so the XML is what breaks), or the zip bytes themselves."""
    if rng.random() < 0.5:
        return _mutate(VALID_XLSX, rng, rng.randrange(1, 6))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/") and rng.random() < 0.5:
                data = _mutate(data, rng, rng.randrange(1, 8))
            dst.writestr(item.filename, data)
    return out.getvalue()


MUTATIONS = int(os.environ.get("FUNDS_FUZZ_MUTATIONS", "40"))


def test_mutation_fuzzing_of_csv_and_xlsx(worker: Worker) -> None:
    """Random byte and XML mutations of valid uploads (FUNDS_FUZZ_MUTATIONS each kind)."""
    rng = random.Random(int(os.environ.get("FUNDS_FUZZ_SEED", "1")))
    outcomes: dict[str, int] = {}
    for i in range(MUTATIONS):
        csv_case = _mutate(VALID_CSV, rng, rng.randrange(1, 10))
        xlsx_case = _mutated_xlsx(rng)
        for name, data in ((f"m{i}.csv", csv_case), (f"m{i}.xlsx", xlsx_case)):
            status = worker.run("payments", data, name)["status"]
            outcomes[status] = outcomes.get(status, 0) + 1
    assert outcomes.get("rejected", 0) > 0


@settings(max_examples=int(os.environ.get("FUNDS_FUZZ_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(grid=st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=12), min_size=1, max_size=30),
       sep=st.sampled_from([",", "\t", ";"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
       header=st.booleans())
def test_property_random_csv_grids(worker: Worker, grid: list[list[str]], sep: str, encoding: str,
                                   header: bool) -> None:
    """Any grid of any text, in any accepted encoding, under or without a real header."""
    rows = ([VALID_CSV.decode().splitlines()[0].split("\t")] if header else []) + grid
    text = "\n".join(sep.join(cell.replace("\r", " ") for cell in row) for row in rows)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass") if False else text.encode("utf-8", "replace")
    worker.run("payments", data, "grid.csv")


@settings(max_examples=int(os.environ.get("FUNDS_FUZZ_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=5000), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".tsv"]))
def test_property_random_bytes(worker: Worker, data: bytes, suffix: str) -> None:
    """Arbitrary bytes under any accepted file name."""
    worker.run("payments", data, f"random{suffix}")
