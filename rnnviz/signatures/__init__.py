"""Signature verification (Tolosana et al. 2018) on SVC2004 Task 2: data, protocol, time functions, DTW, EER."""

from rnnviz.signatures.data import Dataset, Signature, SignatureFileError, load_svc2004, read_directory, read_zip
from rnnviz.signatures.protocol import Fold, Trial, label_of, make_folds, trials, usable_users

__all__ = [
    "Dataset",
    "Fold",
    "Signature",
    "SignatureFileError",
    "Trial",
    "label_of",
    "load_svc2004",
    "make_folds",
    "read_directory",
    "read_zip",
    "trials",
    "usable_users",
]
