"""Signature verification: on-line signatures, their time functions, DTW, EER and DET (Tolosana et al. 2018)."""
