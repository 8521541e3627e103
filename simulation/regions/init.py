"""From a region card to the files a fit needs: a scenario, a target file, a calibration spec.

`povsim region init CARD` writes, in the output folder, `<id>.yaml` (the scenario: the
card's population, households, environment and budgets on top of its `base`),
`<id>.targets.yaml` (every series of the card from 2014 on, as calibration targets) and
`<id>.calibration.yaml` (what `povsim calibrate` fits), and says what it assumed.

The start distribution of income is a log-normal through two published figures: the mean
per-capita income and the incidence at the poverty line of the same year,
incidence = Phi((ln(line / mean) + sigma^2 / 2) / sigma), so
sigma = z + sqrt(z^2 - 2 ln(line / mean)) with z = Phi^-1(incidence), and
median = mean * exp(-sigma^2 / 2). The card's figures are disposable income, the model's
start distribution is market income before transfers, so these are a starting point that
the calibration moves within wide bounds, not fitted values.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from scipy.stats import norm

from simulation.calibration.spec import parse_spec
from simulation.calibration.targets import parse_targets
from simulation.population.raking import rake_records
from simulation.population.records import read_records
from simulation.population.spec import Margins
from simulation.regions.card import CardError, RegionCard, load_card
from simulation.scenario import load_scenario
from simulation.scenario.economy import DEFAULT_POVERTY_LINE

#: Targets start with the register (the model's runs start in 2014-01).
FIRST_YEAR = 2014
#: Assumed effective survey size (people) when the card gives none.
SURVEY_SIZE = 5000
#: Assumed relative errors of register counts and of mean incomes.
REGISTER_ERROR, INCOME_ERROR = 0.10, 0.03
#: Assumed sd of a register reported empty (as the national 2020 target).
EMPTY_REGISTER_SD = 0.002
#: People per household when the card gives no household count (assumption).
HOUSEHOLD_SIZE = 4.0


@dataclass
class Made:
    """What `init` wrote and what it assumed."""

    scenario: Path
    targets: Path
    calibration: Path
    assumed: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)


def start_distribution(mean: float, incidence: float, line: float) -> tuple[float, float]:
    """(median, sigma) of the log-normal with this mean and this share below `line`."""
    if not 0.0 < incidence < 0.5:
        raise CardError(f"incidence {incidence} gives no log-normal start below the median; "
                        "expected a share between 0 and 0.5")
    if mean <= line:
        raise CardError(f"mean income {mean:,.0f} is not above the poverty line {line:,.0f}: "
                        "no log-normal has a mean below its line with under half the people "
                        "poor")
    z = float(norm.ppf(incidence))
    a = math.log(line / mean)
    sigma = z + math.sqrt(z * z - 2.0 * a)
    return mean * math.exp(-sigma * sigma / 2.0), sigma


def line_of(year: int) -> float:
    years = sorted(DEFAULT_POVERTY_LINE)
    return float(DEFAULT_POVERTY_LINE[min(max(year, years[0]), years[-1])])


def _nearest(rows: list, year: int):
    return min(rows, key=lambda r: (abs(r.year - year), r.year)) if rows else None


def microdata_data(card: RegionCard, made: Made, out: Path) -> dict:
    """The scenario's `population.microdata`: the card's records, raked to the card's
    figures of the records' year (docs/regions.md, "Raking"), path relative to `out`."""
    md = card.microdata
    records = read_records(md)
    margins: dict = {"households": round(card.rural_population.value / (
        card.household_size or HOUSEHOLD_SIZE), 1)}
    people, env = card.people, card.environment

    def add(name: str, value: float, source: str, of: str = "households",
            count: bool = False) -> None:
        margins[name] = {"count" if count else "share": value, "of": of, "source": source}

    if people.elderly_share is not None:
        add("elderly", people.elderly_share.value, people.elderly_share.source)
        made.assumed.append("people.elderly_share raked as the share of households with a "
                            "head of 60 or more")
    if people.low_education_share is not None:
        add("low_education", people.low_education_share.value,
            people.low_education_share.source)
        made.assumed.append("people.low_education_share raked as the share of households "
                            "whose head has 6 years of schooling or fewer")
    incidence = _nearest(card.survey_incidence, md.year)
    if incidence is not None:
        add("income_poor", incidence.value, incidence.source, of="people")
        if incidence.year != md.year:
            made.assumed.append(f"records of {md.year} raked to the survey incidence of "
                                f"{incidence.year} (none for {md.year})")
    register = _nearest([r for r in card.registered_poor if r.households], md.year)
    if records.registered is not None and register is not None:
        add("registered", register.households, register.source, count=True)
        if register.year != md.year:
            made.assumed.append(f"records of {md.year} raked to the register of "
                                f"{register.year}")
    if records.remote is not None and env.remote_village_share is not None:
        add("remote", env.remote_village_share.value, env.remote_village_share.source)
        made.assumed.append("environment.remote_village_share raked as the share of "
                            "households in remote villages (villages of equal size)")
    margins.update(md.margins.model_dump(mode="json", exclude_none=True, exclude={"households"}))
    result = rake_records(records, Margins.model_validate(margins))
    made.assumed.append("population drawn from the household records "
                        f"({records.n} of them), {result.summary().splitlines()[0]}")
    data = md.model_dump(mode="json", exclude_none=True, exclude={"margins"})
    relative = os.path.relpath(Path(md.path).resolve(), out.resolve())
    # relative to the scenario when near it (a folder that moves with the card); else absolute
    data["path"] = relative if relative.count("..") <= 2 else str(Path(md.path).resolve())
    data["margins"] = margins
    return data


