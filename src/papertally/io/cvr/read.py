"""Read any mix of supported CVR exports (files, zips, folders) into one card collection.

Every file's format is detected from its content. Files that describe the cards (Dominion
manifests, ES&S Ballots files, Hart scanned ballot information) are read first, then the
card files in the order given. Each file read is recorded with its SHA-256. Inside a zip or
folder, files that cannot hold CVRs (images, PDFs, ...) are passed over; a data file whose
layout is unknown is refused. Reading either succeeds completely or raises, so no half-read
collection is ever returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from papertally.errors import FileLocation, InputFileError
from papertally.io.cvr.clearballot import read_clear_ballot
from papertally.io.cvr.common import CVR_FORMATS, CvrFormat, InputPart, list_parts, sha256_file
from papertally.io.cvr.detect import Detected, detect
from papertally.io.cvr.dominion_csv import read_dominion_csv
from papertally.io.cvr.dominion_json import DominionCatalog, read_dominion_json, read_manifest
from papertally.io.cvr.ess import EssBallot, read_ess_ballots, read_ess_cvr
from papertally.io.cvr.generic_csv import read_generic_csv
from papertally.io.cvr.hart import HartScan, read_hart_xml, read_scanned_ballot_information
from papertally.io.cvr.nist import read_nist_json, read_nist_xml
from papertally.model.cards import CardCollection, SourceFile

DATA_SUFFIXES = frozenset({".json", ".xml", ".csv", ".txt", ".xlsx", ".xlsm"})
"""Inside zips and folders, only files with these suffixes are looked at."""


class _Sources:
    """Registers each file read once, with its hash, and hands out its index."""

    def __init__(self, collection: CardCollection) -> None:
        self.collection = collection
        self.index: dict[Path, int] = {}

    def of(self, part: InputPart, detected: Detected) -> int:
        found = self.index.get(part.path)
        if found is None:
            source = SourceFile(
                str(part.path), sha256_file(part.path), detected.format.value, detected.version
            )
            found = self.index[part.path] = self.collection.add_source(source)
        else:
            known = self.collection.sources[found]
            if known.format not in CVR_FORMATS and detected.format in CVR_FORMATS:
                self.collection.sources[found] = SourceFile(
                    known.path, known.sha256, detected.format.value, detected.version
                )
        return found


def plan_files(paths: Sequence[str | Path]) -> list[tuple[InputPart, Detected]]:
    """Return every file to read under ``paths`` with its detected format, in reading order."""
    planned: list[tuple[InputPart, Detected]] = []
    for given in paths:
        path = Path(given)
        parts = list_parts(path)
        if not parts:
            raise InputFileError(FileLocation(str(path)), "no files in it")
        inside = path.is_dir() or len(parts) > 1 or parts[0].member is not None
        for part in parts:
            if inside and Path(part.name).suffix.lower() not in DATA_SUFFIXES:
                continue
            planned.append((part, detect(part)))
    describing = {CvrFormat.DOMINION_MANIFEST, CvrFormat.ESS_BALLOTS, CvrFormat.HART_BALLOT_INFO}
    first = [p for p in planned if p[1].format in describing]
    return first + [p for p in planned if p[1].format not in describing]


def read_cvrs(paths: Sequence[str | Path], *, name: str = "") -> CardCollection:
    """Read CVR exports of any supported vendor (files, zips or folders) into a collection.

    ``name`` names the collection (e.g. the county). Raises :class:`InputFileError` naming
    the file, record and key or column at the first problem; never returns partial data.
    """
    collection = CardCollection(name)
    sources = _Sources(collection)
    catalog = DominionCatalog()
    ess_ballots: dict[str, EssBallot] = {}
    hart_scans: dict[str, HartScan] = {}
    registered = False
    for part, detected in plan_files(paths):
        fmt = detected.format
        source = sources.of(part, detected)
        if fmt is CvrFormat.DOMINION_MANIFEST:
            read_manifest(part, catalog)
            continue
        if fmt is CvrFormat.ESS_BALLOTS:
            read_ess_ballots(part, ess_ballots)
            continue
        if fmt is CvrFormat.HART_BALLOT_INFO:
            read_scanned_ballot_information(part, hart_scans)
            continue
        if not registered:
            catalog.register(collection)
            registered = True
        if fmt is CvrFormat.DOMINION_JSON:
            read_dominion_json(part, collection, catalog, source)
        elif fmt is CvrFormat.DOMINION_CSV:
            read_dominion_csv(part, collection, source)
        elif fmt is CvrFormat.ESS_CVR:
            read_ess_cvr(part, collection, source, ess_ballots)
        elif fmt is CvrFormat.HART_XML:
            read_hart_xml(part, collection, source, hart_scans)
        elif fmt is CvrFormat.CLEAR_BALLOT:
            read_clear_ballot(part, collection, source)
        elif fmt is CvrFormat.NIST_JSON:
            read_nist_json(part, collection, source)
        elif fmt is CvrFormat.NIST_XML:
            read_nist_xml(part, collection, source)
        elif fmt is CvrFormat.GENERIC_CSV:
            read_generic_csv(part, collection, source)
    if not any(s.format in CVR_FORMATS for s in collection.sources):
        shown = ", ".join(str(p) for p in paths) or "nothing"
        raise InputFileError(
            FileLocation(shown), "no cast vote record file found (only manifests or lists)"
        )
    if ess_ballots and not any(s.format == CvrFormat.ESS_CVR for s in collection.sources):
        raise InputFileError(
            FileLocation(", ".join(str(p) for p in paths)),
            "ES&S Ballots files were given without the ES&S CVR file they describe",
        )
    return collection
