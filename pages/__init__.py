"""Screens. Each module defines functions only; ``app.py`` routes ``render`` as a page."""
