"""Bring your own region: a region card of published figures (card.py) made into a scenario,
target file and calibration spec (init.py; `povsim region init`, cli.py)."""
