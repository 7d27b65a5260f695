"""Encoder-decoder with attention: model, attention kinds, decoding, training, the translator, the command line.

`python -m rnnviz.seq2seq {train,translate,evaluate} ...` (also as `python -m rnnviz.translate`).
"""
