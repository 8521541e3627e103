"""Policy instruments: each an object with dates, a budget, targeting and a delivery mode.

The order below is the order they act within a month: the environment and cadres change
first (publicity only sets this month's channel intensities; the spread itself follows
market income and the actors, in `PovertyModel.step`), then households are identified,
join programmes and earn, and the minimum living top-up comes last because it fills the
gap left by all other income.
"""

from __future__ import annotations

from simulation.instruments.asset_income import AssetIncome
from simulation.instruments.base import InstrumentBase
from simulation.instruments.cadre_training import CadreTraining
from simulation.instruments.cooperative import CooperativeIndustry
from simulation.instruments.ecommerce import Ecommerce
from simulation.instruments.infrastructure import Infrastructure
from simulation.instruments.microcredit import Microcredit
from simulation.instruments.minimum_living import MinimumLiving
from simulation.instruments.monitoring import Monitoring
from simulation.instruments.publicity import Publicity
from simulation.instruments.registration import Registration
from simulation.instruments.relocation import Relocation
from simulation.instruments.skills_training import SkillsTraining
from simulation.instruments.tourism import Tourism

#: Instruments that change the world before households act, in order.
BEFORE_HOUSEHOLDS = (Infrastructure, CadreTraining, Publicity)
#: Instruments acting on households after information has spread, in order.
HOUSEHOLD_PROGRAMMES = (Registration, Relocation, SkillsTraining, CooperativeIndustry,
                        Microcredit, Ecommerce, Tourism, AssetIncome, Monitoring,
                        MinimumLiving)
ALL = BEFORE_HOUSEHOLDS + HOUSEHOLD_PROGRAMMES

__all__ = ["ALL", "BEFORE_HOUSEHOLDS", "HOUSEHOLD_PROGRAMMES", "InstrumentBase"]
