"""Tests of simulation.calibration."""
