"""Readers of per-unit covariate files for screening: WEC EL-190, WEC equipment, generic CSV.

* WEC EL-190 "election statistics" (one row per reporting unit: registrants, ballots by voting
  technology, absentee ballots issued, returned and counted), summed to municipalities;
* the WEC voting-equipment list by municipality (tabulator and accessible equipment models);
* a generic covariate CSV: ``unit id`` (``COUNTY|MUNICIPALITY``) or ``county`` and ``name``,
  then one or more numeric columns.

Each reader returns a :class:`~papertally.screening.units.CovariateTable` keyed by
:func:`~papertally.screening.units.unit_key`. A bad cell raises :class:`InputFileError` naming
file, sheet, row and column; nothing is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from papertally.errors import InputFileError
from papertally.io.cells import cell_text, is_blank, parse_count
from papertally.io.naming import normalize_header
from papertally.io.tables import Cell, Sheet, Table, load_table
from papertally.screening.units import CovariateTable, is_main_part, normalise_name, unit_key

EL190_COLUMNS = {
    "registrants": "Registrants",
    "election_day_registrants": "Election Day Registrants",
    "total_ballots": "Total Ballots",
    "paper_ballots": "Paper Ballots",
    "optical_scan_ballots": "Optical Scan Ballots",
    "dre_ballots": "DRE",
    "automark_ballots": "Auto-Mark",
    "absentee_issued": "Absentee Issued",
    "absentee_returned": "Received by Election Day?",
    "absentee_counted": "Counted?",
    "absentee_rejected": "Rejected2",
    "absentee_late": "Late (Received after the election)",
}
"""Our name for each EL-190 column we keep, and the column's header in WEC's workbook."""

EQUIPMENT_COLUMNS = {
    "tabulator": "Optical/Digital Scan Tabulator (Vendor/Dealer-Model)",
    "accessible": "Accessible Voting Equipment Vendor/Dealer-Model",
}


def _find_header(table: Table, required: Sequence[str]) -> tuple[Sheet, int, dict[str, int]]:
    """Return the sheet, row index and column positions of the first row holding ``required``."""
    wanted = {normalize_header(name) for name in required}
    for sheet in table.sheets:
        for index, row in enumerate(sheet.rows[:50]):
            headers = {normalize_header(cell_text(c)): i for i, c in enumerate(row)}
            if wanted <= set(headers):
                return sheet, index, headers
    raise InputFileError(
        table.at(table.sheets[0]) if table.sheets else table.at(Sheet(None, [])),
        f"no header row with the columns {', '.join(repr(n) for n in required)}",
    )


def _text(table: Table, sheet: Sheet, index: int, row: list[Cell], column: int, name: str) -> str:
    """Return a required text cell, or raise an error naming it."""
    cell = row[column] if column < len(row) else ""
    text = cell_text(cell)
    if not text:
        raise InputFileError(table.at(sheet, index, name), "expected a name, found an empty cell")
    return text


def _data_rows(sheet: Sheet, header: int) -> list[tuple[int, list[Cell]]]:
    """Return the rows below the header that are not blank, with their 0-based indexes."""
    return [
        (i, row)
        for i, row in enumerate(sheet.rows[header + 1 :], start=header + 1)
        if any(not is_blank(c) for c in row)
    ]


def read_el190(path: str | Path) -> CovariateTable:
    """Read a WEC EL-190 workbook and sum its reporting units to municipalities.

    Adds ``hindi`` (the municipal code, as a label) and the counts of :data:`EL190_COLUMNS`.
    """
    table = load_table(path)
    sheet, header, columns = _find_header(
        table, ["County", "Municipality", *EL190_COLUMNS.values()]
    )
    result = CovariateTable(Path(path).name)
    code = columns.get(normalize_header("HINDI"))
    for index, row in _data_rows(sheet, header):
        county = _text(table, sheet, index, row, columns[normalize_header("County")], "County")
        muni_col = columns[normalize_header("Municipality")]
        key = unit_key(county, _text(table, sheet, index, row, muni_col, "Municipality"))
        result.locations.setdefault(key, table.at(sheet, index))
        if code is not None and code < len(row) and not is_blank(row[code]):
            result.set_label(key, "hindi", cell_text(row[code]).zfill(5))
        for ours, theirs in EL190_COLUMNS.items():
            position = columns[normalize_header(theirs)]
            cell: Cell = row[position] if position < len(row) else ""
            where = table.at(sheet, index, theirs)
            value = 0 if is_blank(cell) else parse_count(cell, where, "a number of ballots")
            result.add_number(key, ours, float(value))
    return result


def read_equipment(path: str | Path) -> CovariateTable:
    """Read WEC's voting-equipment list: each municipality's tabulator and accessible equipment.

    Adds the labels ``tabulator`` and ``accessible`` (``"None"`` where the list says so) and the
    municipal code ``hindi`` from the ``NAME - 01002`` form of the municipality column.
    """
    table = load_table(path)
    sheet, header, columns = _find_header(
        table, ["County", "Municipality", *EQUIPMENT_COLUMNS.values()]
    )
    result = CovariateTable(Path(path).name)
    for index, row in _data_rows(sheet, header):
        county = _text(table, sheet, index, row, columns[normalize_header("County")], "County")
        municipality = _text(
            table, sheet, index, row, columns[normalize_header("Municipality")], "Municipality"
        )
        key = unit_key(county, municipality)
        if key in result.locations:
            first = result.locations[key].row
            raise InputFileError(
                table.at(sheet, index, "Municipality"),
                f"{municipality!r} of {county!r} is listed twice (first on row {first})",
            )
        result.locations[key] = table.at(sheet, index)
        if is_main_part(municipality):
            result.set_label(key, "spans_counties", "yes")
        _, _, code = municipality.rpartition("-")
        if code.strip().isdigit():
            result.set_label(key, "hindi", code.strip().zfill(5))
        for ours, theirs in EQUIPMENT_COLUMNS.items():
            position = columns[normalize_header(theirs)]
            text = cell_text(row[position]) if position < len(row) else ""
            result.set_label(key, ours, text or "None")
    return result


def read_covariate_csv(path: str | Path) -> CovariateTable:
    """Read a generic covariate file: ``unit id`` or ``county`` + ``name``, then numeric columns.

    Every other column must hold a number in every row (blank cells are refused, so a missing
    value is never read as zero).
    """
    table = load_table(path)
    sheet = table.sheets[0]
    header_index = next(
        (i for i, row in enumerate(sheet.rows) if any(not is_blank(c) for c in row)), None
    )
    if header_index is None:
        raise InputFileError(table.at(sheet), "the file is empty")
    headers = [cell_text(c) for c in sheet.rows[header_index]]
    folded = [normalize_header(h) for h in headers]
    id_columns = {normalize_header(n) for n in ("unit id", "unit_id", "id", "county", "name")}
    if normalize_header("unit id") in folded or normalize_header("unit_id") in folded:
        id_at = folded.index(
            normalize_header("unit id") if "unit id" in folded else normalize_header("unit_id")
        )
        county_at = name_at = None
    elif normalize_header("county") in folded and normalize_header("name") in folded:
        id_at = None
        county_at, name_at = folded.index("county"), folded.index("name")
    else:
        raise InputFileError(
            table.at(sheet, header_index),
            "expected a 'unit id' column (COUNTY|MUNICIPALITY) or 'county' and 'name' columns",
        )
    values = [i for i, f in enumerate(folded) if f not in id_columns and headers[i]]
    if not values:
        raise InputFileError(table.at(sheet, header_index), "no value column after the unit id")
    result = CovariateTable(Path(path).name)
    for index, row in _data_rows(sheet, header_index):
        if id_at is not None:
            raw = _text(table, sheet, index, row, id_at, headers[id_at])
            county, sep, name = raw.partition("|")
            if not sep:
                raise InputFileError(
                    table.at(sheet, index, headers[id_at]),
                    f"expected COUNTY|MUNICIPALITY, found {raw!r}",
                )
        else:
            assert county_at is not None and name_at is not None
            county = _text(table, sheet, index, row, county_at, headers[county_at])
            name = _text(table, sheet, index, row, name_at, headers[name_at])
        key = unit_key(county, name)
        if key in result.locations:
            raise InputFileError(
                table.at(sheet, index),
                f"unit {normalise_name(name)!r} of {county!r} is given twice "
                f"(first on row {result.locations[key].row})",
            )
        result.locations[key] = table.at(sheet, index)
        for column in values:
            cell: Cell = row[column] if column < len(row) else ""
            result.add_number(
                key, headers[column], _number(table, sheet, index, headers[column], cell)
            )
    return result


def _number(table: Table, sheet: Sheet, index: int, column: str, cell: Cell) -> float:
    """Return a cell as a finite number, or raise an error naming it."""
    text = cell_text(cell).replace(",", "")
    try:
        value = float(text)
    except ValueError:
        found = "an empty cell" if not text else f"the text {text!r}"
        raise InputFileError(
            table.at(sheet, index, column), f"expected a number, found {found}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputFileError(
            table.at(sheet, index, column), f"expected a finite number, found {text!r}"
        )
    return value


def covariate_kind(path: str | Path) -> str | None:
    """Return ``"el190"``, ``"equipment"`` or ``"covariates"`` from a file's header, else ``None``.

    Lets a form take every file of a screening in one field: the header says what each is.
    """
    table = load_table(path)
    checks = (
        ("el190", ["County", "Municipality", *EL190_COLUMNS.values()]),
        ("equipment", ["County", "Municipality", *EQUIPMENT_COLUMNS.values()]),
        ("covariates", ["unit id"]),
        ("covariates", ["unit_id"]),
    )
    for kind, required in checks:
        try:
            _find_header(table, required)
        except InputFileError:
            continue
        return kind
    return None
