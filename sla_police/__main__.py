"""``python -m sla_police`` is the ``sla-police`` command."""

from sla_police.cli import main

main()
