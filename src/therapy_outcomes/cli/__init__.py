"""The ``therapy-outcomes`` command line.

- :mod:`.app`: the application and its console script (``main``); ``validate``, ``summary``,
  ``demo-data``, ``instruments`` and ``version``;
- :mod:`.data`: ``import`` and ``export``;
- :mod:`.reports`: the ``report`` group: ``client``, ``cohort`` and ``monthly``;
- :mod:`.batch`: ``batch``;
- :mod:`.options`: the options several commands share, each defined once;
- :mod:`.output`: what the commands print (tables, validation, rendered files);
- :mod:`.errors`: how every entry point runs: the user's errors as one line.

Importing the command line is quick: the renderers (papermill, nbconvert, plotly, scipy) are
imported inside the commands that need them.
"""
