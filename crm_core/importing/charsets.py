"""Finding the text encoding of an import file without guessing wrong.

The order of evidence: a byte-order mark; then strict UTF-8 over the whole
file; then charset-normalizer on the lines that hold non-ASCII bytes, trusted
only when one reading of the text is clearly better than every other. When
the evidence is thin, the file is refused and the user is asked for
``--encoding``: a refused import is cheap, a database full of mojibake is not.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import CharsetMatch, from_bytes

from .errors import ImportFileError

BLOCK_SIZE = 1 << 20
SAMPLE_SIZE = 64 * 1024

# A reading whose mess ratio is above this is not worth considering
# (charset-normalizer's own cut-off).
MAX_CHAOS = 0.2
# Mojibake of Central European text in a Western code page reads as symbols
# glued to the front of letters ("£ukasz" for "Łukasz"), which the mess ratio
# misses; a reading where more than this share of the non-ASCII characters
# are such symbols is dropped.
MAX_GLUED_SHARE = 0.05
_GLUE_CATEGORIES = frozenset({"Sc", "Sk", "Sm", "So", "No"})
# The degree sign legitimately precedes letters: "20 °C".
_UNGLUED = frozenset("\u00b0")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Two readings closer than these margins are a tie.
CHAOS_MARGIN = 0.05
COHERENCE_MARGIN = 0.1
# Ties among Western single-byte code pages go to Windows-1252, the code page
# most spreadsheets export with, when the text reads as a known language.
WESTERN_DEFAULT = "cp1252"
MIN_WESTERN_COHERENCE = 0.2

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Supersets decode every file their subset does, so they are the safer name.
_PREFERRED_IN_FAMILY = ("cp1252", "gb18030", "cp932", "big5hkscs", "cp949")
_NON_ASCII_LINE = re.compile(rb"[^\r\n]*[\x80-\xff][^\r\n]*")
EXAMPLES = "utf-8, cp1252, latin-1, gbk, shift_jis"
# Refusals list the encodings people most often save files in first.
_COMMON = ("cp1252", "gb18030", "cp932", "cp949", "big5hkscs", "cp1250", "cp1251")
MAX_LISTED = 6
# Encodings data files are still saved in. Rarer ones (DOS and old Mac code
# pages, ...) may win outright, but do not turn one of these into a tie.
_IN_USE = frozenset(
    codecs.lookup(name).name
    for name in (
        *(f"cp{page}" for page in range(1250, 1259)),
        "latin-1",
        "iso8859-2",
        "iso8859-15",
        "koi8-r",
        "koi8-u",
        "cp874",
        "gb18030",
        "gbk",
        "gb2312",
        "big5",
        "big5hkscs",
        "cp950",
        "cp932",
        "shift_jis",
        "euc_jp",
        "cp949",
        "euc_kr",
    )
)


def check_encoding(name: str) -> str:
    """Return the canonical codec name for ``name``, or explain why it is wrong."""
    try:
        codec = codecs.lookup(name).name
        "".encode(codec)
    except LookupError:
        raise ImportFileError(
            f"unknown encoding {name!r} (expected a text encoding such as {EXAMPLES})"
        ) from None
    return codec


def bom_encoding(head: bytes) -> str | None:
    """The encoding announced by a byte-order mark at the start, if any."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def resolve_encoding(path: Path, encoding: str | None = None) -> str:
    """The encoding to read ``path`` with: ``encoding`` if given, else detected."""
    with path.open("rb") as stream:
        head = stream.read(4)
        announced = bom_encoding(head)
        if encoding is not None:
            codec = check_encoding(encoding)
            # A UTF-8 file with a BOM would otherwise keep the mark in its
            # first column name.
            return "utf-8-sig" if codec == "utf-8" and announced else codec
        if announced:
            return announced
        stream.seek(0)
        return _detect_without_bom(path, stream)


def _detect_without_bom(path: Path, stream: BinaryIO) -> str:
    if _is_utf8(path, stream):
        return "utf-8"
    stream.seek(0)
    sample = _non_ascii_lines(stream)
    chosen = choose_legacy_encoding(sample, path.name)
    stream.seek(0)
    _check_decodes(path, stream, chosen)
    return chosen


