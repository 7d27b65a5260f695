"""`python -m rnnviz.translate ...`: the translation command line under the name the README gives it (see rnnviz.seq2seq.cli)."""
