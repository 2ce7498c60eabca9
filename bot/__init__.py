"""Wegweiser: a multilingual orientation chat bot for newcomers in Stadt and Landkreis Osnabrück."""

__version__ = "0.1.0"
