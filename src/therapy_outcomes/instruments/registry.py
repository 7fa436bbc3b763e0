"""The instrument registry: instruments by code and alias, the shipped ones and a dataset's own.

:func:`default_registry` loads the YAML files in ``definitions/``;
:meth:`Registry.with_definitions` adds or replaces instruments from a user's YAML files.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from therapy_outcomes.instruments.definition import (
    Instrument,
    InstrumentDefinitionError,
    UnknownInstrumentError,
    normalise_code,
)
from therapy_outcomes.instruments.yaml_schema import load_definition_files, load_definition_text

__all__ = ["Registry", "default_registry"]


class Registry:
    """Instruments by canonical code, with case- and punctuation-insensitive alias look-up.

    Parameters
    ----------
    instruments : iterable of Instrument
        Later instruments replace earlier ones with the same code.

    Examples
    --------
    >>> import pandas as pd
    >>> from therapy_outcomes.instruments import default_registry
    >>> reg = default_registry()
    >>> reg.get("gad_7").code
    'GAD-7'
    >>> reg.resolve(pd.Series(["phq9", "Core 10", "nope"])).tolist()
    ['PHQ-9', 'CORE-10', nan]
    >>> "who5" in reg
    True
    """

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._by_code: dict[str, Instrument] = {}
        self._keys: dict[str, str] = {}
        for inst in instruments:
            self._add(inst)

    def _add(self, inst: Instrument) -> None:
        old = self._by_code.pop(inst.code, None)
        if old is not None:
            self._keys = {k: v for k, v in self._keys.items() if v != inst.code}
        for alias in (inst.code, *inst.aliases):
            key = normalise_code(alias)
            other = self._keys.get(key)
            if other is not None and other != inst.code:
                where = self._by_code[other].origin or "another definition"
                raise InstrumentDefinitionError(
                    f"invalid instrument definition in {inst.origin or inst.code}: field "
                    f"'aliases': {alias!r} already names instrument {other} ({where})"
                )
            self._keys[key] = inst.code
        self._by_code[inst.code] = inst

    @classmethod
    def from_directory(cls, path: str | Path) -> Registry:
        r"""Registry of the instruments defined by the YAML files in directory ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "gbo.yaml").write_text(
        ...     "code: GBO\nname: Goal-Based Outcomes\nkind: goal_rating\n"
        ...     "items: {count: 1, min: 0, max: 10, integer: false}\n"
        ...     "scoring: {rule: sum}\nbetter: higher\n")
        >>> Registry.from_directory(folder).codes
        ['GBO']
        """
        return cls(load_definition_files(path))

    def with_definitions(self, path: str | Path) -> Registry:
        r"""New registry with the instruments of a YAML file or directory added.

        A definition whose ``code`` is already registered replaces that instrument entirely
        (copy the shipped YAML file and edit it to change one field). Raises
        :class:`InstrumentDefinitionError` for a bad file, a missing path, two files with the
        same code, or an alias already used by another instrument.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from therapy_outcomes.instruments import default_registry
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "ors_child.yaml"
        >>> _ = file.write_text(
        ...     "code: ORS-C\nname: ORS, child cut-off\nkind: questionnaire\n"
        ...     "items: {count: 4, min: 0, max: 10, integer: false}\n"
        ...     "scoring: {rule: sum}\nbetter: higher\ncutoff: {value: 32, clinical: '<'}\n")
        >>> reg = default_registry().with_definitions(file)
        >>> reg.get("ors_c").is_clinical([31.5, 32]).tolist()
        [True, False]
        """
        return Registry([*self, *load_definition_files(path)])

    def get(self, code_or_alias: str) -> Instrument:
        """Instrument for a code or alias; raises :class:`UnknownInstrumentError`.

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().get("core_om").n_items
        34
        """
        code = (
            self._keys.get(normalise_code(code_or_alias))
            if isinstance(code_or_alias, str)
            else None
        )
        if code is None:
            raise UnknownInstrumentError(
                f"unknown instrument {code_or_alias!r}; known codes: {', '.join(self.codes)}"
            )
        return self._by_code[code]

    def resolve(self, values: pd.Series) -> pd.Series:
        """Vectorised alias -> canonical code; NaN where the value is missing or unknown.

        Examples
        --------
        >>> import pandas as pd
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().resolve(pd.Series(["K-10", None, "PHQ 8"])).tolist()
        ['K10', nan, 'PHQ-8']
        """
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        # resolve each distinct value once: a million rows hold a handful of codes
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        known = [self._keys.get(normalise_code(str(u)), np.nan) for u in uniques]
        resolved = np.array([*known, np.nan], dtype=object)[codes]
        return pd.Series(resolved, index=series.index, dtype=object)

    @property
    def codes(self) -> list[str]:
        """Canonical codes, sorted."""
        return sorted(self._by_code)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Instrument):
            return self._by_code.get(item.code) == item
        return isinstance(item, str) and normalise_code(item) in self._keys

    def __iter__(self) -> Iterator[Instrument]:
        """Iterate over the instruments, in code order."""
        return (self._by_code[code] for code in self.codes)

    def __len__(self) -> int:
        return len(self._by_code)

    def __repr__(self) -> str:
        return f"Registry({len(self)} instruments: {', '.join(self.codes)})"


@functools.cache
def default_registry() -> Registry:
    """The registry of the instrument definitions shipped with the package (cached).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> "PHQ-9" in default_registry().codes
    True
    """
    folder = resources.files("therapy_outcomes.instruments").joinpath("definitions")
    instruments = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            origin = f"therapy_outcomes/instruments/definitions/{entry.name}"
            instruments.append(load_definition_text(entry.read_text(encoding="utf-8"), origin))
    return Registry(instruments)
