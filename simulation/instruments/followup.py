"""Follow-up of households that left the register, 2016-2020 (the 'four no-removals').

The 2016 exit rules kept exited households' policies for a period and had cadres follow them
up; from 2017 the look-backs checked exits, and a household back in poverty counted against
its county in the exit assessments (reference-figures.md 'return to poverty': ~5% of exits
in 2016, under 0.1% in 2019). So before the transition's dynamic monitoring
(simulation/instruments/monitoring.py) the same screening and support ran for the exited
households only: those found at risk are topped up before they fall back, and an exited
household found below the line is a return to poverty (counted once).
"""

from __future__ import annotations

from simulation.instruments.monitoring import Monitoring


class Followup(Monitoring):
    key = "followup"
    takes_over = None
