"""Translate and attend, Phrase scoring: the tabs of the translation pages."""
