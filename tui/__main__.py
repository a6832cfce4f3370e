"""``python -m tui``: the ``losswatch`` command, for a checkout with no script installed."""

from tui.cli.main import main

raise SystemExit(main())
