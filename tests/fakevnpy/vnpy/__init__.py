"""Fake vnpy for hamd's tests (see tests/fakevnpy/README.md)."""
