"""Exceptions that carry a message meant for the user.

The command line catches :class:`TherapyOutcomesError` and prints its message on one line (no
traceback) with the exit code the error names. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class TherapyOutcomesError(Exception):
    """Base class for errors caused by the user's input, not by a bug.

    Attributes
    ----------
    exit_code : int
        The exit code the command line uses for this error.
    """

    exit_code: int = 2


class DatasetReadError(TherapyOutcomesError):
    """A file of a dataset cannot be read at all (missing, empty, not UTF-8, not a table).

    Examples
    --------
    >>> str(DatasetReadError("clients.csv: the file is empty"))
    'clients.csv: the file is empty'
    """


class ParameterError(TherapyOutcomesError):
    """A parameter has the wrong type or value (an unknown client, a date that does not parse)."""


class BatchLockedError(TherapyOutcomesError):
    """Another batch is writing into the same output folder (its PID, host and start time).

    Raised by :func:`therapy_outcomes.batch.lock.batch_lock` when the folder's lock is held.
    """


class MissingExtraError(TherapyOutcomesError, ImportError):
    """An optional part is used but the extra that installs its libraries is not installed.

    Raised by :func:`therapy_outcomes.extras.require`. It is also an :class:`ImportError`, so
    code that treats a missing optional library as absent keeps working.

    Parameters
    ----------
    what : str
        What the user asked for (``"reading sqlite:///clinic.sqlite"``).
    extra : str
        The extra to install (``"sql"``).
    support : str
        The extra's name in the message (``"SQL"``).
    module : str, optional
        The module that could not be imported.

    Examples
    --------
    >>> err = MissingExtraError("reading clients.sav", "spss", "SPSS/Stata", "pyreadstat")
    >>> print(err)
    reading clients.sav needs the optional SPSS/Stata support: pip install "therapy-outcomes[spss]"
    >>> err.extra, err.name, err.exit_code
    ('spss', 'pyreadstat', 2)
    """

    def __init__(self, what: str, extra: str, support: str, module: str | None = None) -> None:
        message = (
            f'{what} needs the optional {support} support: pip install "therapy-outcomes[{extra}]"'
        )
        super().__init__(message, name=module)
        self.extra = extra
