"""`python -m rnnviz.compare`: see rnnviz.compare.cli."""

from rnnviz.compare.cli import main

raise SystemExit(main())
