"""Take the machine out of an executed notebook before it is written beside a report.

An executed notebook holds absolute paths (papermill's input and output paths, parameters,
warnings, tracebacks through the virtual environment), and through them the user's name and
folder layout. :func:`scrub_notebook` rewrites every string in the notebook's metadata, cell
sources and outputs:

- a path inside one of the *bases* (the kernel's working folder, the output folder, the
  notebook's folder, the project) becomes relative to that base (``data/demo``);
- a path inside the Python environment becomes ``site-packages/...`` or ``python/...``;
- a path in the home folder becomes ``~/...``, in the temporary folder ``tmp/...``;
- any other absolute path under ``/home``, ``/root``, ``/tmp``, ``/Users``, ``/var/folders``
  (or ``C:\\Users``) keeps only its last part;
- the host name (as a whole word) becomes ``<host>``, and the user name ``<user>`` where it
  names a person (in ``user@host``, or as a word when it is not a generic account name);
- papermill's ``input_path``/``output_path`` become file names, and the cell papermill
  inserts gets the fixed id ``injected-parameters``.

Base64 images and plotly's base64 typed arrays (``{"dtype", "bdata"}``) are left alone: a
``/tmp`` or a host name inside base64 is not one.
"""

from __future__ import annotations

import copy
import getpass
import os
import re
import site
import socket
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["Scrubber", "scrub_notebook", "scrub_text"]

# A path character run; stops at quotes, spaces, brackets, colons before line numbers stay.
_PATH_TAIL = r"(?:/[^\s'\"<>()\[\]{},;:|`*?\\]*)*"
_SENSITIVE_ROOTS = r"(?:home|root|tmp|Users|private|var/folders|var/tmp|mnt|media|run/user)"
# Start of an absolute path: not inside a word or another path, but after "file://".
_BEFORE_PATH = r"(?:(?<=file://)|(?<![/\w.~-]))"
_LEFTOVER = re.compile(rf"{_BEFORE_PATH}/{_SENSITIVE_ROOTS}(?=/|\b){_PATH_TAIL}")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_WINDOWS_USER = re.compile(
    r"(?i)\b[a-z]:[\\/]+(?:users|documents and settings)[\\/]+[^\\/\s'\"<>]+"
)
_BINARY_MIMETYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
_GENERIC_USERS = frozenset(
    {"root", "user", "admin", "jovyan", "runner", "ubuntu", "debian", "nobody", "vscode"}
)


def _real(path: str | os.PathLike[str] | None) -> list[str]:
    """The path as given and resolved (both can show up in text), without a trailing slash."""
    if not path:
        return []
    out = []
    for candidate in (os.path.abspath(path), os.path.realpath(path)):
        candidate = candidate.rstrip("/") or "/"
        if candidate != "/" and candidate not in out:
            out.append(candidate)
    return out


def _project_root() -> Path | None:
    # The checkout this package runs from (src/therapy_outcomes/rendering/scrub.py -> root).
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


