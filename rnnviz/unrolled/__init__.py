"""The unrolled graph of an RNN: the lecture's five input/output types, BPTT and teacher forcing."""
