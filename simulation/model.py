"""PovertyModel: one region stepping month by month under its policy instruments.

The model is importable without any UI. Building it draws the villages, households, social
network, cadres and co-ops from the scenario; each `step()` is one month (see
`simulation/instruments/__init__.py` for the order in which things act).
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

import mesa
import numpy as np

from simulation import channels, demography, guarantees, income, labour, poverty
from simulation.agents.actors import Actors
from simulation.agents.cadres import Cadre, build_cadres
from simulation.agents.cooperatives import Cooperative, build_cooperatives
from simulation.environment import Shocks, build_villages
from simulation.households import Household, Source
from simulation.instruments import ALL, BEFORE_HOUSEHOLDS, HOUSEHOLD_PROGRAMMES, InstrumentBase
from simulation.metrics import Recorder
from simulation.network import PeerCounts, build_network
from simulation.population.build import build_population
from simulation.scenario import CHANNELS, PRODUCTIVE, PROGRAMMES, Scenario
from simulation.smith import SmithIndices
from simulation.streams import Streams
from simulation.timeline import month_index, month_label, year_of
from simulation.transfers import Transfers
from simulation.transition import TransitionPolicy

#: Below this many households, Household agents are created at set-up.
AGENT_VIEW_LIMIT = 5_000



class PovertyModel(mesa.Model):
    """A Mesa model of poverty-alleviation rollout in one region."""

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 agent_views: bool | None = None):
        self.seed_value = scenario.seed if seed is None else int(seed)
        super().__init__(rng=self.seed_value)
        self.config = scenario
        self.streams = Streams(self.seed_value)
        self.month = 0
        n = scenario.households
        self.scale = n / scenario.region.households_represented
        self.scale_cost = self.scale  # village-level unit costs scale with the sample too
        self.villages = build_villages(scenario, self.streams)
        self.households = build_population(scenario, self.villages, self.streams)
        hh = self.households
        self.network = build_network(hh.village, self.villages.n,
                                     scenario.region.network.neighbours,
                                     scenario.region.network.between_village_share,
                                     self.streams)
        self.cadres = build_cadres(scenario, self.villages.n, self.streams)
        self.cooperatives = build_cooperatives(scenario, self.villages, self.streams)
        # Neighbours taking part in / aware of each programme, counted (same values).
        self.peers = PeerCounts(self.network, len(PROGRAMMES))
        self.aware_neighbours = PeerCounts(self.network, len(PROGRAMMES))
        self._seed_cooperative_members()
        self.initial_market_access = self.villages.market_access.copy()
        # Households never change village: their counts per village are fixed.
        self.village_households = np.bincount(hh.village, minlength=self.villages.n)
        self.village_people = np.bincount(hh.village, weights=hh.size,
                                          minlength=self.villages.n)
        self.shocks = Shocks(scenario, self.villages)
        self.intensity = {name: ch.intensity for name, ch in scenario.channels.items()}
        self.instruments: dict[str, InstrumentBase] = {}
        for cls in ALL:
            self.instruments[cls.key] = cls(self, getattr(scenario.instruments, cls.key))
        # Actors beyond government and the post-2020 transition (docs/model.md).
        self.actors = Actors(self)
        self.transition = TransitionPolicy(self)
        self.smith = SmithIndices()
        self.start_wage = income.migrant_wage(self, 0)
        self.income_terms = income.IncomeTerms()  # kept between months (market income)
        self._set_time_factors()
        self.transfers = Transfers(self)
        self._start_with_transfers()
        guarantees.draw_deficits(scenario, hh, self.villages, self.line, self.streams)
        poverty.initial_states(hh, hh.annual_income < self.line)
        self.timings: dict[str, float] = defaultdict(float)  # seconds per mechanism
        self.recorder = Recorder(self)
        self.tracked = self._pick_tracked(200)
        self.tracked_history: list[np.ndarray] = []
        make_views = n <= AGENT_VIEW_LIMIT if agent_views is None else agent_views
        if make_views:
            self.create_household_agents()
        for v in range(self.villages.n):
            Cadre(self, v)
        for c in range(self.cooperatives.n):
            Cooperative(self, c)

    # ------------------------------------------------------------------ set-up
    def _seed_cooperative_members(self) -> None:
        """Existing co-ops start half full with working households of their village."""
        hh, coops = self.households, self.cooperatives
        u = self.streams.rng("setup.members").random(hh.n)
        k = PROGRAMMES.index("cooperative")
        for c in range(coops.n):
            rows = np.flatnonzero((hh.village == coops.village[c]) & (hh.labour > 0)
                                  & (hh.cooperative < 0))
            half = int(coops.capacity[c] / 2 + u[c % hh.n])  # stochastic rounding
            take = rows[np.argsort(u[rows])[:half]]
            hh.cooperative[take] = c
            hh.participating[take, k] = True
            coops.members[c] = len(take)

    def _start_with_transfers(self) -> None:
        """The start's annual income includes the baseline transfers of the first month
        (pensions, subsidies and remittances were paid before the campaign), so they do not
        appear as a rise of income in the first months."""
        hh = self.households
        hh.income.fill(0.0)
        self.transfers.pay(self)
        hh.annual_by_source[:, Source.TRANSFER] += 12.0 * hh.income[:, Source.TRANSFER]
        hh.annual_income[:] = hh.annual_by_source.sum(axis=1)
        hh.income.fill(0.0)

    def _pick_tracked(self, k: int) -> np.ndarray:
        rng = self.streams.rng("setup.tracked")
        return np.sort(rng.choice(self.households.n, size=min(k, self.households.n),
                                  replace=False))

    def _set_time_factors(self) -> None:
        econ = self.config.economy
        self.year = year_of(self.config.start, self.month)
        self.line = income.poverty_line(self, self.year)
        years = self.month / 12.0
        self.growth = ((1 + econ.farm_growth) * (1 + econ.inflation)) ** years
        # Farm growth lags in remote villages (economy.remote_lag), the mean unchanged.
        rem = self.villages.remoteness
        self.farm_growth_village = (((1 + econ.farm_growth - econ.remote_lag
                                      * (rem - rem.mean())) * (1 + econ.inflation)) ** years
                                    if econ.remote_lag > 0 else np.full(len(rem), self.growth))
        self.price_level = (1 + econ.inflation) ** years
        # Wages follow the migrant wage series; without the labour market, prices only.
        self.wage_index = (income.migrant_wage(self, self.month) / self.start_wage
                           if econ.labour_market.enabled else self.price_level)

    # ------------------------------------------------------------------ agents
    def create_household_agents(self, rows: np.ndarray | None = None) -> list[Household]:
        """Create Household agent views (all households, or only `rows`)."""
        existing = {a.row for a in self.agents_by_type.get(Household, [])}
        rows = range(self.households.n) if rows is None else rows
        return [Household(self, int(r)) for r in rows if int(r) not in existing]

    def household(self, row: int) -> Household:
        for a in self.agents_by_type.get(Household, []):
            if a.row == row:
                return a
        return Household(self, row)

    def households_in_village(self, village: int) -> list[Household]:
        rows = np.flatnonzero(self.households.village == village)
        self.create_household_agents(rows)
        return [a for a in self.agents_by_type[Household] if a.village == village]

    # ------------------------------------------------------------------ step
    @property
    def label(self) -> str:
        return month_label(self.config.start, self.month)

    @property
    def finished(self) -> bool:
        return self.month >= self.config.months

    def step(self) -> None:
        """Advance one month."""
        if self.finished:
            self.running = False
            return
        cfg, hh = self.config, self.households
        timed = self._timed
        self._set_time_factors()
        self.streams.draw_ahead(self.month)  # a second core draws this month's uniforms
        for inst in self.instruments.values():
            inst.begin_month()
        self.actors.begin_month()
        self.transition.begin_month(self)
        if self.month > 0 and self.label.endswith("-01"):  # yearly, before income is computed
            with timed("demography"):
                demography.yearly(self)
        with timed("shocks"):
            shock = self.shocks.step(self.month, self.streams)
            self.farm_factor = shock.farm_factor_village
            self.migrant_employment = shock.migrant_employment
        for cls in BEFORE_HOUSEHOLDS:
            with timed(f"instrument.{cls.key}"):
                self.instruments[cls.key].step(self)
        with timed("cadres"):
            self._update_cadres()
            self.product_shock = shock.price_factor_product  # market price falls
            self.price_factor = self.cooperatives.price_factor(  # and co-op crowding
                cfg.cooperatives.products, cfg.cooperatives.price_elasticity,
                shock.price_factor_product)
        with timed("income.market"):
            income.persistent_shock(self)
            labour.migrate(self)
            income.market_income(self)
            self.transfers.pay(self)
        with timed("actors"):
            self.actors.act(self)
        with timed("channels"):
            self._spread_information()
        with timed("network.peers"):
            # Peers are judged on who took part at the start of the month's programmes.
            self.peers.update(hh.participating)
        for cls in HOUSEHOLD_PROGRAMMES:
            with timed(f"instrument.{cls.key}"):
                self.instruments[cls.key].step(self)
        with timed("income.finalise"):
            income.finalise(self)
            poor = hh.annual_income < self.line  # who is income-poor at the end of the month
            if self.month == 0:  # states are set on the first month's income, not the draw
                poverty.initial_states(hh, poor)
                exits = returns = np.zeros(hh.n, dtype=bool)
            else:
                exits, returns = poverty.transition(hh, poor)
            self.transition.assess(self, poor)
            self._drift_attitudes()
        for inst in self.instruments.values():
            inst.end_month(self.month)
        with timed("smith"):
            self.month_spending = (sum(i.month_spent for i in self.instruments.values())
                                   + self.actors.month_spent)
            self.smith.update(self)
        with timed("metrics"):
            self.recorder.record(poor, exits, returns)
            self.tracked_history.append(hh.annual_income[self.tracked].copy())
        self.month += 1
        if self.finished:
            self.running = False

    @contextmanager
    def _timed(self, name: str):
        start = time.perf_counter()
        yield
        self.timings[name] += time.perf_counter() - start

    def peer_share(self, rows: np.ndarray, k: int) -> np.ndarray:
        """Share of each row's neighbours taking part in programme k (before this month's
        programmes acted); computed for the rows that weigh the programme only."""
        return self.peers.share(rows, k)

    @property
    def participation_before(self) -> np.ndarray:
        """Who took part at the start of this month's programmes (the peers' snapshot)."""
        return self.peers.snapshot

    def _update_cadres(self) -> None:
        """Pressure rises while registered poverty remains before the 2020 deadline."""
        hh = self.households
        c = self.config.cadres
        deadline = month_index(c.deadline, self.config.start)
        months_left = deadline - self.month
        if hh.people_exact:  # the same whole-number sums as np.average's, without a pass
            registered_share = (float(hh.people_in(hh.registered))
                                / float(hh.size.sum(dtype=np.float64)))
        else:
            registered_share = float(np.average(hh.registered, weights=hh.size))
        urgency = registered_share / max(months_left / 12.0, 0.5) * 2.0 if months_left > 0 else 0
        base = c.assessment_pressure * (1.0 if months_left > 0 else c.post_deadline_pressure)
        self.cadres.update(base, c.formalism_sensitivity, urgency, self.smith.policy)

    def _spread_information(self) -> None:
        hh, cfg = self.households, self.config
        carried = np.zeros((len(CHANNELS), len(PROGRAMMES)), dtype=bool)
        for k, name in enumerate(PROGRAMMES):
            inst = self.instruments[name]
            if not inst.active(self.month):
                continue
            for c, ch_name in enumerate(CHANNELS):
                carried[c, k] = self.month >= inst.first + cfg.channels[ch_name].delay
        forgetting, threshold = cfg.behaviour.forgetting, cfg.behaviour.forget_threshold
        if not carried.any():  # nothing to tell: no contacts, no visits that teach trust
            self.contacts = {name: 0 for name in CHANNELS}
            channels.forget(hh, [[] for _ in PROGRAMMES], forgetting, threshold)
            return
        # Cadre visits: each task force visits up to visits_per_month x effort homes,
        # registered households twice as often.
        effort_village = self.cadres.effort
        per_village = self.village_households.astype(float)
        # A sampled household stands for 1/scale real ones, so a task force's visits cover
        # visits x effort x scale sampled households of its village (computed per village).
        base = np.minimum(cfg.cadres.visits_per_month * effort_village * self.scale
                          / np.maximum(per_village, 1.0), 1.0)

        def visit_probability(rows: np.ndarray) -> np.ndarray:
            return np.minimum(base[hh.village[rows]] * np.where(hh.registered[rows], 2.0, 1.0),
                              1.0)

        visits = channels.CadreVisits(visit_probability,
                                      float(np.minimum(2.0 * base, 1.0).max(initial=0.0)))
        # Digital channels reach a village as far as its internet and its cadres' skill at
        # running work groups allow (001 'Policy enforcement agencies').
        digital = self.villages.internet * (0.5 + 0.5 * self.cadres.internet_skill)
        self.contacts, seen, told = channels.spread(hh, cfg.channels, self.intensity, carried,
                                                    digital, visits, self.villages.remoteness,
                                                    self.aware_neighbours, self.month,
                                                    self.streams)
        channels.forget(hh, told, forgetting, threshold)  # what no channel repeated fades
        # Households visited by cadres move their trust towards the effort they see.
        if seen is None:
            seen = visits.draw(self.streams, self.month, hh.n, self.intensity["cadre_visit"])
        if len(seen):
            rate = cfg.behaviour.trust_learning
            effort = effort_village[hh.village[seen]]
            hh.trust[seen] += rate * (np.minimum(effort / 0.6, 1.0) - hh.trust[seen])

    def _drift_attitudes(self) -> None:
        """Transfers alone breed dependency; productive participation builds drive."""
        hh, b = self.households, self.config.behaviour
        productive = hh.participating[:, PRODUCTIVE[0]].copy()  # any over the columns
        for k in PRODUCTIVE[1:]:
            productive |= hh.participating[:, k]
        on_transfers = (hh.income[:, Source.TRANSFER] > 0) & ~productive
        m = hh.motivation
        # Few take part in production: their rows only. Most draw some transfer: the whole
        # column, then the few others' values put back (masked arithmetic is slow).
        taking_part = np.flatnonzero(productive)
        m[taking_part] += b.participation_drift * (1 - m[taking_part])
        others = np.flatnonzero(~on_transfers)
        unchanged = m[others]
        m -= b.dependency_drift * m
        m[others] = unchanged
        # Smartphones spread each January (population.phone_growth share points a year).
        if self.month > 0 and self.label.endswith("-01"):
            u = self.streams.uniform("phones.adoption", self.month, hh.n)
            without = 1.0 - float(hh.phone.mean())
            rate = self.config.population.phone_growth / max(without, 1e-9)
            hh.phone |= u < rate * np.where(hh.elderly, 0.5, 1.0)

    # ------------------------------------------------------------------ results
    def series(self):
        """Monthly outcomes so far, one row per month (a pandas DataFrame)."""
        return self.recorder.frame()

    def run(self) -> PovertyModel:
        while not self.finished:
            self.step()
        return self
