"""Tests of simulation.sweeps."""
