"""Which way the population is made: from the scenario's distributions, or from household
records when the scenario names them (`population.microdata`, docs/regions.md)."""

from __future__ import annotations

from simulation.environment import Villages
from simulation.households import HouseholdTable, build_households
from simulation.population.from_records import population_from_records
from simulation.scenario import Scenario
from simulation.streams import Streams


def build_population(scenario: Scenario, villages: Villages, streams: Streams
                     ) -> HouseholdTable:
    """The households of a run (sorted by village, as the network needs)."""
    if scenario.population.microdata is not None:
        return population_from_records(scenario, villages, streams)
    return build_households(scenario, villages, streams)
