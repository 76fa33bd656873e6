"""Read any mix of supported CVR exports (files, zips, folders) into one card collection.

Every file's format is detected from its content. Files that describe the cards (Dominion
manifests, ES&S Ballots files, Hart scanned ballot information) are read first, then the
card files in the order given. Each file read is recorded with its SHA-256. Inside a zip or
folder, files that cannot hold CVRs (images, PDFs, ...) are passed over; a data file whose
layout is unknown is refused. Reading either succeeds completely or raises, so no half-read
collection is ever returned.
"""

from __future__ import annotations

import multiprocessing
import os
import zipfile
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from papertally.errors import FileLocation, InputFileError, PapertallyError
from papertally.io.cvr.clearballot import read_clear_ballot
from papertally.io.cvr.common import CVR_FORMATS, CvrFormat, InputPart, list_parts, sha256_file
from papertally.io.cvr.detect import Detected, detect
from papertally.io.cvr.dominion_csv import read_dominion_csv
from papertally.io.cvr.dominion_json import DominionCatalog, read_dominion_json, read_manifest
from papertally.io.cvr.ess import EssBallot, read_ess_ballots, read_ess_cvr
from papertally.io.cvr.generic_csv import read_generic_csv
from papertally.io.cvr.hart import HartScan, read_hart_xml, read_scanned_ballot_information
from papertally.io.cvr.nist import read_nist_json, read_nist_xml
from papertally.io.progress import ProgressCallback, RowProgress
from papertally.model.cards import CardCollection, SourceFile

DATA_SUFFIXES = frozenset({".json", ".xml", ".csv", ".txt", ".xls", ".xlsx", ".xlsm"})
"""Inside zips and folders, only files with these suffixes are looked at."""

PARALLEL_MIN_FILES = 8
"""Dominion exports of at least this many JSON files are read by several processes."""


class _Sources:
    """Registers each file read once, with its hash, and hands out its index."""

    def __init__(
        self, collection: CardCollection, known: dict[Path, SourceFile] | None = None
    ) -> None:
        self.collection = collection
        self.index: dict[Path, int] = {}
        self.known = known or {}
        """Sources already hashed (by the parent process), by path."""

    def of(self, part: InputPart, detected: Detected) -> int:
        """Return the index of ``part``'s file among the sources, hashing it when new."""
        found = self.index.get(part.path)
        if found is None:
            source = self.known.get(part.path) or SourceFile(
                str(part.path), sha256_file(part.path), detected.format.value, detected.version
            )
            for other in self.collection.sources:
                if other.sha256 == source.sha256 and detected.format in CVR_FORMATS:
                    raise part.error(
                        f"this file has the same content (SHA-256) as {other.path}; "
                        "each CVR file must be given once (its cards would count twice)"
                    )
            found = self.index[part.path] = self.collection.add_source(source)
        else:
            known = self.collection.sources[found]
            if known.format not in CVR_FORMATS and detected.format in CVR_FORMATS:
                self.collection.sources[found] = SourceFile(
                    known.path, known.sha256, detected.format.value, detected.version
                )
        return found


