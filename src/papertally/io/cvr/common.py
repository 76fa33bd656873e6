"""What every CVR reader shares: the formats, the files inside zips and folders, rows, errors."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import struct
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import msgspec

from papertally.errors import FileLocation, InputFileError, closest_match_hint

HEAD_BYTES = 65536
"""How much of a file detection looks at."""


class CvrFormat(StrEnum):
    """The CVR layouts papertally reads (see docs/cvr-formats.md)."""

    DOMINION_JSON = "dominion-json"
    DOMINION_MANIFEST = "dominion-manifest"
    DOMINION_CSV = "dominion-csv"
    ESS_CVR = "ess-cvr"
    ESS_BALLOTS = "ess-ballots"
    HART_XML = "hart-xml"
    HART_BALLOT_INFO = "hart-scanned-ballot-information"
    CLEAR_BALLOT = "clear-ballot-csv"
    NIST_JSON = "nist-cvr-json"
    NIST_XML = "nist-cvr-xml"
    GENERIC_CSV = "generic-cvr-csv"


CVR_FORMATS = frozenset(
    {
        CvrFormat.DOMINION_JSON,
        CvrFormat.DOMINION_CSV,
        CvrFormat.ESS_CVR,
        CvrFormat.HART_XML,
        CvrFormat.CLEAR_BALLOT,
        CvrFormat.NIST_JSON,
        CvrFormat.NIST_XML,
        CvrFormat.GENERIC_CSV,
    }
)
"""Formats whose files hold cards (the others describe them: manifests, ballots lists)."""


@dataclass(frozen=True)
class InputPart:
    """One file to read: a plain file, or one member of a zip archive."""

    container: Path
    """The file or folder the user named."""
    path: Path
    """The file on disk (the zip itself for a member)."""
    member: str | None = None
    """The name inside the zip, or ``None`` for a plain file."""

    @property
    def display(self) -> str:
        """Return the name to show in messages: ``file`` or ``archive.zip!member``."""
        return f"{self.path.name}!{self.member}" if self.member else self.path.name

    @property
    def name(self) -> str:
        """Return the file's own name (the member's, inside a zip)."""
        return Path(self.member).name if self.member else self.path.name

    def read_bytes(self, archive: zipfile.ZipFile | None = None) -> bytes:
        """Return the whole content of the file (from ``archive`` if it is already open)."""
        if self.member is None:
            return self.path.read_bytes()
        try:
            if archive is not None:
                return read_member(archive, self.member)
            with zipfile.ZipFile(self.path) as opened:
                return read_member(opened, self.member)
        except (zipfile.BadZipFile, EOFError) as error:
            raise self.error(f"broken zip member: {error}") from None

    @contextmanager
    def stream(self) -> Iterator[IO[bytes]]:
        """Open the file as a binary stream (a zip member is decompressed as it is read)."""
        if self.member is None:
            with self.path.open("rb") as plain:
                yield plain
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as packed:
            yield packed

    def head(self, size: int = HEAD_BYTES, archive: zipfile.ZipFile | None = None) -> bytes:
        """Return the first ``size`` bytes of the file (from ``archive`` if already open)."""
        if self.member is None:
            with self.path.open("rb") as stream:
                return stream.read(size)
        if archive is not None:
            with archive.open(self.member) as packed:
                return packed.read(size)
        with zipfile.ZipFile(self.path) as opened, opened.open(self.member) as packed:
            return packed.read(size)

    def location(
        self, row: int | None = None, column: str | None = None, sheet: str | None = None
    ) -> FileLocation:
        """Return a :class:`FileLocation` in this file."""
        return FileLocation(self.display, sheet=sheet, row=row, column=column)

    def error(
        self, problem: str, row: int | None = None, column: str | None = None
    ) -> InputFileError:
        """Return an :class:`InputFileError` about this file."""
        return InputFileError(self.location(row, column), problem)


_LOCAL_HEADER = struct.Struct("<4s22xHH")
"""A zip member's local header: signature, then (after 22 bytes) name and extra lengths."""


def read_member(archive: zipfile.ZipFile, member: str) -> bytes:
    """Return a zip member's content, inflated by ISA-L when it is deflated (else by zipfile).

    ISA-L inflates two to four times faster than zlib: with millions of CVRs, unzipping was a
    sixth of the reading time. The size and CRC-32 are checked as zipfile checks them.
    """
    info = archive.getinfo(member)
    if (
        info.compress_type != zipfile.ZIP_DEFLATED
        or info.flag_bits & 0x1
        or not isinstance(archive.filename, str)
    ):
        return archive.read(member)
    try:
        from isal import isal_zlib
    except ImportError:
        return archive.read(member)
    with open(archive.filename, "rb") as raw:
        raw.seek(info.header_offset)
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(30))
        if signature != b"PK\x03\x04":
            return archive.read(member)
        raw.seek(name_length + extra_length, io.SEEK_CUR)
        packed = raw.read(info.compress_size)
    try:
        data = isal_zlib.decompress(packed, wbits=-15)
    except Exception as error:  # isal_zlib.error, typed as an instance by its stubs
        raise zipfile.BadZipFile(f"{member}: {error}") from None
    if len(data) != info.file_size or isal_zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 or size for file {member!r}")
    return data


