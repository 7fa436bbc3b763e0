"""Per-client progress reports: the data behind them, their figures, wording and rendering."""
