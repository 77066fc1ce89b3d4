"""Checking what an uploaded file is: its bytes, not its name, decide.

Binary formats are recognised by their signature (the ``filetype``
library) and must agree with the name's extension: a ``.pdf`` whose bytes
are a PNG image is refused. Plain text has no signature, so ``.txt``,
``.csv`` and the other text extensions are accepted when the bytes decode
as text.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer
import filetype

from ..customers import InvalidInput

#: Bytes read to recognise a signature (what ``filetype`` looks at).
HEAD_BYTES = 8192
_CHUNK = 64 * 1024

_ZIPPED = {"zip"}
_OLE = {"doc", "xls", "ppt"}

#: Extension -> the detected types that count as that extension.
BINARY_TYPES: dict[str, set[str]] = {
    "pdf": {"pdf"},
    "png": {"png"},
    "jpg": {"jpg"},
    "jpeg": {"jpg"},
    "gif": {"gif"},
    "webp": {"webp"},
    "tif": {"tif"},
    "tiff": {"tif"},
    "bmp": {"bmp"},
    "heic": {"heic"},
    # Office files are ZIP or OLE containers; some writers order the parts
    # so that only the container is recognised.
    "docx": {"docx"} | _ZIPPED,
    "xlsx": {"xlsx"} | _ZIPPED,
    "pptx": {"pptx"} | _ZIPPED,
    "odt": {"odt"} | _ZIPPED,
    "ods": {"ods"} | _ZIPPED,
    "odp": {"odp"} | _ZIPPED,
    "doc": _OLE,
    "xls": _OLE,
    "ppt": _OLE,
    "zip": _ZIPPED,
    "gz": {"gz"},
    "7z": {"7z"},
    "mp3": {"mp3"},
    "m4a": {"m4a"},
    "wav": {"wav"},
    "ogg": {"ogg"},
    "mp4": {"mp4"},
    "mov": {"mov"},
}

#: Text extensions and the content type they are served with.
TEXT_TYPES = {
    "txt": "text/plain",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "md": "text/markdown",
    "json": "application/json",
    "vcf": "text/vcard",
    "ics": "text/calendar",
    "eml": "message/rfc822",
}


class FileRefused(InvalidInput):
    """An upload that is not accepted; ``errors["file"]`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": [message]})
        self.message = message

    def __str__(self) -> str:
        return self.message


def extension(name: str) -> str:
    """The lower-case extension of ``name`` without the dot (``""`` if none)."""
    suffix = Path(name).suffix
    return suffix[1:].lower() if suffix else ""


def content_type(name: str, path: Path) -> str:
    """The content type of the file at ``path`` uploaded as ``name``.

    Raises :class:`FileRefused` when the bytes do not match the extension,
    or the extension is not one Strata keeps.
    """
    ext = extension(name)
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return _binary(name, ext, kind.extension, kind.mime)
    if ext in TEXT_TYPES:
        if not is_text(path):
            raise FileRefused(
                f"{name!r} is not text: its bytes do not decode as text, so it "
                f"cannot be kept as a .{ext} file"
            )
        return TEXT_TYPES[ext]
    if ext in BINARY_TYPES:
        raise FileRefused(
            f"{name!r} is not a .{ext} file: its content matches no known "
            "format; upload the original file"
        )
    raise FileRefused(_unsupported(name, ext))


def _binary(name: str, ext: str, found: str, mime: str) -> str:
    if ext in BINARY_TYPES and found in BINARY_TYPES[ext]:
        return mime
    if ext in BINARY_TYPES or ext in TEXT_TYPES:
        raise FileRefused(
            f"{name!r} is named .{ext} but its content is {found.upper()} "
            f"({mime}); rename it to .{found} or upload the right file"
        )
    raise FileRefused(_unsupported(name, ext))


def _unsupported(name: str, ext: str) -> str:
    allowed = ", ".join(sorted({*BINARY_TYPES, *TEXT_TYPES}))
    what = f".{ext} files" if ext else "files without an extension"
    return f"{name!r}: {what} are not accepted (accepted: {allowed})"


def is_text(path: Path) -> bool:
    """Whether the whole file decodes as text: UTF-8 (or UTF-16 with a mark).

    Other encodings (a spreadsheet's CSV in Windows-1252, say) are accepted
    when ``charset_normalizer`` finds one that reads the file as text.
    """
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decodes(path, "utf-16")
    if _decodes(path, "utf-8-sig"):
        return True
    return charset_normalizer.from_path(path).best() is not None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                if "\x00" in decoder.decode(chunk):
                    return False
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