def scenario_data(card: RegionCard, made: Made, out: Path | None = None) -> dict:
    """The scenario mapping: the card's figures on top of its base."""
    base = load_scenario(card.base or "default")
    hh_size = card.household_size
    if hh_size is None:
        hh_size = HOUSEHOLD_SIZE
        made.assumed.append(f"{HOUSEHOLD_SIZE} people per household (no rural_households)")
    households = card.rural_population.value / hh_size
    region: dict = {"name": card.region.name, "households_represented": int(round(households))}
    population: dict = {"household_size_mean": round(hh_size, 3)}
    env = card.environment
    for name in ("road_coverage", "internet_coverage"):
        figure = getattr(env, name)
        if figure is not None:
            region[name] = figure.value
    microdata = None if card.microdata is None else microdata_data(card, made, out or Path())
    used = set() if microdata is None else set(microdata["margins"])
    if env.remote_village_share is not None and "remote" not in used:
        made.unused.append("environment.remote_village_share (the model's remoteness is a "
                           "Beta distribution; set region.remoteness in the scenario)")
    if card.people.education_years_mean is not None:
        population["education_years_mean"] = card.people.education_years_mean.value
    for name in ("elderly_share", "low_education_share"):
        if getattr(card.people, name) is not None and name.removesuffix("_share") not in used:
            made.unused.append(f"people.{name} (no scenario input for it yet)")
    income = _nearest(card.income_pc, FIRST_YEAR)
    incidence = _nearest(card.survey_incidence, income.year if income else FIRST_YEAR)
    if microdata is not None:
        population["microdata"] = microdata
    elif income is not None and incidence is not None:
        median, sigma = start_distribution(income.value, incidence.value, line_of(income.year))
        if incidence.year != income.year:
            made.assumed.append(f"start distribution from income {income.year} and incidence "
                                f"{incidence.year} (no year with both)")
        deflate = (1.0 + base.economy.inflation) ** (FIRST_YEAR - income.year)  # to 2014
        population["income_median"] = round(median * deflate, 1)
        population["income_sigma"] = round(sigma, 4)
        made.assumed.append(f"start income: log-normal through mean {income.value:,.0f} and "
                            f"incidence {incidence.value:.1%} ({income.year}): median "
                            f"{median * deflate:,.0f}, sigma {sigma:.3f} (a starting point: "
                            "the model's start is market income, the card's disposable)")
    else:
        made.assumed.append("start income: the base's (the card needs income_pc and "
                            "survey_incidence rows to set it)")
    comp = card.income_composition
    if comp is not None and comp.wages + comp.business > 0:
        population["wage_share"] = round(comp.wages / (comp.wages + comp.business), 4)
    data: dict = {"name": card.region.id,
                  "description": f"{card.region.name}: made by `povsim region init` from its "
                                 "region card; values not on the card are the base's.",
                  "region": region, "population": population}
    if card.base:
        data = {"name": data.pop("name"), "extends": card.base, **data}
    if card.budgets:
        data["instruments"] = {name: {"budget": b.value} for name, b in card.budgets.items()}
    # What the card does not give is the base's, for a region of this size: its budgets and
    # villages scaled by the number of households each represents.
    ratio = households / base.region.households_represented
    given = {f"instruments.{name}.budget" for name in card.budgets}
    scaled = [p for p in _budget_paths(base.model_dump(mode="json")) if p not in given]
    data["scale"] = {"region.villages": round(ratio, 6),
                     **{path: round(ratio, 6) for path in scaled}}
    made.assumed.append(f"budgets not on the card and the number of villages: the base's "
                        f"({card.base or 'embedded defaults'}) x {ratio:.4g}, its households "
                        "to this region's")
    return data


