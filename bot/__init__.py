"""Wegweiser: a multilingual orientation chat bot for newcomers in Stadt and Landkreis Osnabrück."""

import os

# One BLAS thread (numpy's OpenBLAS reads this when numpy is first imported, so it is set here,
# before any module of the bot imports numpy). The bot's numpy work is one matrix-vector product per
# message (the semantic net's similarity to ~14,000 training texts, 1.6 ms); with a second thread
# OpenBLAS split it, and its worker thread then spun while waiting for the next one: 80 -> 46 ms of
# CPU per message read in-process (bench/README.md, 2026-12-07, "CPU per message"). Fitting the net's
# regressions was no slower with one thread either. An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
