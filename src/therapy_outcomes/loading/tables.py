"""The dataset's tables, declared once: columns, types, allowed values and references.

This module is the single place that says what a valid row looks like; ``data/README.md`` is the
human-readable copy of it (a test keeps the two in step). :mod:`therapy_outcomes.loading.validation`
turns each :class:`TableSpec` into a pandera schema and runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "date", "number", "integer"]

#: No date in the dataset is earlier than this.
EARLIEST_DATE = "1900-01-01"

#: Dates that may lie ahead of the as-of date (``target_date``, ``due_on``) are at most this many
#: years after it; every other date is not after the as-of date.
FUTURE_YEARS = 10

#: Pseudonymous IDs: letters, digits, ``_`` and ``-``; this also keeps IDs safe in file paths.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"

GOAL_CATEGORIES = (
    "emotional",
    "behavioural",
    "cognitive",
    "relationships",
    "coping",
    "personal_growth",
    "symptoms",
)


@dataclass(frozen=True)
class Col:
    """One column of a table.

    Parameters
    ----------
    name : str
        Column name in the file.
    kind : {"id", "text", "date", "number", "integer"}
        How the text is parsed.
    required : bool
        The column must be present in the file and every row must have a value.
    allowed : tuple of str, optional
        The only values accepted (after trimming; matched case-insensitively and stored in the
        spelling given here).
    default : str, optional
        Value used when the cell is empty.
    minimum, maximum : float, optional
        Inclusive range for numbers.
    unique : bool
        No two rows may share a value (later duplicates are rejected, the first kept).
    references : str, optional
        ``"table.column"`` the value must exist in (accepted rows only).
    not_after_as_of : bool
        For dates: must not be after the as-of date; for integers (a year): not after the
        as-of year.
    """

    name: str
    kind: Kind = "text"
    required: bool = True
    allowed: tuple[str, ...] | None = None
    default: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    references: str | None = None
    not_after_as_of: bool = False


def _opt(name: str, kind: Kind = "text", **kw: object) -> Col:
    return Col(name, kind, required=False, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TableSpec:
    """A table of the dataset: its columns and rules between its own columns.

    Parameters
    ----------
    name : str
        Table name and file stem (``clients`` -> ``clients.csv``).
    columns : tuple of Col
        The declared columns; undeclared columns are kept as text.
    required : bool
        Whether the dataset must contain this table.
    date_order : tuple of (str, str)
        Pairs ``(earlier, later)`` of date columns: when both are present, later >= earlier.
    """

    name: str
    columns: tuple[Col, ...]
    required: bool = False
    date_order: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> Col:
        """The declared column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Declared column names, in order."""
        return [c.name for c in self.columns]


CLIENTS = TableSpec(
    "clients",
    (
        Col("client_id", "id", unique=True),
        Col("site"),
        Col("therapist_id", "id"),
        Col("referred_on", "date", not_after_as_of=True),
        _opt("episode_start", "date", not_after_as_of=True),
        _opt("episode_end", "date", not_after_as_of=True),
        _opt("end_reason", allowed=("completed", "dropped_out", "referred_on", "other")),
        _opt("modality"),
        _opt("problem"),
        _opt("sex", allowed=("female", "male", "other", "unknown")),
        _opt("birth_year", "integer", minimum=1900, not_after_as_of=True),
    ),
    required=True,
    date_order=(("referred_on", "episode_start"), ("episode_start", "episode_end")),
)

SESSIONS = TableSpec(
    "sessions",
    (
        Col("session_id", "id", unique=True),
        Col("client_id", "id", references="clients.client_id"),
        Col("therapist_id", "id"),
        Col("session_on", "date", not_after_as_of=True),
        _opt(
            "kind",
            allowed=("assessment", "treatment", "review", "follow_up"),
            default="treatment",
        ),
        Col("attendance", allowed=("attended", "cancelled", "did_not_attend")),
    ),
)

GOALS = TableSpec(
    "goals",
    (
        Col("goal_id", "id", unique=True),
        Col("client_id", "id", references="clients.client_id"),
        Col("statement"),
        Col("category", allowed=GOAL_CATEGORIES),
        Col("horizon", allowed=("short_term", "long_term")),
        _opt("parent_goal_id", "id"),
        Col("measure"),
        _opt("unit"),
        _opt("baseline", "number"),
        _opt("target", "number"),
        _opt("target_date", "date"),
        _opt("weight", "number", minimum=0.001),
        Col("set_on", "date", not_after_as_of=True),
        _opt("agreed_on", "date", not_after_as_of=True),
        _opt("values"),
        _opt("strengths"),
        Col("status", allowed=("active", "achieved", "revised", "discontinued")),
        _opt("revises_goal_id", "id"),
    ),
    date_order=(("set_on", "target_date"),),
)

GOAL_RATINGS = TableSpec(
    "goal_ratings",
    (
        Col("goal_id", "id", references="goals.goal_id"),
        _opt("client_id", "id"),
        Col("rated_on", "date", not_after_as_of=True),
        Col("value", "number"),
        _opt("session_id", "id", references="sessions.session_id"),
        _opt("rater", allowed=("client", "therapist", "joint"), default="joint"),
    ),
)

ADMINISTRATIONS = TableSpec(
    "administrations",
    (
        Col("administration_id", "id"),
        Col("client_id", "id", references="clients.client_id"),
        Col("instrument"),
        Col("administered_on", "date", not_after_as_of=True),
        _opt("session_id", "id", references="sessions.session_id"),
        _opt("rater", allowed=("self", "clinician", "parent"), default="self"),
        _opt("total", "number"),
    ),
)

HOMEWORK = TableSpec(
    "homework",
    (
        Col("homework_id", "id", unique=True),
        Col("client_id", "id", references="clients.client_id"),
        Col("assigned_on", "date", not_after_as_of=True),
        _opt("due_on", "date"),
        Col("task"),
        _opt("goal_id", "id", references="goals.goal_id"),
        Col("status", allowed=("assigned", "completed", "partial", "not_done")),
    ),
    date_order=(("assigned_on", "due_on"),),
)

EVENTS = TableSpec(
    "events",
    (
        Col("event_id", "id", unique=True),
        Col("client_id", "id", references="clients.client_id"),
        Col("occurred_on", "date", not_after_as_of=True),
        Col("kind", allowed=("life_event", "medication_change", "physical_health", "other")),
        Col("description"),
        _opt("impact", allowed=("positive", "negative", "neutral")),
    ),
)

#: Every table, in the order they are validated (a table only references earlier ones).
TABLES: tuple[TableSpec, ...] = (
    CLIENTS,
    SESSIONS,
    GOALS,
    GOAL_RATINGS,
    ADMINISTRATIONS,
    HOMEWORK,
    EVENTS,
)

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)


def spec(name: str) -> TableSpec:
    """The :class:`TableSpec` called ``name``.

    Examples
    --------
    >>> spec("clients").column("client_id").unique
    True
    """
    for table in TABLES:
        if table.name == name:
            return table
    raise KeyError(name)


def read_hints(name: str, header: list[str]) -> dict[str, str]:
    """Columns of table ``name`` a reader may parse as it reads: none.

    A reader that parses numbers and dates itself would take ``NaN`` and ``inf`` for numbers
    (``NaN`` then looks like an empty cell) and years outside what a timestamp holds for dates,
    so every column reaches :mod:`therapy_outcomes.loading.validation` as text, where the data
    dictionary's rules are applied. Kept for the readers that ask.

    Examples
    --------
    >>> read_hints("administrations", ["administration_id", "administered_on", "item_1"])
    {}
    """
    return {}
