"""Unrolled graph: the knobs, the graph with its step-by-step view, BPTT in numbers, truncated BPTT."""
