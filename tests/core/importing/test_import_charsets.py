"""Text encodings are detected when the evidence is clear and refused otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm_core.importing import ImportFileError, open_table

WESTERN = "name;company;city\n" + "Müller;Café Zürich;São Paulo\n" * 20
FRENCH = "nom,ville\n" + "Jürgen Groß,Düsseldorf\nFrançois Lefèvre,Orléans\n" * 5
POLISH = (
    "imie;miasto\n"
    + (
        "Łukasz Żółć;Łódź\n"
        "Agnieszka Wiśniewska;Kraków\n"
        "Grzegorz Brzęczyszczykiewicz;Gdańsk\n"
        "Małgorzata Kołodziej;Wrocław\n"
        "Paweł Jabłoński;Poznań\n"
    )
    * 3
)
CHINESE = "姓名,城市\n" + "张伟,北京市\n王芳,上海市\n李娜,广州市\n刘洋,深圳市\n" * 3
JAPANESE = "名前,都市\n" + "山田太郎,東京都\n佐藤花子,大阪府\n鈴木一郎,名古屋市\n" * 3


def write(tmp_path: Path, text: str, encoding: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_back(path: Path, **options: Any) -> tuple[str, list[list[str]]]:
    reader = open_table(path, **options)
    rows = [list(reader.columns)]
    for batch in reader:
        rows.extend(batch.frame.to_numpy().tolist())
    assert reader.encoding is not None
    return reader.encoding, rows


def table_of(text: str, delimiter: str) -> list[list[str]]:
    return [line.split(delimiter) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("cp1252", "cp1252"),
    ],
)
def test_western_text_is_detected(tmp_path, encoding, detected):
    """UTF-8 with and without BOM, UTF-16 with BOM and Windows-1252 read back."""
    found, rows = read_back(write(tmp_path, WESTERN, encoding))
    assert found == detected
    assert rows == table_of(WESTERN, ";")


def test_latin1_text_reads_back_exactly(tmp_path):
    """Latin-1 text decodes to the original characters."""
    found, rows = read_back(write(tmp_path, FRENCH, "latin-1"))
    assert found in {"cp1252", "iso8859-1"}
    assert rows == table_of(FRENCH, ",")


def test_central_european_code_page_is_not_read_as_western(tmp_path):
    """Polish Windows-1250 is detected, not read as Windows-1252 mojibake."""
    found, rows = read_back(write(tmp_path, POLISH, "cp1250"))
    assert found == "cp1250"
    assert rows == table_of(POLISH, ";")


def test_thin_polish_evidence_is_refused_rather_than_garbled(tmp_path):
    """Two repeated Polish lines are too little to tell, and are refused."""
    text = "imie;miasto\n" + "Łukasz Żółć;Łódź\nAgnieszka Wiśniewska;Kraków\n" * 3
    with pytest.raises(ImportFileError, match="--encoding"):
        open_table(write(tmp_path, text, "cp1250"))


@pytest.mark.parametrize(
    ("text", "encoding", "family"),
    [
        (CHINESE, "gbk", {"gb18030", "gbk", "gb2312"}),
        (JAPANESE, "shift_jis", {"cp932", "shift_jis"}),
    ],
)
def test_east_asian_text_is_detected(tmp_path, text, encoding, family):
    """GBK Chinese names and Shift-JIS Japanese names are detected and read back."""
    found, rows = read_back(write(tmp_path, text, encoding))
    assert found in family
    assert rows == table_of(text, ",")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("name;city\nMüller;Köln\n", "cp1252"),
        ("姓名\n张伟\n", "gbk"),
        ("名前\n山田\n", "shift_jis"),
    ],
)
def test_too_little_evidence_is_refused(tmp_path, text, encoding):
    """A short non-UTF-8 file is refused with a message asking for --encoding."""
    path = write(tmp_path, text, encoding)
    with pytest.raises(ImportFileError) as caught:
        open_table(path)
    message = str(caught.value)
    assert "people.csv" in message
    assert "--encoding" in message
    assert "reads equally well as" in message


def test_refused_file_reads_with_the_encoding_given(tmp_path):
    """Passing the encoding the refusal asked for reads the file."""
    path = write(tmp_path, "名前\n山田\n", "shift_jis")
    found, rows = read_back(path, encoding="shift_jis")
    assert found == "shift_jis"
    assert rows == [["名前"], ["山田"]]


def test_a_late_non_utf8_byte_is_noticed(tmp_path):
    """The whole file must be UTF-8, not just its start."""
    text = "name,city\n" + "Smith,London\n" * 20_000 + "Müller,Köln\n" * 40
    path = write(tmp_path, text, "cp1252")
    reader = open_table(path)
    assert reader.encoding == "cp1252"
    last = list(reader)[-1].frame
    assert last.iloc[-1].tolist() == ["Müller", "Köln"]


def test_unknown_encoding_override_is_explained(tmp_path):
    """An encoding Python does not know is named in the error."""
    path = write(tmp_path, WESTERN, "utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        open_table(path, encoding="klingon")


def test_non_text_codec_is_refused(tmp_path):
    """A codec that does not decode text (base64) is not an encoding."""
    path = write(tmp_path, WESTERN, "utf-8")
    with pytest.raises(ImportFileError, match="expected a text encoding"):
        open_table(path, encoding="base64")


def test_utf8_override_drops_the_byte_order_mark(tmp_path):
    """Saying utf-8 for a file with a BOM keeps the mark out of the first name."""
    path = write(tmp_path, WESTERN, "utf-8-sig")
    reader = open_table(path, encoding="utf-8")
    assert reader.columns[0] == "name"


def test_wrong_override_fails_with_a_clear_error(tmp_path):
    """Bytes that do not decode in the given encoding stop the read, not garble it."""
    path = write(tmp_path, WESTERN, "cp1252")
    reader = open_table(path, encoding="utf-8", delimiter=";")
    with pytest.raises(ImportFileError, match="not valid utf-8.*--encoding"):
        list(reader)


def test_nul_bytes_are_refused(tmp_path):
    """UTF-16 without a BOM (NUL bytes everywhere) is not read as UTF-8."""
    path = write(tmp_path, "name,city\nAnna,Rome\n", "utf-16-le")
    with pytest.raises(ImportFileError, match="NUL bytes"):
        open_table(path)
