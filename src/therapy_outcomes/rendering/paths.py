"""Output paths that parameters cannot steer, files that are never left half-written, and
where the report notebooks are.

A client ID ends up in file names (``reports/C-0001.html``), so it is checked before it is
used: :func:`safe_id` accepts 1-64 letters, digits, ``_`` and ``-`` and nothing else (no
``..``, no slashes, no leading dot or hyphen, no Windows device names). A real name (a site is
free text: ``St Mary's Riverside``) is never used raw: :func:`safe_name` derives a stable,
collision-free file or figure name from it (an ID stays as it is). :func:`check_output_folder`
and :func:`check_output_file` refuse an output path before any work starts.

:func:`atomic_write` and :func:`atomic_output` write to a temporary file in the target's own
folder, flush it to disk and rename it over the target, so a reader sees either the old file
or the whole new one, and a failure leaves no file under the final name.

:func:`notebooks_folder` is where every report finds its notebook.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from therapy_outcomes.errors import ParameterError

__all__ = [
    "MAX_ID_LENGTH",
    "atomic_output",
    "atomic_write",
    "check_output_file",
    "check_output_folder",
    "notebooks_folder",
    "safe_id",
    "safe_name",
]

#: The longest ID :func:`safe_id` accepts.
MAX_ID_LENGTH = 64

_ID = re.compile(r"[A-Za-z0-9_-]+")
# Names Windows treats as devices whatever the extension (CON.html is the console).
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def safe_id(value: object, *, what: str = "ID") -> str:
    """Return ``value`` as a string that is safe to put in a file name, or raise.

    Parameters
    ----------
    value : str or int
        The ID, for example a client ID from a parameter or a table.
    what : str
        What the value is, for the message ("client ID").

    Returns
    -------
    str
        The ID, unchanged.

    Raises
    ------
    ParameterError
        One line naming the value, when it is empty, longer than 64 characters, holds anything
        other than ``A-Z a-z 0-9 _ -``, starts with ``-`` or is a Windows device name.

    Examples
    --------
    >>> safe_id("C-0001")
    'C-0001'
    >>> try:
    ...     safe_id("../x")
    ... except ParameterError as error:
    ...     print(error)
    ID '../x' is not allowed: use 1-64 letters, digits, '_' or '-'
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ParameterError(
            f"{what} {_shown(value)} is not allowed: it must be text, not {type(value).__name__}"
        )
    text = str(value)
    rule = f"use 1-{MAX_ID_LENGTH} letters, digits, '_' or '-'"
    if not text or len(text) > MAX_ID_LENGTH or not _ID.fullmatch(text):
        raise ParameterError(f"{what} {_shown(value)} is not allowed: {rule}")
    if text.startswith("-"):
        raise ParameterError(f"{what} {_shown(value)} is not allowed: it must not start with '-'")
    if text.upper() in _WINDOWS_DEVICES:
        raise ParameterError(f"{what} {_shown(value)} is not allowed: it is a device name")
    return text


