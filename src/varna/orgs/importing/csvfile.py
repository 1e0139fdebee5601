"""Reading an HR export: the CSV file, its rows and cells, and the errors found in it.

Rows are numbered as Excel shows them (the header is row 1); errors and summaries are in Swedish.
"""

import csv
import re
import sys
import unicodedata
from collections.abc import Generator, Iterable, Iterator
from datetime import date
from itertools import chain
from pathlib import Path

from django.db import models
from django.utils import translation
from tqdm import tqdm

DEFAULT_MAX_ERRORS = 1000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ImportRejected(Exception):
    """The file has errors, so nothing was imported."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        super().__init__(self.report())

    def report(self) -> str:
        """The errors as the command prints them, in Swedish."""
        lines = [f"Filen importerades inte eftersom den har {_count(self.total, 'fel', 'fel')}:"]
        lines += self.errors
        hidden = self.total - len(self.errors)
        if hidden > 0:
            lines.append(f"… och {hidden} fel till (visa alla med --max-errors 0).")
        return "\n".join(lines)


class _Errors:
    """Errors found while checking a file; keeps the first `limit` (0: all) and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.found: list[tuple[int, str]] = []
        self.total = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if not self.limit or len(self.found) < self.limit:
            self.found.append((line, f"Rad {line}: {message}" if line else message))

    def raise_if_any(self) -> None:
        if self.total:
            ordered = sorted(self.found, key=lambda error: error[0])
            raise ImportRejected([message for _line, message in ordered], self.total)


def _count(n: int, one: str, many: str) -> str:
    """'1 ny enhet', '12 nya enheter', '1 000 000 nya personer'."""
    return f"{n:,}".replace(",", " ") + " " + (one if n == 1 else many)


def _fold(text: str) -> str:
    """Lower case without diacritics, '_' and '-' as spaces: 'Förvaltning' -> 'forvaltning'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("_", " ").replace("-", " ").split())


def _aliases(choices: type[models.TextChoices], names: dict[str, str]) -> dict[str, str]:
    """Every spelling we accept for a choice: its value, Swedish name and English label."""
    aliases: dict[str, str] = {}
    with translation.override("en"):
        for value, label in choices.choices:
            for alias in (value, str(label), names[value]):
                aliases[_fold(alias)] = value
    return aliases


def _progress[T](
    items: Iterable[T], *, show: bool, desc: str, total: int | None = None
) -> Iterable[T]:
    # disable=None lets tqdm hide itself when stderr is not a terminal (cron, CI, tests).
    return tqdm(
        items,
        desc=desc,
        total=total,
        unit=" rader",
        unit_scale=True,
        file=sys.stderr,
        disable=None if show else True,
        mininterval=0.5,
    )


def _records(path: Path) -> Generator[tuple[int, list[str]]]:
    """(row number, cells) for every row, header included; UTF-8 with or without BOM."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportRejected([f"Filen {path} kan inte läsas: {error.strerror}."]) from None
    line = 0
    with handle:
        try:
            header = handle.readline()
            # Swedish Excel writes ';', most other tools ','. The header decides.
            delimiter = max(";,\t", key=header.count)
            reader = csv.reader(chain([header], handle), delimiter=delimiter)
            for line, cells in enumerate(reader, start=1):
                yield line, cells
        except UnicodeDecodeError:
            raise ImportRejected(
                [
                    f"Rad {_undecodable_line(path) or line + 1}: filen är inte sparad som UTF-8. "
                    'Spara den från Excel som "CSV UTF-8 (kommaavgränsad)".'
                ]
            ) from None
        except csv.Error as error:
            raise ImportRejected(
                [f"Rad {line + 1}: raden kan inte läsas som CSV ({error})."]
            ) from None


def _undecodable_line(path: Path) -> int | None:
    """The first line that is not UTF-8. The text reader decodes ahead of the rows it returns,
    so the row being read when decoding fails is often above the bad byte. (A line, not a CSV
    row: the two differ only after a quoted cell that spans lines.)"""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _read_header(
    records: Iterator[tuple[int, list[str]]], required: Iterable[str]
) -> dict[str, int]:
    """Column name -> index, names compared without case; rejects a file missing a column."""
    try:
        _line, cells = next(records)
    except StopIteration:
        raise ImportRejected(["Filen är tom."]) from None
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").casefold()
        if name:
            columns.setdefault(name, index)
    missing = [name for name in required if name not in columns]
    if missing:
        present = ", ".join(columns) or "inga"
        raise ImportRejected(
            [f'Rad 1: kolumnen "{name}" saknas (filen har: {present}).' for name in missing]
        )
    return columns


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _is_blank(cells: list[str]) -> bool:
    # Excel leaves rows of bare delimiters after the data.
    return not "".join(cells).strip()


def _date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _file_stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns
