"""The source registry and the raw dataset every source produces."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.loading.readers import RawTable
from therapy_outcomes.loading.tables import TABLE_NAMES, TABLES


@dataclass
class RawDataset:
    """The raw tables of a dataset as read, before any check.

    Attributes
    ----------
    tables : dict
        Table name to :class:`~therapy_outcomes.loading.readers.RawTable`.
    digest : str
        SHA-256 of the raw input, for provenance.
    location : pathlib.Path, optional
        Where it was read from, when that is a path (a folder's own instrument definitions are
        looked up there).
    absent : list of str
        The tables not found (set from ``tables``).
    report : pandas.DataFrame, optional
        What a source that reads records of several kinds made of them (FHIR: resources per
        type read, used, rejected and skipped, and why); ``None`` when there is nothing to say.
    """

    tables: dict[str, RawTable]
    digest: str
    location: Path | None = None
    absent: list[str] = field(default_factory=list)
    report: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.absent = [name for name in TABLE_NAMES if name not in self.tables]
        for table in TABLES:
            if table.required and table.name not in self.tables:
                where = self.location if self.location is not None else "the source"
                raise DatasetReadError(
                    f"{where}: the {table.name} table is required ({table.name}.csv or a "
                    f"'{table.name}' sheet) and was not found"
                )

    def unreadable_rows(self) -> list[list[dict]]:
        """Reject records of rows that could not be split into columns, per table."""
        return [raw.unreadable for raw in self.tables.values() if raw.unreadable]


def digest_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of ``paths`` in sorted order.

    Examples
    --------
    >>> len(digest_files([]))
    64
    """
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Source:
    """A way of reading datasets.

    Parameters
    ----------
    name : str
        Short name shown in messages (``folder``, ``workbook``, ``fhir``, ``sql`` ...).
    matches : callable
        ``matches(location: str) -> bool``: whether this source reads the location.
    read : callable
        ``read(location: str) -> RawDataset``.
    locate : callable, optional
        ``locate(location: str) -> str``: the same location as any working folder reads it
        (a relative database file made absolute), for a notebook kernel that runs elsewhere.
        Default: the location as it is.
    """

    name: str
    matches: Callable[[str], bool]
    read: Callable[[str], RawDataset]
    locate: Callable[[str], str] | None = None


_SOURCES: list[Source] = []
_PLUGINS_LOADED = False


def register_source(source: Source, *, first: bool = False) -> None:
    """Add a source; ``first=True`` lets it take locations an earlier one would take.

    Examples
    --------
    >>> from therapy_outcomes.sources import sources
    >>> {"folder", "workbook"} <= {s.name for s in sources()}
    True
    """
    global _SOURCES
    _SOURCES = [s for s in _SOURCES if s.name != source.name]
    if first:
        _SOURCES.insert(0, source)
    else:
        _SOURCES.append(source)


def sources() -> list[Source]:
    """The registered sources in the order they are tried (plug-ins loaded on first use)."""
    global _PLUGINS_LOADED
    if not _PLUGINS_LOADED:
        _PLUGINS_LOADED = True
        for entry in entry_points(group="therapy_outcomes.sources"):
            register_source(entry.load())
    return list(_SOURCES)


def portable_location(location: str | Path) -> str:
    """``location`` as text that reads the same from any working folder.

    A location that a source with a ``locate`` takes is passed through it (``sqlite:///x.db``
    becomes ``sqlite:////abs/x.db``); any other location, a path included, is kept as it is
    (a path is resolved where it is read). Nothing is read or checked here: text, never a
    :class:`~pathlib.Path`, so a URL keeps its ``//``.

    Examples
    --------
    >>> portable_location("data/demo")
    'data/demo'
    >>> portable_location("postgresql://ann@db/clinic")
    'postgresql://ann@db/clinic'
    >>> portable_location("sqlite:///clinic.db") == f"sqlite:///{Path.cwd() / 'clinic.db'}"
    True
    """
    text = str(location)
    for source in sources():
        if source.matches(text):
            locate = getattr(source, "locate", None)
            return locate(text) if locate is not None else text
    return text


def read_source(location: str | Path) -> RawDataset:
    """Read ``location`` with the first source that matches it.

    Raises
    ------
    DatasetReadError
        When no source reads the location, or the chosen one cannot read it.
    """
    text = str(location)
    for source in sources():
        if source.matches(text):
            return source.read(text)
    path = Path(text)
    if not path.exists() and "://" not in text:
        raise DatasetReadError(f"{text}: no such folder or file")
    names = ", ".join(s.name for s in sources())
    raise DatasetReadError(f"{text}: not a dataset any source can read (sources: {names})")