def _budget_paths(data: dict, prefix: str = "") -> list[str]:
    """Dotted paths of every non-zero `budget` in a scenario mapping."""
    paths: list[str] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            paths += _budget_paths(value, path + ".")
        elif key == "budget" and isinstance(value, int | float) and value > 0:
            paths.append(path)
    return paths


def _population(card: RegionCard, refers_to: str = "people", group: str = "all_rural") -> dict:
    return {"refers_to": refers_to, "group": group, "scale": card.region.level,
            "size": card.rural_population.value, "size_assumed": card.rural_population.assumed,
            "size_source": card.rural_population.source}


def targets_data(card: RegionCard, made: Made) -> dict:
    """The target file: every series row from 2014 on."""
    pop = card.rural_population
    targets: list[dict] = []
    early: list[str] = []
    for row in card.survey_incidence:
        if row.year < FIRST_YEAR:
            early.append(f"survey_incidence {row.year}")
            continue
        size = row.sample_size or SURVEY_SIZE
        targets.append({
            "name": f"survey_incidence_{row.year}", "model_output": "income_poverty_incidence",
            "kind": "stock", "date": f"{row.year}-12", "value": row.value, "unit": "share",
            "population": _population(card), "basis": "survey",
            "uncertainty": {"sample_size": size, "assumed": row.sample_size is None,
                            "note": None if row.sample_size else
                            f"effective survey size {SURVEY_SIZE} people, assumed"},
            "likelihood": "binomial", "weight": 1.0, "source": row.source})
    for row in card.registered_poor:
        if row.year < FIRST_YEAR:
            early.append(f"registered_poor {row.year}")
            continue
        uncertainty = ({"relative_error": REGISTER_ERROR, "assumed": True,
                        "note": "published count; date and definition uncertain"}
                       if row.people > 0 else
                       {"sd": EMPTY_REGISTER_SD, "assumed": True,
                        "note": "an empty register; 0.2 points allows for late exits"})
        targets.append({
            "name": f"registered_incidence_{row.year}",
            "model_output": "registered_poor_incidence", "kind": "stock",
            "date": f"{row.year}-12", "value": row.people / pop.value, "unit": "share",
            "population": _population(card), "basis": "register", "uncertainty": uncertainty,
            "likelihood": "normal", "weight": 1.0, "source": row.source,
            "derived": {"formula": "people / rural_population",
                        "inputs": f"{row.people:,.0f} / {pop.value:,.0f}"}})
    for row in card.income_pc:
        if row.year < FIRST_YEAR:
            early.append(f"income_pc {row.year}")
            continue
        targets.append({
            "name": f"income_{row.year}", "model_output": "income_pc", "kind": "flow",
            "period_start": f"{row.year}-01", "date": f"{row.year}-12", "value": row.value,
            "unit": "yuan_per_person_year", "population": _population(card, group=row.group),
            "basis": "survey",
            "uncertainty": {"relative_error": INCOME_ERROR, "assumed": True,
                            "note": "survey mean income; 3% allows for definitions"},
            "likelihood": "normal", "weight": 1.0, "source": row.source})
    if early:
        made.unused.append("rows before 2014 (" + ", ".join(early) + "): the runs start "
                           "in 2014-01")
    if not targets:
        raise CardError(f"region {card.region.id!r}: no series row from {FIRST_YEAR} on, so "
                        "there is nothing to calibrate to")
    hh = card.rural_households
    sources = sorted({t["source"] for t in targets} | {pop.source})
    region = {"id": card.region.id, "name": card.region.name, "level": card.region.level,
              "parent": card.region.parent, "fictional": card.region.fictional,
              "population": {"value": pop.value, "unit": "people", "date": f"{pop.year}-12",
                             "assumed": pop.assumed, "source": pop.source},
              "households": {"value": hh.value if hh else None, "unit": "households",
                             "assumed": hh is None, "source": hh.source if hh else "none"},
              "source": sources}
    return {"schema_version": 1, "region": region, "targets": targets}


