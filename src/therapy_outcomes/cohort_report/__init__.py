"""Cohort-outcomes and monthly-summary reports: their tables, figures and rendering."""