def safe_name(value: object, *, what: str = "name") -> str:
    """A file or figure name for a real name: the name itself when it is a safe ID, else a slug
    and a short hash of the name.

    The same name always gives the same result, two names never give the same one (the hash
    is of the whole name), and the result passes :func:`safe_id`. The real name stays in the
    report's text; only the file name is derived.

    Parameters
    ----------
    value : str or int
        The name: a site (free text), a therapist ID, an instrument code ...
    what : str
        What the value is, for the message ("site").

    Returns
    -------
    str
        At most 64 letters, digits, ``_`` and ``-``.

    Raises
    ------
    ParameterError
        One line naming the value, when it is not text, is empty or blank, holds a control
        character or ``..`` (never a name, always a mistake or an attack).

    Examples
    --------
    >>> safe_name("North"), safe_name("PHQ-9")
    ('North', 'PHQ-9')
    >>> safe_name("St Mary's Riverside")
    'St-Mary-s-Riverside-adf8972f'
    >>> safe_name("Sankt Jürgen") == safe_name("Sankt Jurgen")
    False
    >>> try:
    ...     safe_name("../etc", what="site")
    ... except ParameterError as error:
    ...     print(error)
    site '../etc' is not allowed: it must not hold '..' or control characters
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ParameterError(
            f"{what} {_shown(value)} is not allowed: it must be text, not {type(value).__name__}"
        )
    text = str(value)
    if not text.strip():
        raise ParameterError(f"{what} {_shown(value)} is not allowed: it is empty")
    if ".." in text or any(unicodedata.category(c) == "Cc" for c in text):
        raise ParameterError(
            f"{what} {_shown(value)} is not allowed: it must not hold '..' or control characters"
        )
    try:
        return safe_id(text)
    except ParameterError:
        pass
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_text).strip("-_")[: MAX_ID_LENGTH - 9]
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{slug.rstrip('-_')}-{digest}" if slug else digest


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _default_mode() -> int:
    # mkstemp creates 0600 files; give the result the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike[str],
    *,
    text: bool = False,
    encoding: str = "utf-8",
    mode: int | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step.

    Parameters
    ----------
    path : path-like
        The final file. Its folder must exist.
    text : bool
        Yield a text file (with ``encoding`` and ``\\n`` line ends) instead of a binary one.
    encoding : str
        Encoding of a text file.
    mode : int, optional
        Permission bits of the final file; by default those a plain ``open()`` would give.

    Yields
    ------
    file object
        Write to it. When the ``with`` block raises, the temporary file is removed, ``path`` is
        left as it was, and the exception propagates.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> with atomic_output(target, text=True) as f:
    ...     _ = f.write("<p>done</p>")
    >>> target.read_text()
    '<p>done</p>'
    """
    final = Path(path)
    folder = final.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "w", encoding=encoding, newline="\n") if text else os.fdopen(fd, "wb")
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_folder(folder)


def atomic_write(
    path: str | os.PathLike[str], data: bytes | str, *, mode: int | None = None
) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "values.json"
    >>> atomic_write(target, '{"sessions": 6}').read_text()
    '{"sessions": 6}'
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)
    return Path(path)


def notebooks_folder() -> Path:
    """Where the report notebooks are: ``$THERAPY_OUTCOMES_NOTEBOOKS`` or the repository's.

    Examples
    --------
    >>> (notebooks_folder() / "client_progress.ipynb").name
    'client_progress.ipynb'
    """
    configured = os.environ.get("THERAPY_OUTCOMES_NOTEBOOKS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "notebooks"


def check_output_folder(folder: str | Path, out: str | Path, *, what: str = "reports") -> None:
    """Refuse an output ``folder`` (under ``out``) that could not be created or written.

    Nothing is created: the nearest folder that exists must be a folder this user may write.

    Raises
    ------
    ParameterError
        ``cannot write <what> to <out>: <path> is not a folder`` (or ``... is not
        writable``).

    Examples
    --------
    >>> import tempfile
    >>> check_output_folder(Path(tempfile.mkdtemp()) / "clients" / "C1", "reports")
    """
    _check_writable(Path(folder), f"cannot write {what} to {out}")


def check_output_file(path: str | Path) -> None:
    """Refuse an output file that could not be written: an existing folder, or a place under
    something that is not a writable folder. Nothing is created.

    Raises
    ------
    ParameterError
        ``cannot write <path>: it is a folder`` (or ``... <folder> is not a folder``, ``...
        <folder> is not writable``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_output_file(folder / "rejects.csv")
    >>> try:
    ...     check_output_file(folder)
    ... except ParameterError as error:
    ...     print(str(error).endswith("it is a folder"))
    True
    """
    target = Path(path)
    if target.is_dir():
        raise ParameterError(f"cannot write {target}: it is a folder")
    _check_writable(target.parent, f"cannot write {target}")


def _check_writable(folder: Path, refusal: str) -> None:
    """The nearest existing folder at or above ``folder`` must be a folder this user may write
    (``refusal: <path> is not a folder`` / ``... is not writable`` otherwise)."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise ParameterError(f"{refusal}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"{refusal}: {existing} is not writable")