def calibration_data(card: RegionCard, scenario: dict, scenario_file: str,
                     targets_file: str, assumed: Sequence[str] = ()) -> dict:
    """The calibration spec: the start distribution, farm growth and assessment error, with
    what the scenario and targets assumed (shown in the fit's reports)."""
    median = scenario["population"].get("income_median")
    from_records = "microdata" in scenario["population"]
    if median is None:
        median = load_scenario(card.base or "default").population.income_median
    return {
        "name": card.region.id, "targets": targets_file, "scenario": scenario_file,
        "households": 4000, "replicates": 2, "scenario_overrides": {"months": 84},
        "parameters": [
            *([] if from_records else [  # from records the start income is the records'
                {"name": "income_median", "path": "population.income_median",
                 "low": round(0.6 * median, 1), "high": round(1.6 * median, 1)},
                {"name": "income_sigma", "path": "population.income_sigma", "low": 0.5,
                 "high": 1.1}]),
            {"name": "farm_growth", "path": "economy.farm_growth", "low": 0.0, "high": 0.08},
            {"name": "assessment_error", "path": "cadres.assessment_error", "low": 0.05,
             "high": 0.6}],
        "optimizer": {"method": "differential_evolution", "seed": 1, "popsize": 5,
                      "maxiter": 8, "tol": 0.001},
        "report_replicates": 6, "assumptions": list(assumed)}


def init_region(card_path: str | Path, out: str | Path, force: bool = False) -> Made:
    """Write the scenario, target file and calibration spec of a card into `out`; every file
    is validated (and the scenario loaded) before anything is written."""
    card = load_card(card_path)
    out = Path(out)
    rid = card.region.id
    made = Made(out / f"{rid}.yaml", out / f"{rid}.targets.yaml", out / f"{rid}.calibration.yaml")
    existing = [p for p in (made.scenario, made.targets, made.calibration) if p.exists()]
    if existing and not force:
        raise CardError(f"{existing[0]} exists; pass --force to overwrite")
    scenario = scenario_data(card, made, out)
    targets = targets_data(card, made)
    spec = calibration_data(card, scenario, made.scenario.name, made.targets.name,
                            made.assumed)
    parse_targets(targets, str(made.targets))
    parse_spec(spec, str(made.calibration))
    out.mkdir(parents=True, exist_ok=True)
    header = (f"# Made by `povsim region init {card_path}`; edit the card and rerun rather "
              "than editing this file.\n")
    files = ((made.scenario, scenario), (made.targets, targets), (made.calibration, spec))
    for path, data in files:
        path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                        encoding="utf-8")
    try:
        load_scenario(made.scenario)
    except Exception:
        for path, _ in files:
            path.unlink(missing_ok=True)
        raise
    return made
