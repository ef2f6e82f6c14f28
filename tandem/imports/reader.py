"""The one reader of delimited text files (CSV) — and of spreadsheet sheets (XLSX) — for every import.

- Encoding: UTF-8 (with or without BOM) when the bytes decode as such; a UTF-16/32 byte-order mark is obeyed;
  otherwise charset-normalizer chooses among the encodings French files come in. A single-byte Western result
  is read as Windows-1252 whenever it decodes, because spreadsheets write Windows-1252 and reading it as
  Latin-1 turns Excel's ’ (0x92) into an invisible control character (U+0092).
- Binary content, NUL bytes, an empty file, an unclosed quote, a field running over the next line, a field or
  a row count beyond the limits are refused with a French message naming the file, the line and the field.
- Delimiter: the one of `;`, `,` and tab that the header line (outside quotes) uses most.
- Line numbers are physical: the line of the file where the row starts, blank lines and quoted line breaks
  included, so the number shown is the one an editor shows.

XLSX (`xlsx_sheets`): every sheet as rows of text, openpyxl in read-only mode; a date cell reads as ISO text
(« 2026-09-01 », with its time only when it has one), an empty cell as "", the same size and row limits as CSV.

Pure: no Django.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tandem.core.problems import Problem, UserError
from tandem.imports.limits import ImportLimits, size_text

DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
# What charset-normalizer may choose from: the encodings of French public data and spreadsheets.
CANDIDATE_ENCODINGS = ["utf_8", "cp1252", "latin_1", "iso8859_15", "utf_16", "utf_16_le", "utf_16_be"]
ENCODING_LABELS = {
    "utf_8": "UTF-8",
    "cp1252": "Latin-1 (Windows-1252)",
    "latin_1": "Latin-1 (ISO-8859-1)",
    "iso8859_15": "Latin-9 (ISO-8859-15)",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "utf_32": "UTF-32",
}
BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32"),
    (codecs.BOM_UTF32_BE, "utf_32"),
    (codecs.BOM_UTF16_LE, "utf_16"),
    (codecs.BOM_UTF16_BE, "utf_16"),
)
# Control characters that never occur in a text file (tab, line feed, carriage return and form feed may).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
DETECTION_SAMPLE = 1 << 20


@dataclass
class TextTable:
    """A delimited file as read: header, rows of text (one list per row) and the physical line of each row."""

    name: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    encoding: str  # French label: "UTF-8", "Windows-1252"…
    delimiter: str
    problems: list[Problem] = field(default_factory=list)  # rows kept out (wrong number of fields)

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(line, {column: value}) for each row."""
        return [
            (line, dict(zip(self.header, row, strict=True)))
            for line, row in zip(self.lines, self.rows, strict=True)
        ]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read by blocks (the one digest every import records)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _line_of(data: bytes | str, offset: int) -> int:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding label) of a text file's bytes; UserError for binary content or NUL bytes."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise UserError(f"{name} : fichier vide (aucune ligne d'en-tête)")
    codec = next((c for bom, c in BOMS if data.startswith(bom)), None)
    if codec is None:
        try:
            text, codec = data.decode("utf-8-sig"), "utf_8"
        except UnicodeDecodeError:
            codec = _detect(data, name)
    if codec != "utf_8":
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise UserError(
                f"{name}, ligne {_line_of(data, exc.start)} : octets illisibles dans l'encodage "
                f"{ENCODING_LABELS.get(codec, codec)} (fichier binaire ou encodage mélangé)"
            ) from exc
    text = text.removeprefix("\ufeff")
    bad = CONTROL.search(text)
    if bad:
        what = "caractère NUL" if bad.group() == "\x00" else f"caractère de contrôle U+{ord(bad.group()):04X}"
        raise UserError(
            f"{name}, ligne {_line_of(text, bad.start())} : {what} : ce n'est pas un fichier texte "
            "(fichier binaire, tableur non exporté en CSV ou encodage erroné)"
        )
    return text, ENCODING_LABELS.get(codec, codec)


def _detect(data: bytes, name: str) -> str:
    from charset_normalizer import from_bytes

    if b"\x00" in data[:DETECTION_SAMPLE] and not re.search(rb"[^\x00]\x00[^\x00]\x00", data[:4096]):
        offset = data.index(b"\x00")
        raise UserError(
            f"{name}, ligne {_line_of(data, offset)} : caractère NUL : ce n'est pas un fichier texte "
            "(fichier binaire ou tableur non exporté en CSV)"
        )
    best = from_bytes(data[:DETECTION_SAMPLE], cp_isolation=CANDIDATE_ENCODINGS).best()
    if best is None:
        raise UserError(
            f"{name} : encodage non reconnu : ce n'est pas un fichier texte (fichier binaire, tableur non exporté "
            "en CSV ?) ; enregistrez-le en CSV UTF-8"
        )
    codec = best.encoding
    if codec in ("latin_1", "iso8859_15", "cp1252"):
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin_1"
    return codec


