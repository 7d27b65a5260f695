"""`python -m rnnviz.translate ...`: the translation command line."""

from rnnviz.seq2seq.cli import main

raise SystemExit(main())
