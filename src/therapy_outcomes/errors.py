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
