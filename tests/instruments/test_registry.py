"""One instrument list: the scenario's `Instruments` fields, and the behaviour classes
checked against them."""

from simulation.instruments import ALL, REGISTRY
from simulation.instruments.takeup import TakeUp
from simulation.scenario import INSTRUMENT_NAMES, PROGRAMMES, Instruments, display_order


def test_one_list_of_instruments():
    assert tuple(Instruments.model_fields) == INSTRUMENT_NAMES
    assert tuple(REGISTRY) == INSTRUMENT_NAMES
    assert sorted(cls.key for cls in ALL) == sorted(INSTRUMENT_NAMES)
    assert {k for k, c in REGISTRY.items() if issubclass(c, TakeUp)} == set(PROGRAMMES)
    assert sorted(display_order()) == sorted(INSTRUMENT_NAMES)
    assert display_order()[:len(PROGRAMMES)] == PROGRAMMES
