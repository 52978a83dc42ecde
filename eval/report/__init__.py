"""Viewing a run folder: `inspect` in the terminal (rich) and `report.html` (one self-contained file)."""
