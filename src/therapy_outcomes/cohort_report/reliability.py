"""Which reliability the cohort report uses for each instrument's reliable change index.

Per instrument: the ``reliability`` parameter, else the instrument definition
(``reliable_change.reliability``, then the definition's published ``reliability``, e.g. PHQ-9
0.84 and GAD-7 0.83 test-retest), else :data:`FALLBACK_RELIABILITY` (assumptions the report
states in its methods block).
"""

from __future__ import annotations

from typing import Any

from therapy_outcomes.errors import ParameterError
from therapy_outcomes.loading.dataset import Dataset

__all__ = ["FALLBACK_RELIABILITY", "reliabilities"]

#: Reliability used when neither the parameter nor the instrument definition gives one (an
#: assumption the report states).
FALLBACK_RELIABILITY = 0.80


def reliabilities(
    ds: Dataset, instruments: list[str], given: dict[str, Any] | float | None
) -> tuple[dict[str, float], dict[str, str]]:
    """The reliability of each instrument and where it came from.

    Parameters
    ----------
    ds : Dataset
        Its registry holds the instrument definitions.
    instruments : list of str
        Instrument codes.
    given : float or dict, optional
        The report's ``reliability`` parameter: one number for every instrument, or
        instrument -> number (instruments left out fall back to the definitions).

    Returns
    -------
    (values, sources) : dict, dict
        Instrument -> reliability, and instrument -> a phrase naming its source.

    Raises
    ------
    ParameterError
        ``given`` is neither a number nor a dict, or a value is not a number in (0, 1).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_dataset
    >>> values, sources = reliabilities(example_dataset(), ["PHQ-9", "GAD-7"], {"GAD-7": 0.9})
    >>> values["GAD-7"], sources["GAD-7"]
    (0.9, 'parameter')
    """
    if given is not None and not isinstance(given, dict | int | float):
        raise ParameterError("reliability must be a number or a dict of instrument -> number")
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for code in instruments:
        chosen = given.get(code) if isinstance(given, dict) else given
        if chosen is not None:
            if isinstance(chosen, bool) or not isinstance(chosen, int | float):
                raise ParameterError(f"reliability of {code} must be a number, not {chosen!r}")
            if not 0 < float(chosen) < 1:
                raise ParameterError(f"reliability of {code} must be between 0 and 1, not {chosen}")
            values[code], sources[code] = float(chosen), "parameter"
            continue
        inst = ds.registry.get(code)
        rc = inst.reliable_change
        if rc is not None and rc.reliability is not None:
            values[code], sources[code] = float(rc.reliability), "instrument definition"
        elif inst.reliability is not None:
            values[code] = inst.reliability.value
            sources[code] = (
                f"assumed default (published {inst.reliability.type} figure, not verified)"
            )
        else:
            values[code] = FALLBACK_RELIABILITY
            sources[code] = "assumed default 0.80 (no published figure in the registry)"
    return values, sources