def sniff_delimiter(header_line: str, candidates=DELIMITERS) -> str:
    """The candidate the header line uses most, quoted parts left out."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {sep: unquoted.count(sep) for sep in candidates}
    return max(counts, key=counts.get)


def read_table(
    path: Path | None,
    name: str,
    *,
    limits: ImportLimits,
    data: bytes | None = None,
    delimiters=DELIMITERS,
    multiline: bool = False,
) -> TextTable:
    """Read a delimited file (from `path`, or `data` when given). Raises UserError (French, naming file, line
    and field) for what makes the whole file unreadable; rows whose field count differs from the header's are
    left out and reported in `problems`. A field spanning several lines is an error unless `multiline`: in
    files without such fields it is the sign of a quote left open that swallowed the following lines."""
    if data is None:
        size = Path(path).stat().st_size
        if size > limits.upload_bytes:
            raise UserError(
                f"{name} : fichier trop volumineux ({size_text(size)} ; limite : {size_text(limits.upload_bytes)})"
            )
        data = Path(path).read_bytes()
    text, encoding = decode(data, name)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line, delimiters)
    # The whole text is in memory already: the csv module's own limit is lifted and fields are measured here,
    # so the message names the column.
    csv.field_size_limit(max(len(text) + 1, 131072))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not row or not "".join(row).strip():
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                if header and header[0].startswith("\ufeff"):
                    header[0] = header[0][1:]
                _check_header(header, name, start)
                continue
            if previous_end > start or max(map(len, row)) > limits.field_chars:
                _check_fields(row, header, name, start, previous_end, limits, multiline)
            if len(row) != len(header):
                problems.append(
                    Problem(
                        name,
                        start,
                        None,
                        f"{len(row)} champs au lieu de {len(header)} : un séparateur « {delimiter} » non protégé "
                        "par des guillemets décale les colonnes ; ligne écartée",
                        delimiter.join(row)[:120],
                    )
                )
                continue
            rows.append(row)
            lines.append(start)
            if len(rows) > limits.rows:
                raise UserError(
                    f"{name} : plus de {limits.rows} lignes (limite d'un import) ; découpez le fichier"
                )
    except csv.Error as exc:
        line = previous_end + 1
        if "end of data" in str(exc) or "EOF" in str(exc):
            raise UserError(
                f"{name}, ligne {line} : guillemet ouvert jamais refermé : la fin du fichier est atteinte dans "
                'un champ entre guillemets ; fermez le guillemet ou doublez-le ("") s\'il fait partie du texte'
            ) from exc
        raise UserError(
            f"{name}, ligne {line} : guillemet mal placé (un champ entre guillemets doit être suivi du "
            f'séparateur « {delimiter} » ou de la fin de ligne) ; doublez le guillemet ("") s\'il fait partie '
            "du texte"
        ) from exc
    if header is None:
        raise UserError(f"{name} : fichier vide (aucune ligne d'en-tête)")
    return TextTable(name, header, rows, lines, encoding, delimiter, problems)


def _check_header(header: list[str], name: str, line: int) -> None:
    empty = [i for i, column in enumerate(header, start=1) if not column]
    if empty and len(empty) == len(header):
        raise UserError(f"{name}, ligne {line} : en-tête vide")
    seen = set()
    for column in header:
        if column and column in seen:
            raise UserError(f"{name}, ligne {line} : colonne en double dans l'en-tête (« {column[:80]} »)")
        seen.add(column)


def _check_fields(row, header, name, start, end, limits: ImportLimits, multiline: bool) -> None:
    for index, cell in enumerate(row):
        column = header[index] if index < len(header) else f"n° {index + 1}"
        if len(cell) > limits.field_chars:
            raise UserError(
                f"{name}, ligne {start}, champ « {column} » : {len(cell)} caractères (limite : {limits.field_chars})"
            )
        if not multiline and end > start and ("\n" in cell or "\r" in cell):
            raise UserError(
                f"{name}, ligne {start}, champ « {column} » : le champ entre guillemets se poursuit jusqu'à la "
                f"ligne {end} : un guillemet n'est sans doute pas refermé ; fermez-le ou doublez-le (\"\") s'il "
                "fait partie du texte"
            )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    return str(value).strip()


def xlsx_sheets(path: Path, name: str, limits: ImportLimits) -> Iterator[list[tuple[int, list[str]]]]:
    """The sheets of an XLSX workbook, in order, each as its rows `(line, [cell text…])` (line numbers as the
    spreadsheet shows them, empty rows left out). A file over the size limit, a damaged workbook or a sheet
    over the row limit is refused with a French message naming the file."""
    from openpyxl import load_workbook

    size = path.stat().st_size
    if size > limits.upload_bytes:
        raise UserError(
            f"{name} : fichier trop volumineux ({size_text(size)} ; limite : {size_text(limits.upload_bytes)})"
        )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError or its own errors for a damaged file
        raise UserError(f"{name} : classeur XLSX illisible ({exc.__class__.__name__}).") from exc
    try:
        for sheet in workbook.worksheets:
            rows = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if not any(cells):
                    continue
                rows.append((number, cells))
                if len(rows) > limits.rows + 1:  # the header row and at most `limits.rows` rows of data
                    raise UserError(
                        f"{name} : plus de {limits.rows} lignes (limite d'un import) ; découpez le fichier"
                    )
            yield rows
    finally:
        workbook.close()
