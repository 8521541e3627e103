"""Tests of simulation.comparison."""
