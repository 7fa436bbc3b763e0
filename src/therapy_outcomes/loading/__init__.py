"""Loading: raw tables -> validated, typed pandas tables -> a :class:`Dataset`.

The stage after :mod:`therapy_outcomes.sources` (which turns files, databases and exports into
raw text tables) and before scoring and analysis.

- :mod:`.tables`: the declared tables and columns (the schema ``data/README.md`` documents);
- :mod:`.readers`: CSV and Excel files to raw text tables, with file and line of every row;
- :mod:`.validation`: per-row checks (types, required values, allowed values) and the reject log;
- :mod:`.administrations`: questionnaire rows in wide, long or totals-only layout, item checks,
  and scoring of every administration;
- :mod:`.dataset`: :func:`load` and the :class:`Dataset` it returns (references between tables,
  counts of read / accepted / rejected rows);
- :mod:`.arrow_ops`: column operations done in pyarrow for speed (parsing, membership, lookups).
"""
