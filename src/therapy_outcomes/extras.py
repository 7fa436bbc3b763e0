"""Optional parts of the package and the one way their libraries are imported.

The core install loads CSV folders, Excel workbooks, REDCap exports and Parquet folders, scores
them and renders HTML reports. The rest are extras of the distribution::

    pip install "therapy-outcomes[sql]"    # SQL databases (SQLAlchemy, psycopg for PostgreSQL)
    pip install "therapy-outcomes[fhir]"   # FHIR bundles and NDJSON in, FHIR Observations out
    pip install "therapy-outcomes[spss]"   # SPSS (.sav, .zsav) and Stata (.dta) files
    pip install "therapy-outcomes[pdf]"    # PDF reports (Playwright driving the system Chromium)
    pip install "therapy-outcomes[dask]"   # batch rendering on a Dask cluster
    pip install "therapy-outcomes[lab]"    # JupyterLab for the explorer notebook
    pip install "therapy-outcomes[all]"    # all of them

Code that needs an optional library imports it through :func:`require`, where it is used and
never at module level, so ``import therapy_outcomes`` and loading a CSV folder import none of
them. A missing library becomes one :class:`~therapy_outcomes.errors.MissingExtraError` that
names the extra, which the command line prints as one line with exit code 2.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from therapy_outcomes.errors import MissingExtraError

#: Extra -> its name in messages ("... needs the optional SQL support").
EXTRAS: dict[str, str] = {
    "sql": "SQL",
    "fhir": "FHIR",
    "spss": "SPSS/Stata",
    "pdf": "PDF",
    "dask": "Dask",
    "lab": "JupyterLab",
}


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module``, an optional library installed by ``extra``.

    Parameters
    ----------
    module : str
        The module to import (``"sqlalchemy"``, ``"fhir.resources.R4B"``).
    extra : str
        The extra that installs it, a key of :data:`EXTRAS`.
    what : str
        What the user asked for, the start of the message (``"reading sqlite:///x.db"``).

    Returns
    -------
    types.ModuleType
        The imported module.

    Raises
    ------
    MissingExtraError
        When the module, or a module it imports, is not installed.
    KeyError
        When ``extra`` is not one of :data:`EXTRAS` (a bug, whether or not the module is there).

    Examples
    --------
    >>> require("json", "sql", "reading x").__name__
    'json'
    >>> try:
    ...     require("no_such_module_here", "sql", "reading x.db")
    ... except MissingExtraError as err:
    ...     print(err)
    reading x.db needs the optional SQL support: pip install "therapy-outcomes[sql]"
    """
    support = EXTRAS[extra]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise MissingExtraError(what, extra, support, err.name or module) from err
