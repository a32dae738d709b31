"""python -m cylinder_trace → the command line."""

from .cli import main

raise SystemExit(main())
