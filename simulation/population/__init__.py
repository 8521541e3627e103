"""The simulated households' population: drawn from the scenario's distributions
(`simulation.households.build_households`) or from household records raked to a region's
margins (`spec`, `records`, `raking`, `from_records`); `build.build_population` picks one.
Kept light: the scenario schema imports `spec` while it loads."""
