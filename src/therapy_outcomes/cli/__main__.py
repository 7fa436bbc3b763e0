"""``python -m therapy_outcomes.cli``: the same as the ``therapy-outcomes`` command."""

from therapy_outcomes.cli.app import main

main()
