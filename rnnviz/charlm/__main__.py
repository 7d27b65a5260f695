"""`python -m rnnviz.charlm ...`: the character-model command line."""

from rnnviz.charlm.cli import main

raise SystemExit(main())