def is_zip(path: Path) -> bool:
    """Return whether ``path`` is a zip archive that is not an Excel workbook."""
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return False
    return zipfile.is_zipfile(path)


def list_parts(path: Path) -> list[InputPart]:
    """Return the files to read under ``path``: itself, the members of a zip, or a folder's files.

    Folders are walked in sorted order; zip members keep the archive's order. Folder entries,
    hidden files and macOS resource forks are skipped.
    """
    if not path.exists():
        raise InputFileError(FileLocation(str(path)), "no such file or folder")
    if path.is_dir():
        parts: list[InputPart] = []
        for child in sorted(path.rglob("*")):
            if child.is_file() and not child.name.startswith("."):
                parts.extend(InputPart(path, part.path, part.member) for part in list_parts(child))
        return parts
    if is_zip(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = [
                    info.filename
                    for info in archive.infolist()
                    if not info.is_dir()
                    and not Path(info.filename).name.startswith(".")
                    and "__MACOSX" not in info.filename
                ]
        except zipfile.BadZipFile as error:
            raise InputFileError(FileLocation(str(path)), f"broken zip archive: {error}") from None
        return [InputPart(path, path, name) for name in names]
    return [InputPart(path, path)]


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, as hex (published so observers can check files)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def decode(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without a byte-order mark), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value)


@dataclass
class Rows:
    """The rows of a CSV file or first worksheet, with the 1-based line of the last one read."""

    part: InputPart
    rows: Iterator[list[str]]
    line: int = 0
    sheet: str | None = None

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        row = next(self.rows)
        self.line += 1
        return row

    def error(self, problem: str, column: str | None = None) -> InputFileError:
        """Return an error about the row read last."""
        return InputFileError(self.part.location(self.line, column, self.sheet), problem)


def open_rows(part: InputPart) -> Rows:
    """Return the rows of a CSV file, or of the first sheet of an Excel workbook."""
    if part.name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        from python_calamine import CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(part.read_bytes()))
            sheet_name = workbook.sheet_names[0]
            values = workbook.get_sheet_by_name(sheet_name).to_python()
        except Exception as error:
            raise part.error(f"cannot read the workbook: {error}") from None
        rows = ([_cell_text(v) for v in row] for row in values)
        return Rows(part, rows, sheet=sheet_name)
    head = part.head()
    first_line = decode(head).split("\n", 1)[0]
    if "\t" in first_line and "," not in first_line:
        raise part.error("columns are separated by tabs; export the file as comma-separated CSV")
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still UTF-8.
        encoding = "utf-8-sig" if error.start >= len(head) - 3 else "cp1252"
    return _csv_rows(part, encoding)


def _csv_rows(part: InputPart, encoding: str) -> Rows:
    """Return the rows of a CSV file, read as a stream (the file is never held whole)."""
    holder = Rows(part, iter(()))

    def generate() -> Iterator[list[str]]:
        with part.stream() as binary:
            text = io.TextIOWrapper(binary, encoding=encoding, newline="")
            reader = csv.reader(text)
            try:
                for row in reader:
                    holder.line = reader.line_num - 1
                    yield row
            except csv.Error as error:
                raise part.error(f"broken CSV: {error}", row=reader.line_num) from None
            except UnicodeDecodeError:
                raise part.error(
                    "the file is not UTF-8 text after this row; save it as UTF-8 CSV",
                    row=reader.line_num,
                ) from None

    holder.rows = generate()
    return holder


def header_index(
    rows: Rows, header: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, int]:
    """Return the column index of each required and present optional header.

    A missing required column is refused naming the columns found, with the closest match.
    """
    cleaned = [h.strip() for h in header]
    index: dict[str, int] = {}
    for name in (*required, *optional):
        if name in cleaned:
            index[name] = cleaned.index(name)
        elif name in required:
            raise rows.error(
                f"missing column {name!r}{closest_match_hint(name, cleaned)}; "
                f"columns found: {', '.join(repr(c) for c in cleaned if c) or 'none'}; "
                f"expected: {', '.join(repr(c) for c in required)}",
                column=name,
            )
    return index


def int_or_text(value: str) -> int | str:
    """Return ``value`` as an int when it is a plain decimal number, else stripped text."""
    value = value.strip()
    return int(value) if value.isdigit() and (value == "0" or value[0] != "0") else value


_BYTE = re.compile(r"\(byte (\d+)\)")


def json_syntax_error(part: InputPart, data: bytes, error: msgspec.DecodeError) -> InputFileError:
    """Return a clear error for JSON that does not parse, with its line and column."""
    message = str(error)
    found = _BYTE.search(message)
    offset = int(found.group(1)) if found else len(data)
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    truncated = "truncated" in message or offset >= len(data.rstrip())
    why = "the JSON ends early (is the file truncated?)" if truncated else message
    return part.error(f"broken JSON at line {line}, column {column}: {why}", row=line)


def load_json(part: InputPart) -> object:
    """Return the parsed JSON of a file (plain dicts and lists), refusing broken JSON clearly."""
    data = part.read_bytes()
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        raise json_syntax_error(part, data, error) from None
