"""Tests of simulation.ui."""
