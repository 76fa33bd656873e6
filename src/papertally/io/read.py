"""Reading results files of any supported format into one election."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from papertally.bulk import cyclic_gc_paused
from papertally.errors import FileLocation, InputFileError, PapertallyError
from papertally.io.detect import (
    CLARITY_FORMAT,
    GENERIC_FORMAT,
    OPENELECTIONS_FORMAT,
    detect_table,
    structured_format,
)
from papertally.io.progress import ProgressCallback, RowProgress
from papertally.io.tables import Table, load_table, load_table_head
from papertally.io.wec import WEC_FORMAT, read_wec_report
from papertally.model import ImportResult

Reader = Callable[[Table, RowProgress], ImportResult]


def _readers() -> dict[str, Reader]:
    """Return the reader of each format."""
    from papertally.io.generic_csv import read_generic_csv
    from papertally.io.openelections import read_openelections_csv
    from papertally.io.wi_seb import WI_SEB_FORMAT, read_wi_seb

    return {
        WEC_FORMAT: read_wec_report,
        WI_SEB_FORMAT: read_wi_seb,
        OPENELECTIONS_FORMAT: read_openelections_csv,
        GENERIC_FORMAT: read_generic_csv,
    }


def read_results(
    paths: Sequence[str | Path],
    *,
    progress: ProgressCallback | None = None,
    strict: bool = False,
) -> ImportResult:
    """Read every file in ``paths``, each in the format its content shows, into one election.

    A folder stands for the results files in it (by name; hidden files and READMEs skipped).
    The elections of the files are merged (:meth:`Election.merge`): the first file names the
    election, and one count published as several files (one per county) becomes one count;
    a unit of one count found in two files is refused. A large OpenElections CSV is streamed.
    ``progress(done, total)`` is called as rows are processed. Any bad input raises
    :class:`InputFileError` and nothing is returned.

    A contest a file holds with conflicting figures (a unit listed twice) is left out and named
    in :attr:`ImportResult.errors` while the other contests are read; with ``strict`` it is
    refused like any bad input.
    """
    if not paths:
        raise PapertallyError("no results file given")
    with cyclic_gc_paused():
        result = _read_all(paths, progress)
    if strict and result.errors:
        raise InputFileError(result.errors[0].location, result.errors[0].message)
    return result


def _read_structured(path: Path, fmt: str) -> ImportResult:
    """Read an XML or JSON results file of format ``fmt``."""
    from papertally.io.clarity import read_clarity
    from papertally.io.nist_err import read_err_results

    return read_clarity(path) if fmt == CLARITY_FORMAT else read_err_results(path)


def _read_all(paths: Sequence[str | Path], progress: ProgressCallback | None) -> ImportResult:
    """Read and merge ``paths`` (see :func:`read_results`)."""
    files = expand_folders(paths)
    kinds = [structured_format(path) for path in files]
    heads = [load_table_head(p) if k is None else None for p, k in zip(files, kinds, strict=True)]
    formats = [
        detect_table(head) if head is not None else kind or ""
        for kind, head in zip(kinds, heads, strict=True)
    ]
    tables = [
        None
        if head is None
        else head
        if head.complete or fmt == OPENELECTIONS_FORMAT
        else load_table(head.path)
        for head, fmt in zip(heads, formats, strict=True)
    ]
    readers = _readers()
    rows = RowProgress(sum(1 if t is None else t.row_count for t in tables), progress)
    results = []
    done = 0
    for path, table, fmt in zip(files, tables, formats, strict=True):
        if table is None:
            results.append(_read_structured(path, fmt))
            done += 1
        else:
            results.append(readers[fmt](table, rows))
            done += table.row_count
        rows.finish(done)
    merged = results[0]
    for path, result in zip(files[1:], results[1:], strict=True):
        try:
            merged.election.merge(result.election)
        except PapertallyError as error:
            raise InputFileError(FileLocation(str(path)), str(error)) from None
        merged.files.extend(result.files)
        merged.formats.extend(result.formats)
        merged.warnings.extend(result.warnings)
        merged.errors.extend(result.errors)
    return merged


_SKIPPED_SUFFIXES = frozenset({".md", ".txt", ".pdf", ".zip", ".png", ".jpg"})


def expand_folders(paths: Sequence[str | Path]) -> list[Path]:
    """Return ``paths`` with each folder replaced by the results files in it, sorted by name.

    Files whose names start with ``.`` or ``README`` and documents and images are skipped, as
    are sub-folders. A folder with no results file in it is an error naming the folder.
    """
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)
            continue
        inside = sorted(
            p
            for p in path.iterdir()
            if p.is_file()
            and not p.name.startswith(".")
            and not p.name.casefold().startswith("readme")
            and p.suffix.casefold() not in _SKIPPED_SUFFIXES
        )
        if not inside:
            raise InputFileError(
                FileLocation(str(path)),
                "is a folder with no results file (.csv, .xls, .xlsx) in it",
            )
        found.extend(inside)
    return found


def read_results_file(
    path: str | Path, *, progress: ProgressCallback | None = None
) -> ImportResult:
    """Read one results file, in the format its content shows; see :func:`read_results`."""
    return read_results([path], progress=progress)
