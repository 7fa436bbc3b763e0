"""Rendering: executing a report notebook with papermill and turning it into HTML and PDF.

Shared by every report (client, cohort, monthly, batch):

- :mod:`.execute`: :func:`~therapy_outcomes.rendering.execute.render_notebook` runs a notebook
  with papermill, checks its parameters, scrubs it and writes HTML (and PDF);
- :mod:`.display` and :mod:`.glue`: what notebook cells show (figures, tables, glued values);
- :mod:`.plotly_text`: text from the data shown as text in every chart (no plotly markup);
- :mod:`.html`: the executed notebook to self-contained, offline HTML (``templates/``);
- :mod:`.offline`: what a page would load from outside itself, read from its elements;
- :mod:`.pdf`: the HTML to a paginated PDF in headless Chromium;
- :mod:`.scrub`: removing paths, tracebacks and default parameters from the executed notebook;
- :mod:`.paths`: safe file names and atomic writes.
"""