class Scrubber:
    """Rewrites machine-specific text; see the module docstring for the rules.

    Parameters
    ----------
    bases : iterable of path-like
        Folders whose paths become relative (most specific wins).
    hostname, username : str, optional
        Default to this machine's.
    """

    def __init__(
        self,
        bases: Iterable[str | os.PathLike[str] | None] = (),
        *,
        hostname: str | None = None,
        username: str | None = None,
    ) -> None:
        rules: list[tuple[str, str]] = []  # (absolute prefix, replacement prefix)
        for base in [*bases, os.getcwd(), _project_root()]:
            rules += [(p, "") for p in _real(base)]
        env_dirs: list[str | None] = [*site.getsitepackages(), site.getusersitepackages()]
        env_dirs += [sysconfig.get_paths().get("purelib"), sysconfig.get_paths().get("platlib")]
        for d in env_dirs:
            rules += [(p, "site-packages") for p in _real(d)]
        for d in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
            rules += [(p, "python") for p in _real(d)]
        rules += [(p, "~") for p in _real(os.path.expanduser("~"))]
        rules += [(p, "tmp") for p in _real(tempfile.gettempdir())]
        # Longest prefix first, so /work/main/notebooks wins over /work/main.
        seen: dict[str, str] = {}
        for prefix, repl in sorted(rules, key=lambda r: -len(r[0])):
            seen.setdefault(prefix, repl)
        self._rules = list(seen.items())
        self._prefix_re = (
            re.compile(
                rf"{_BEFORE_PATH}(?P<prefix>"
                + "|".join(re.escape(prefix) for prefix, _ in self._rules)
                + r")(?:(?P<slash>/)|(?![\w.@+-]))"
            )
            if self._rules
            else None
        )
        self._replacement = dict(self._rules)

        host = hostname if hostname is not None else socket.gethostname()
        hosts = {h for h in {host, host.split(".")[0]} if h and h != "localhost"}
        self._host_re = (
            re.compile(
                r"(?<![\w.-])(?:"
                + "|".join(re.escape(h) for h in sorted(hosts, key=len, reverse=True))
                + r")(?![\w-])"
            )
            if hosts
            else None
        )
        user = username if username is not None else _username()
        self._user = user
        self._user_at_re = re.compile(rf"\b{re.escape(user)}@") if user else None
        self._user_word_re = (
            re.compile(rf"(?<![\w.-]){re.escape(user)}(?![\w-])")
            if user and len(user) >= 3 and user.lower() not in _GENERIC_USERS
            else None
        )

    # -- text --------------------------------------------------------------------------
    def _replace_prefix(self, match: re.Match[str]) -> str:
        prefix, slash = match.group("prefix"), match.group("slash")
        repl = self._replacement[prefix]
        if slash:
            return f"{repl}/" if repl else ""
        return repl or "."

    def text(self, value: str) -> str:
        """``value`` with paths, host and user names rewritten (ANSI colour codes kept)."""
        if not value:
            return value
        if "\x1b[" in value:
            parts = _ANSI.split(value)
            codes = _ANSI.findall(value)
            out = [self._plain_text(parts[0])]
            for code, part in zip(codes, parts[1:], strict=True):
                out += [code, self._plain_text(part)]
            return "".join(out)
        return self._plain_text(value)

    def _plain_text(self, value: str) -> str:
        out = value
        if self._prefix_re is not None and "/" in out:
            out = self._prefix_re.sub(self._replace_prefix, out)
        if "/" in out:
            out = _LEFTOVER.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], out)
        if "\\" in out or ":/" in out:
            out = _WINDOWS_USER.sub("<user-folder>", out)
        if self._user_at_re is not None:
            out = self._user_at_re.sub("<user>@", out)
        if self._user_word_re is not None:
            out = self._user_word_re.sub("<user>", out)
        if self._host_re is not None:
            out = self._host_re.sub("<host>", out)
        return out

    def value(self, value: Any) -> Any:
        """Every string inside ``value`` (dicts, lists) rewritten; keys kept."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            if "bdata" in value and "dtype" in value:  # plotly's base64 typed array
                return dict(value)
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    # -- notebook ----------------------------------------------------------------------
    def notebook(self, nb: Any) -> Any:
        """A scrubbed deep copy of notebook ``nb`` (a NotebookNode or a plain dict)."""
        nb = copy.deepcopy(nb)
        meta = nb.get("metadata", {})
        pm = meta.get("papermill")
        if isinstance(pm, MutableMapping):
            for key in ("input_path", "output_path"):
                if pm.get(key):
                    pm[key] = os.path.basename(str(pm[key]))
        for key in list(meta):
            meta[key] = _node_like(meta[key], self.value(meta[key]))
        for cell in nb.get("cells", []):
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags and "id" in cell:
                cell["id"] = "injected-parameters"
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            cell["source"] = self.text(source)
            cell["metadata"] = _node_like(
                cell.get("metadata", {}), self.value(cell.get("metadata", {}))
            )
            for output in cell.get("outputs", []):
                self._output(output)
        return nb

    def _output(self, output: Any) -> None:
        kind = output.get("output_type")
        if kind == "stream":
            output["text"] = self.text(_joined(output.get("text", "")))
        elif kind == "error":
            output["evalue"] = self.text(output.get("evalue", ""))
            output["traceback"] = [self.text(line) for line in output.get("traceback", [])]
        if "metadata" in output:
            output["metadata"] = _node_like(output["metadata"], self.value(output["metadata"]))
        data = output.get("data")
        if isinstance(data, MutableMapping):
            for mimetype in list(data):
                if mimetype in _BINARY_MIMETYPES:
                    continue
                item = data[mimetype]
                if isinstance(item, list) and all(isinstance(x, str) for x in item):
                    item = "".join(item)
                data[mimetype] = _node_like(item, self.value(item))
            self._redraw_figure(output)

    def _redraw_figure(self, output: Any) -> None:
        """A :func:`.display.show` figure's HTML made again from its scrubbed JSON (its
        base64 arrays must not go through text rewriting)."""
        from therapy_outcomes.rendering.display import (
            FIGURE_MIMETYPE,
            METADATA_KEY,
            figure_html,
            figure_spec,
        )

        data = output["data"]
        meta = output.get("metadata", {}).get(METADATA_KEY) or {}
        name = meta.get("figure")
        if FIGURE_MIMETYPE not in data or "text/html" not in data or not isinstance(name, str):
            return
        try:
            data["text/html"] = figure_html(  # text escaped again: "<host>" is text too
                figure_spec(dict(data[FIGURE_MIMETYPE])), name, caption=meta.get("caption")
            )
        except ValueError:  # a name show() would not have made; keep the scrubbed text
            pass


def _joined(text: Any) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def _node_like(original: Any, value: Any) -> Any:
    """``value`` as a NotebookNode when ``original`` was one (attribute access keeps working)."""
    if type(original).__name__ == "NotebookNode":
        from nbformat import from_dict

        return from_dict(value)
    return value


def _username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no user database entry
        return ""


def scrub_text(text: str, bases: Iterable[str | os.PathLike[str] | None] = ()) -> str:
    """``text`` with this machine's paths, host and user names rewritten (see module doc)."""
    return Scrubber(bases).text(text)


def scrub_notebook(nb: Any, bases: Iterable[str | os.PathLike[str] | None] = ()) -> Any:
    """A scrubbed copy of executed notebook ``nb``; ``bases`` become relative roots."""
    return Scrubber(bases).notebook(nb)