class _Archives:
    """Keeps the zip archive last read from open, so its directory is parsed once."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.archive: zipfile.ZipFile | None = None

    def of(self, part: InputPart) -> zipfile.ZipFile | None:
        """Return the open archive holding ``part``, or ``None`` for a plain file."""
        if part.member is None:
            return None
        if self.path != part.path:
            self.close()
            self.archive = zipfile.ZipFile(part.path)
            self.path = part.path
        return self.archive

    def close(self) -> None:
        """Close the open archive, if any."""
        if self.archive is not None:
            self.archive.close()
        self.archive = self.path = None

    def __enter__(self) -> _Archives:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


Skipped = tuple[str, str]
"""A file of a folder or zip passed over: its name (``archive.zip!member``) and why."""


def plan_files(
    paths: Sequence[str | Path], skipped: list[Skipped] | None = None
) -> list[tuple[InputPart, Detected]]:
    """Return every file to read under ``paths`` with its detected format, in reading order.

    Inside a folder or zip, files that cannot hold CVRs (images, PDFs) are passed over. With
    a ``skipped`` list, so are data files of no known layout (a README, a ballot manifest
    beside the CVRs), and every file passed over is added to the list with the reason: the
    caller must show it. Without one, such a file is refused, as a file named alone always is.
    """
    planned: list[tuple[InputPart, Detected]] = []
    for given in paths:
        path = Path(given)
        parts = list_parts(path)
        if not parts:
            raise InputFileError(FileLocation(str(path)), "no files in it")
        inside = path.is_dir() or len(parts) > 1 or parts[0].member is not None
        with _Archives() as archives:
            for part in parts:
                if inside and Path(part.name).suffix.lower() not in DATA_SUFFIXES:
                    if skipped is not None:
                        skipped.append((_shown(path, part), "not a data file"))
                    continue
                try:
                    planned.append((part, detect(part, archives.of(part))))
                except InputFileError as error:
                    if not inside or skipped is None:
                        raise
                    skipped.append((_shown(path, part), error.problem.split("; ", 1)[0]))
    describing = {CvrFormat.DOMINION_MANIFEST, CvrFormat.ESS_BALLOTS, CvrFormat.HART_BALLOT_INFO}
    first = [p for p in planned if p[1].format in describing]
    return first + [p for p in planned if p[1].format not in describing]


def _shown(container: Path, part: InputPart) -> str:
    """Return how to name ``part`` of a folder or zip to the user: its path inside it."""
    if part.member is not None:
        return part.display
    try:
        return str(part.path.relative_to(container))
    except ValueError:
        return part.path.name


def read_cvrs(
    paths: Sequence[str | Path],
    *,
    name: str = "",
    workers: int | None = None,
    skipped: list[Skipped] | None = None,
    progress: ProgressCallback | None = None,
) -> CardCollection:
    """Read CVR exports of any supported vendor (files, zips or folders) into a collection.

    ``name`` names the collection (e.g. the county). Large Dominion JSON exports are read by
    ``workers`` processes (default: the machine's cores, at most 4), each file whole, and
    merged in file order. ``skipped`` collects the files of folders and zips passed over (see
    :func:`plan_files`); ``progress(done, total)`` is told the files read so far. Raises
    :class:`InputFileError` naming the file, record and key or column at the first problem;
    never returns partial data.
    """
    collection = CardCollection(name)
    sources = _Sources(collection)
    catalog = DominionCatalog()
    ess_ballots: dict[str, EssBallot] = {}
    hart_scans: dict[str, HartScan] = {}
    registered = False
    planned = plan_files(paths, skipped)
    done = RowProgress(len(planned), progress, every=1)
    workers = workers or min(os.cpu_count() or 1, 4)
    position = 0
    while position < len(planned):
        part, detected = planned[position]
        fmt = detected.format
        if fmt is CvrFormat.DOMINION_MANIFEST:
            sources.of(part, detected)
            read_manifest(part, catalog)
        elif fmt is CvrFormat.ESS_BALLOTS:
            sources.of(part, detected)
            read_ess_ballots(part, ess_ballots)
        elif fmt is CvrFormat.HART_BALLOT_INFO:
            sources.of(part, detected)
            read_scanned_ballot_information(part, hart_scans)
        else:
            if not registered:
                catalog.register(collection)
                registered = True
            if fmt is CvrFormat.DOMINION_JSON:
                run = position
                while run < len(planned) and planned[run][1].format is CvrFormat.DOMINION_JSON:
                    run += 1
                dominion = planned[position:run]
                if (
                    workers > 1
                    and len(dominion) >= PARALLEL_MIN_FILES
                    and "fork" in multiprocessing.get_all_start_methods()
                ):
                    known = {p.path: collection.sources[sources.of(p, d)] for p, d in dominion}
                    _read_dominion_parallel(dominion, collection, catalog, workers, known, done)
                else:
                    with _Archives() as archives:
                        for dominion_part, dominion_detected in dominion:
                            source = sources.of(dominion_part, dominion_detected)
                            data = dominion_part.read_bytes(archives.of(dominion_part))
                            read_dominion_json(dominion_part, collection, catalog, source, data)
                            done.step()
                position = run
                continue
            _read_one(
                part, detected, collection, sources.of(part, detected), ess_ballots, hart_scans
            )
        done.step()
        position += 1
    done.finish(len(planned))
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


def _read_one(
    part: InputPart,
    detected: Detected,
    collection: CardCollection,
    source: int,
    ess_ballots: dict[str, EssBallot],
    hart_scans: dict[str, HartScan],
) -> None:
    """Read one card file of a format other than Dominion JSON."""
    fmt = detected.format
    if fmt is CvrFormat.DOMINION_CSV:
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


_WorkerResult = tuple[CardCollection | None, FileLocation | None, str | None]


def _read_dominion_chunk(
    chunk: list[tuple[InputPart, Detected]],
    catalog: DominionCatalog,
    known: dict[Path, SourceFile],
) -> _WorkerResult:
    """Read some Dominion JSON files in a worker process; return the cards or the error."""
    collection = CardCollection()
    catalog.register(collection)
    sources = _Sources(collection, known)
    try:
        with _Archives() as archives:
            for part, detected in chunk:
                data = part.read_bytes(archives.of(part))
                read_dominion_json(part, collection, catalog, sources.of(part, detected), data)
    except InputFileError as error:
        return None, error.location, error.problem
    except PapertallyError as error:
        return None, None, str(error)
    return collection, None, None


def _read_dominion_parallel(
    parts: list[tuple[InputPart, Detected]],
    collection: CardCollection,
    catalog: DominionCatalog,
    workers: int,
    known: dict[Path, SourceFile],
    done: RowProgress,
) -> None:
    """Read Dominion JSON files with ``workers`` processes, merging in file order."""
    chunk_count = min(len(parts), max(workers * 4, len(parts) // 64))
    size = -(-len(parts) // chunk_count)
    chunks = [parts[i : i + size] for i in range(0, len(parts), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        # A window of submitted chunks keeps finished-but-unmerged results few (memory).
        pending: deque[Future[_WorkerResult]] = deque()
        merged = 0
        upcoming = iter(chunks)
        for chunk in islice(upcoming, workers * 2):
            pending.append(pool.submit(_read_dominion_chunk, chunk, catalog, known))
        while pending:
            cards, location, problem = pending.popleft().result()
            if cards is None:
                pool.shutdown(cancel_futures=True)
                if location is not None:
                    raise InputFileError(location, problem or "")
                raise PapertallyError(problem or "a CVR file could not be read")
            collection.extend(cards)
            del cards
            done.step(len(chunks[merged]))
            merged += 1
            for chunk in islice(upcoming, 1):
                pending.append(pool.submit(_read_dominion_chunk, chunk, catalog, known))