def _is_utf8(path: Path, stream: BinaryIO) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    while block := stream.read(BLOCK_SIZE):
        if b"\x00" in block:
            raise ImportFileError(
                f"{path.name}: the file holds NUL bytes, so it is binary or "
                f"UTF-16/UTF-32 without a byte-order mark; pass --encoding "
                f"(e.g. utf-16-le) or save it as UTF-8 CSV"
            )
        try:
            decoder.decode(block)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _non_ascii_lines(stream: BinaryIO) -> bytes:
    """Lines holding non-ASCII bytes: the only ones that tell encodings apart."""
    sample = bytearray()
    carry = b""
    while len(sample) < SAMPLE_SIZE and (block := stream.read(BLOCK_SIZE)):
        block = carry + block
        cut = block.rfind(b"\n") + 1
        carry = block[cut:]
        for line in _NON_ASCII_LINE.findall(block[:cut]):
            sample += line + b"\n"
    for line in _NON_ASCII_LINE.findall(carry):
        sample += line + b"\n"
    return bytes(sample[:SAMPLE_SIZE])


def choose_legacy_encoding(sample: bytes, name: str) -> str:
    """Pick the encoding of non-UTF-8 ``sample`` bytes, or refuse to guess."""
    everything = [m for m in from_bytes(sample) if not m.encoding.startswith("utf")]
    plausible = [
        m for m in everything if m.chaos <= MAX_CHAOS and not looks_garbled(str(m))
    ]
    if not plausible:
        raise _refusal(name, [_family_name(m) for m in everything], clean=False)
    best = min(plausible, key=lambda m: (m.chaos, -m.coherence))
    tied = [best, *(m for m in plausible if m is not best and _is_tie(best, m))]
    tied = [m for m in tied if _in_use(m)] or tied
    if len(tied) == 1:
        return _family_name(tied[0])
    western = [m for m in tied if WESTERN_DEFAULT in _family(m)]
    if western and western[0].coherence >= MIN_WESTERN_COHERENCE:
        return WESTERN_DEFAULT
    raise _refusal(name, [_family_name(m) for m in tied])


def _in_use(match: CharsetMatch) -> bool:
    return any(codecs.lookup(name).name in _IN_USE for name in _family(match))


def looks_garbled(text: str) -> bool:
    """True when many non-ASCII characters are symbols glued to a letter."""
    non_ascii = glued = 0
    for found in _NON_ASCII.finditer(text):
        non_ascii += 1
        char, after = found.group(), found.end()
        if (
            char not in _UNGLUED
            and unicodedata.category(char) in _GLUE_CATEGORIES
            and after < len(text)
            and text[after].isalpha()
        ):
            glued += 1
    return glued > MAX_GLUED_SHARE * non_ascii


def _is_tie(best: CharsetMatch, other: CharsetMatch) -> bool:
    if str(other) == str(best):
        return False
    return (
        other.chaos - best.chaos <= CHAOS_MARGIN
        and best.coherence - other.coherence <= COHERENCE_MARGIN
    )


def _family(match: CharsetMatch) -> list[str]:
    return [match.encoding, *match.could_be_from_charset]


def _family_name(match: CharsetMatch) -> str:
    family = _family(match)
    for preferred in _PREFERRED_IN_FAMILY:
        if preferred in family:
            return preferred
    return codecs.lookup(match.encoding).name


def _refusal(name: str, candidates: list[str], clean: bool = True) -> ImportFileError:
    """The error asking for ``--encoding``, naming the likeliest candidates.

    ``clean`` says the candidates all read the text well; otherwise they are
    only the least bad readings.
    """
    unique = list(dict.fromkeys(candidates))
    unique.sort(key=lambda c: _COMMON.index(c) if c in _COMMON else len(_COMMON))
    listed = ", ".join(unique[:MAX_LISTED]) or "none"
    if clean:
        why = f"it is not UTF-8, and it reads equally well as {listed}"
    else:
        why = (
            f"it is not UTF-8, and no common encoding reads it cleanly; the "
            f"closest are {listed}"
        )
    example = unique[0] if clean and unique else "cp1252"
    return ImportFileError(
        f"{name}: cannot tell the text encoding ({why}); pass --encoding with "
        f"the encoding the file was saved in, e.g. --encoding {example}"
    )


def _check_decodes(path: Path, stream: BinaryIO, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    while block := stream.read(BLOCK_SIZE):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{path.name}: most of the file reads as {encoding}, but the "
                f"bytes at offset {offset + exc.start} do not; pass --encoding "
                f"with the encoding the file was saved in"
            ) from None
        offset += len(block)
