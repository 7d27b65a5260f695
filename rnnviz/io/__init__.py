"""Checkpoints (safetensors + JSON metadata, never pickle) and the names that rebuild a model from its config."""
