"""Information that fades (simulation/channels.py `forget`): understanding decays without
contact, more slowly after lasting channels, never for participants; awareness can fall."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import channels
from simulation.model import PovertyModel
from simulation.scenario import PROGRAMMES, Scenario, with_overrides
from simulation.testing import mock_households

P = len(PROGRAMMES)


def table(n: int = 6, understanding: float = 0.5, retention: float = 0.0):
    hh = mock_households(n)
    hh.understanding[:] = understanding
    hh.retention[:] = retention
    return hh


def none_told():
    return [[] for _ in range(P)]


def test_understanding_decays_without_contact():
    hh = table()
    channels.forget(hh, none_told(), 0.1, 0.05)
    assert np.allclose(hh.understanding, 0.45)


def test_lasting_channels_fade_more_slowly():
    hh = table()
    hh.retention[:3] = 0.8
    channels.forget(hh, none_told(), 0.1, 0.05)
    assert np.allclose(hh.understanding[:3], 0.5 * (1 - 0.1 * 0.2))
    assert np.allclose(hh.understanding[3:], 0.45)


def test_participants_and_those_told_do_not_forget():
    hh = table()
    hh.participating[0, 2] = True
    told = none_told()
    told[4] = [np.array([1, 2])]
    channels.forget(hh, told, 0.1, 0.05)
    assert hh.understanding[0, 2] == pytest.approx(0.5)
    assert np.allclose(hh.understanding[[1, 2], 4], 0.5)
    assert hh.understanding[0, 3] == pytest.approx(0.45)  # not their programme
    assert hh.understanding[3, 4] == pytest.approx(0.45)


def test_awareness_is_lost_below_the_threshold():
    hh = table(understanding=0.052, retention=0.3)
    hh.understanding[0] = 0.0  # unaware stays unaware
    hh.retention[0] = 0.0
    channels.forget(hh, none_told(), 0.1, 0.05)
    assert np.all(hh.understanding == 0) and np.all(hh.retention == 0)


def test_no_forgetting_at_rate_zero():
    hh = table()
    channels.forget(hh, none_told(), 0.0, 0.05)
    assert np.all(hh.understanding == 0.5)


def run(overrides: dict | None = None, months: int = 60, n: int = 600):
    s = with_overrides(Scenario(households=n, months=months), overrides or {})
    return PovertyModel(s).run()


def test_channels_leave_their_lasting_and_forgetting_lowers_understanding():
    m = run()
    lasting = {0.0} | {ch.lasting for ch in m.config.channels.values()}
    seen = {round(float(x), 4) for x in np.unique(m.households.retention)}
    assert seen <= {round(x, 4) for x in lasting} and len(seen) > 2
    # A cadre visit (the most lasting channel) leaves the deepest retention somewhere.
    assert m.households.retention.max() == pytest.approx(m.config.channels["cadre_visit"].lasting)
    fading = m.series()
    kept = run({"behaviour.forgetting": 0.0}).series()
    p = "microcredit"
    assert (fading[f"understanding_{p}"].iloc[-1]
            < kept[f"understanding_{p}"].iloc[-1] - 0.02)


def test_awareness_shares_can_fall():
    # Without new contacts (documents and broadcasts stop carrying anything), awareness
    # learnt in the first years fades away.
    m = run({"instruments.ecommerce.end": "2016-12"}, months=84)
    share = m.series()["awareness_ecommerce"]
    assert share.max() > 0.3
    assert share.iloc[-1] < share.max() - 0.1
