"""Shared test helpers and fixture modules (import the fixtures into a conftest.py to use them)."""
