"""Shared test helpers (factories beyond ``tests/factories.py``); no test module imports another."""
