"""Data: generated tasks, the bracket language and dates, text and vocabularies, sentence pairs."""
