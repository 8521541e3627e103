"""Tests of simulation.runs."""
