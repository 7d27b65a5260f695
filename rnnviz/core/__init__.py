"""The core: the table of cell kinds, one-step cells, recurrent layers (explicit and fused), initialization, validation."""
