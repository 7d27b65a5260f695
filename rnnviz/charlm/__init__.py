"""Character language models: the model, tracing a typed text through its cells, training, the command line.

`python -m rnnviz.charlm {train,evaluate,sample} ...`
"""
