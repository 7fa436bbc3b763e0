"""Split the text of a CSV file into records, counting its physical lines on their own.

The standard library's ``csv`` parser joins lines whenever a quote is open, so one stray quote
can swallow the records after it: two clients' events become one record whose description holds
the second event's whole line. :func:`split_records` therefore checks every record that spans
more than one physical line. When one of its continuation lines looks like a record of its own
(the header's number of separators, or as many fields when parsed alone, and an ID-like first
cell, :func:`looks_like_record`), the quote cannot be trusted:

- the line that opened the quote is rejected with the reason ``a quote opened on line N closes
  on line M`` (or ``... is never closed`` when the file ends first); where its fields end is
  not known, so none of them is accepted;
- the lines after it are read again as records of their own, so the other client's event is
  kept (or rejected for its own reasons), never lost.

So nothing is lost (every physical line is part of exactly one accepted or rejected record, or
is blank) and nothing is invented (a record is accepted only when its fields are unambiguous).
A quoted cell that legitimately holds a line break, whose continuation lines do not look like
records, is still one record. Quotes are parsed strictly: text after a closing quote
(``"Moved" house``) makes the record unreadable rather than silently dropping the quotes.

Line breaks are ``\\r\\n``, ``\\n`` or a lone ``\\r`` (old Mac files); line 1 is the header.
A reject never quotes the line's text (it may hold names): it names the line and the reason.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: A first cell that could be a record's ID (the data dictionary's pseudonym characters).
ID_LIKE = re.compile(r"[A-Za-z0-9_-]{1,64}")

_LINE_END = re.compile(r"\r\n|\r|\n")
#: Characters :meth:`str.splitlines` breaks on that are not line breaks in a CSV file.
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: Largest cell the parser accepts (the csv module's default, 128 KiB, is lifted while reading).
FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


@dataclass(frozen=True)
class Record:
    """One record of a CSV file.

    Attributes
    ----------
    line, last : int
        Its first and last physical line (1 = the header line).
    fields : list of str or None
        Its cells; ``None`` when it cannot be read (see ``reason``).
    reason : str or None
        Why it cannot be read.
    """

    line: int
    last: int
    fields: list[str] | None
    reason: str | None = None


def physical_lines(text: str) -> list[str]:
    r"""The lines of ``text``, each with its line break (``\r\n``, ``\n`` or ``\r``).

    Examples
    --------
    >>> physical_lines("a,b\r\nc\rd\ne")
    ['a,b\r\n', 'c\r', 'd\n', 'e']
    >>> physical_lines("")
    []
    """
    if not any(ch in text for ch in _OTHER_BREAKS):
        return text.splitlines(keepends=True)
    lines, start = [], 0
    for match in _LINE_END.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def looks_like_record(line: str, sep: str, n_fields: int) -> bool:
    """Whether a line could be a whole record of a table with ``n_fields`` columns.

    Its first cell is ID-like and it holds ``n_fields - 1`` separators, or splits into
    ``n_fields`` cells on its own.

    Examples
    --------
    >>> looks_like_record('E4,C7,2025-09-17,life_event,Got "engaged",positive\\n', ",", 6)
    True
    >>> looks_like_record('new town",negative\\n', ",", 6)
    False
    """
    if n_fields < 2:
        return False
    body = line.rstrip("\r\n")
    if not ID_LIKE.fullmatch(body.split(sep, 1)[0].strip()):
        return False
    if body.count(sep) == n_fields - 1:
        return True
    return len(next(csv.reader([body], delimiter=sep), [])) == n_fields


@contextmanager
def _no_field_limit() -> Iterator[None]:
    old = csv.field_size_limit(FIELD_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(old)


class _Feed:
    """The lines handed to the csv parser, with the position of the next one (restartable)."""

    def __init__(self, lines: list[str], pos: int) -> None:
        self.lines = lines
        self.pos = pos

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def split_records(lines: list[str], sep: str, n_fields: int) -> Iterator[Record]:
    """The records after the header line ``lines[0]``; blank lines are skipped.

    Parameters
    ----------
    lines : list of str
        The file's :func:`physical_lines`.
    sep : str
        The separator.
    n_fields : int
        The header's number of columns.

    Yields
    ------
    Record
        Readable records with their cells; unreadable ones with a reason (the module docstring
        says when a record is unreadable).

    Examples
    --------
    >>> text = ('id,client,note\\nE1,C1,"opens\\nE2,C2,ok\\nE3,C3,"two\\nlines"\\n')
    >>> for r in split_records(physical_lines(text), ",", 3):
    ...     print(r.line, r.last, r.fields, r.reason)
    2 2 None a quote opened on line 2 closes on line 4
    3 3 ['E2', 'C2', 'ok'] None
    4 5 ['E3', 'C3', 'two\\nlines'] None
    """
    with _no_field_limit():
        feed = _Feed(lines, 1)
        reader = csv.reader(feed, delimiter=sep, strict=True)
        while feed.pos < len(lines):
            start = feed.pos
            error = None
            try:
                fields: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                fields, error = None, str(err)
                reader = csv.reader(feed, delimiter=sep, strict=True)
            first, last = start + 1, feed.pos
            never_closed = error is not None and "unexpected end of data" in error
            if last > first and any(
                looks_like_record(line, sep, n_fields) for line in lines[start + 1 : feed.pos]
            ):
                ends = "is never closed" if never_closed else f"closes on line {last}"
                yield Record(first, first, None, f"a quote opened on line {first} {ends}")
                feed.pos = start + 1
                reader = csv.reader(feed, delimiter=sep, strict=True)
                continue
            if error is not None:
                yield Record(first, last, None, _reason(error, first, last))
                continue
            assert fields is not None
            if not fields or all(not cell.strip() for cell in fields):
                continue  # a blank line is not a record
            if len(fields) != n_fields:
                reason = f"has {len(fields)} fields, the header has {n_fields}"
                yield Record(first, last, None, reason)
                continue
            yield Record(first, last, fields)


def _reason(error: str, first: int, last: int) -> str:
    """A parser error as a reject reason (the message holds no text from the file)."""
    if "unexpected end of data" in error:
        return f"a quote opened on line {first} is never closed"
    if "expected after" in error:
        return f"text follows a closing quote on line {last}"
    return f"cannot be split into columns ({error})"
