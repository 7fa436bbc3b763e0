"""The ``therapy-outcomes`` command line.

- :mod:`.app`: the application, ``validate``, ``summary``, ``instruments``, ``demo-data`` and
  ``report client``;
- :mod:`.data`: ``import`` and ``export``;
- :mod:`.reports`: ``report cohort`` and ``report monthly``;
- :mod:`.batch`: ``batch``.
"""
