"""Policy instruments: each an object with dates, a budget, targeting and a delivery mode.

The order below is the order they act within a month: the environment and cadres change
first (publicity only sets this month's channel intensities; the spread itself follows
market income and the actors, in `PovertyModel.step`), then the works behind the exit
criteria are built, households are identified and reviewed, join programmes and earn, and
the minimum living top-up comes last because it fills the gap left by all other income.

The names of the instruments are the fields of the scenario's `Instruments`
(`simulation.scenario.INSTRUMENT_NAMES`); `REGISTRY` maps each to its behaviour class, and
importing this package fails if the two lists drift apart.
"""

from __future__ import annotations

from simulation.instruments.asset_income import AssetIncome
from simulation.instruments.base import InstrumentBase
from simulation.instruments.cadre_training import CadreTraining
from simulation.instruments.cooperative import CooperativeIndustry
from simulation.instruments.ecommerce import Ecommerce
from simulation.instruments.followup import Followup
from simulation.instruments.guarantees import (
    DrinkingWater,
    EducationSupport,
    HousingRenovation,
    MedicalAssistance,
)
from simulation.instruments.infrastructure import Infrastructure
from simulation.instruments.microcredit import Microcredit
from simulation.instruments.minimum_living import MinimumLiving
from simulation.instruments.monitoring import Monitoring
from simulation.instruments.publicity import Publicity
from simulation.instruments.registration import Registration
from simulation.instruments.relocation import Relocation
from simulation.instruments.skills_training import SkillsTraining
from simulation.instruments.takeup import TakeUp
from simulation.instruments.tourism import Tourism
from simulation.scenario import INSTRUMENT_NAMES, PROGRAMMES

#: Instruments that change the world before households act, in order.
BEFORE_HOUSEHOLDS = (Infrastructure, CadreTraining, Publicity)
#: Instruments acting on households after information has spread, in order.
HOUSEHOLD_PROGRAMMES = (HousingRenovation, EducationSupport, MedicalAssistance,
                        DrinkingWater, Registration, Relocation, SkillsTraining,
                        CooperativeIndustry, Microcredit, Ecommerce, Tourism, AssetIncome,
                        Followup, Monitoring, MinimumLiving)
ALL = BEFORE_HOUSEHOLDS + HOUSEHOLD_PROGRAMMES
_BY_KEY = {cls.key: cls for cls in ALL}
if sorted(_BY_KEY) != sorted(INSTRUMENT_NAMES) or len(_BY_KEY) != len(ALL):  # pragma: no cover
    raise ImportError(f"instrument classes {sorted(_BY_KEY)} do not match the scenario's "
                      f"instruments {sorted(INSTRUMENT_NAMES)}")
if {k for k, c in _BY_KEY.items() if issubclass(c, TakeUp)} != set(PROGRAMMES):  # pragma: no cover
    raise ImportError("take-up instruments do not match simulation.scenario.PROGRAMMES")
#: Scenario field name -> behaviour class, in schema order.
REGISTRY: dict[str, type[InstrumentBase]] = {k: _BY_KEY[k] for k in INSTRUMENT_NAMES}

__all__ = ["ALL", "BEFORE_HOUSEHOLDS", "HOUSEHOLD_PROGRAMMES", "REGISTRY", "InstrumentBase"]
