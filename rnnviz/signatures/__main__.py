"""`python -m rnnviz.signatures ...`: the signature-verification command line."""

from rnnviz.signatures.cli import main

raise SystemExit(main())
