"""Clinical cut-offs separating the clinical (dysfunctional) from the functional population.

:func:`jt_cutoff` gives Jacobson & Truax's (1991) criteria a, b and c; :func:`ha_cutoff` gives
Hageman & Arrindell's (1999) "true score" versions. Both are used by
:func:`therapy_outcomes.change.significance.clinical_significance`.

``direction`` below is +1 when higher scores are better and -1 when lower scores are better.

Criterion b and its SD
----------------------
J&T (1991, p. 13, as usually quoted) describe b as "within the range of the functional
population, where range is defined as within two standard deviations of the mean of that
population", which reads as the *functional* SD: ``b = M_func - direction * 2 * SD_func``
(``criterion_b_sd="functional"``). The
``clinicalsignificance`` R package (3.x, ``cutoff_type = "b"``; its vignette: "based on the
functional sample's mean and the clinical sample's standard deviation") uses the *clinical* SD:
``b = M_func - direction * 2 * SD_clin`` (``criterion_b_sd="clinical"``). The default here is
``"clinical"`` so that results reproduce the reference implementation; pass
``criterion_b_sd="functional"`` for the usual reading of J&T 1991.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal

__all__ = ["ha_cutoff", "jt_cutoff"]

CutoffType = Literal["a", "b", "c"]
CriterionBSD = Literal["clinical", "functional"]


def _direction(better: str) -> int:
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
    return 1 if better == "higher" else -1


def _need(value: float | None, name: str, why: str, positive: bool = False) -> float:
    if value is None:
        raise ValueError(f"{name} is required {why}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    return float(value)


def jt_cutoff(
    m_clinical: float,
    sd_clinical: float,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    *,
    cutoff_type: CutoffType = "a",
    better: Literal["lower", "higher"] = "lower",
    criterion_b_sd: CriterionBSD = "clinical",
) -> float:
    """Jacobson & Truax (1991) clinical cut-off, criterion a, b or c.

    - a: ``M_clin + direction * 2 * SD_clin`` (two SDs beyond the clinical mean, in the better
      direction);
    - b: ``M_func - direction * 2 * SD`` with ``SD = SD_clin`` (``criterion_b_sd="clinical"``,
      the ``clinicalsignificance`` package) or ``SD_func`` (``"functional"``, J&T's wording);
    - c: ``(SD_clin * M_func + SD_func * M_clin) / (SD_clin + SD_func)`` (the point equally
      likely under both distributions).

    Reference: Jacobson & Truax (1991), *J Consult Clin Psychol* 59(1), 12-19, p. 13 (criteria
    a, b and c, and the formula for c).

    Examples
    --------
    Hypothetical example with clinical M = 40, SD = 7.5 and functional M = 60, SD = 7.5 (higher
    is better):

    >>> jt_cutoff(40, 7.5, 60, 7.5, cutoff_type="c", better="higher")
    50.0
    >>> jt_cutoff(40, 7.5, cutoff_type="a", better="higher")
    55.0
    """
    d = _direction(better)
    m_c = _need(m_clinical, "m_clinical", "for a cut-off")
    sd_c = _need(sd_clinical, "sd_clinical", "for a cut-off", positive=True)
    if cutoff_type == "a":
        return m_c + d * 2.0 * sd_c
    why = f"for cut-off type {cutoff_type!r}"
    if cutoff_type == "b":
        m_f = _need(m_functional, "m_functional", why)
        if criterion_b_sd == "clinical":
            sd_b = sd_c
        elif criterion_b_sd == "functional":
            sd_b = _need(
                sd_functional,
                "sd_functional",
                why + " with criterion_b_sd='functional'",
                positive=True,
            )
        else:
            raise ValueError(
                f"criterion_b_sd must be 'clinical' or 'functional', not {criterion_b_sd!r}"
            )
        return m_f - d * 2.0 * sd_b
    if cutoff_type == "c":
        m_f = _need(m_functional, "m_functional", why)
        sd_f = _need(sd_functional, "sd_functional", why, positive=True)
        return (sd_c * m_f + sd_f * m_c) / (sd_c + sd_f)
    raise ValueError(f"cutoff_type must be 'a', 'b' or 'c', not {cutoff_type!r}")


def ha_cutoff(
    m_clinical: float,
    sd_clinical: float,
    reliability: float,
    m_functional: float | None = None,
    sd_functional: float | None = None,
    *,
    cutoff_type: CutoffType = "a",
    better: Literal["lower", "higher"] = "lower",
    criterion_b_sd: CriterionBSD = "clinical",
) -> dict[str, float]:
    """Hageman & Arrindell (1999) "true" cut-offs a, b and c.

    With ``SE = SD_clin * sqrt(1 - r)``, ``r_c = (SD_clin**2 - SE**2) / SD_clin**2`` and
    ``r_f = (SD_func**2 - SE**2) / SD_func**2``:

    - a_true: ``M_clin + direction * 2 * SD_clin * sqrt(r_c)``
    - b_true: ``M_func - direction * 2 * SD_clin * sqrt(r_c)`` (``criterion_b_sd="clinical"``,
      as in ``clinicalsignificance`` 3.x) or ``... * SD_func * sqrt(r_f)`` (``"functional"``)
    - c_true: ``(SD_clin sqrt(r_c) M_func + SD_func sqrt(r_f) M_clin) /
      (SD_clin sqrt(r_c) + SD_func sqrt(r_f))``

    Reference: Hageman & Arrindell (1999), *Behav Res Ther* 37(12), 1169-1193; formulas as in
    ``clinicalsignificance`` 3.x.

    Returns
    -------
    dict
        ``cutoff``, ``se_measurement``, ``reliability_clinical`` and ``reliability_functional``
        (NaN when no functional SD is given).

    Examples
    --------
    >>> res = ha_cutoff(35.48, 8.16, 0.8, 8, 8, cutoff_type="c")
    >>> round(res["cutoff"], 2)
    21.57
    """
    d = _direction(better)
    m_c = _need(m_clinical, "m_clinical", "for a cut-off")
    sd_c = _need(sd_clinical, "sd_clinical", "for a cut-off", positive=True)
    r = _need(reliability, "reliability", "for the HA cut-offs")
    se = sd_c * math.sqrt(1.0 - r)
    r_c = (sd_c**2 - se**2) / sd_c**2
    r_f = math.nan
    if sd_functional is not None:
        sd_f0 = _need(sd_functional, "sd_functional", "", positive=True)
        r_f = (sd_f0**2 - se**2) / sd_f0**2
    why = f"for HA cut-off type {cutoff_type!r}"
    if cutoff_type == "a":
        value = m_c + d * 2.0 * sd_c * math.sqrt(r_c)
    elif cutoff_type == "b":
        m_f = _need(m_functional, "m_functional", why)
        if criterion_b_sd == "clinical":
            spread = sd_c * math.sqrt(r_c)
        elif criterion_b_sd == "functional":
            sd_f = _need(sd_functional, "sd_functional", why, positive=True)
            spread = sd_f * math.sqrt(r_f)
        else:
            raise ValueError(
                f"criterion_b_sd must be 'clinical' or 'functional', not {criterion_b_sd!r}"
            )
        value = m_f - d * 2.0 * spread
    elif cutoff_type == "c":
        m_f = _need(m_functional, "m_functional", why)
        sd_f = _need(sd_functional, "sd_functional", why, positive=True)
        if not r_f > 0:
            raise ValueError(
                "HA cut-off c: the functional SD is smaller than the standard error of "
                "measurement, so its reliability is not positive"
            )
        w_c = sd_c * math.sqrt(r_c)
        w_f = sd_f * math.sqrt(r_f)
        value = (w_c * m_f + w_f * m_c) / (w_c + w_f)
    else:
        raise ValueError(f"cutoff_type must be 'a', 'b' or 'c', not {cutoff_type!r}")
    return {
        "cutoff": value,
        "se_measurement": se,
        "reliability_clinical": r_c,
        "reliability_functional": r_f,
    }
