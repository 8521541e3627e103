"""Calibration targets: reported outcomes as validated data files, and the model's matching
value for each one.

The file format is documented for users in `calibration/targets/README.md`; this module is
its single validator, so a malformed file fails with the file, the target and the field
named. `model_value` reads a run's monthly table at the target's dates (a stock at one
month, a flow summed over its period) and puts it in the target's unit and population.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from simulation.timeline import month_index, month_label, parse_month
from simulation.validation import Strict, read_yaml, row_location, validate_mapping


class TargetError(ValueError):
    """A target file is malformed; the message names the file, the target and the field."""


class TargetWarning(UserWarning):
    """A valid target that this run cannot use (outside the simulated window, say)."""



Month = Annotated[str, Field(description="a month as 'YYYY-MM'")]
Sources = str | list[str]

#: model_output -> (allowed units, kind)
OUTPUTS: dict[str, tuple[tuple[str, ...], str]] = {
    "income_poverty_incidence": (("share",), "stock"),
    "registered_poor_incidence": (("share",), "stock"),
    "income_pc": (("yuan_per_person_year",), "flow"),
    "income_growth": (("fraction_per_year",), "flow"),
    "income_transfer_share": (("share",), "flow"),
    "people_lifted": (("people",), "flow"),
    "register_net_fall": (("people", "households"), "flow"),
    "exits": (("people", "households"), "flow"),
    "returns_to_poverty": (("people", "households"), "flow"),
    # Exits of people truly short of the line or the criteria, per person exited.
    "wrongful_exit_share": (("share",), "flow"),
    "microcredit_participation": (("share",), "stock"),
    "ecommerce_participation": (("share",), "stock"),
    "cooperative_participation": (("share",), "stock"),
}
Output = Literal[tuple(OUTPUTS)]  # type: ignore[valid-type]
Unit = Literal["share", "people", "households", "yuan_per_person_year", "fraction_per_year"]
Group = Literal["all_rural", "registered_poor", "poor_areas", "urban", "all"]
Scale = Literal["nation", "province", "prefecture", "county", "township", "village"]


def _month(v: str | None) -> str | None:
    if v is not None:
        parse_month(v)
    return v


class Quantity(Strict):
    value: float | None
    unit: Literal["people", "households"]
    date: Month | None = None
    assumed: bool = False
    source: Sources | None = None
    notes: str | None = None

    @field_validator("date")
    @classmethod
    def _m(cls, v: str | None) -> str | None:
        return _month(v)


class RegionName(Strict):
    """Which place: the header shared by target files and region cards."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    name: str
    level: Scale
    parent: str | None = None
    fictional: bool = False
    notes: str | None = None


class RegionInfo(RegionName):
    population: Quantity
    households: Quantity
    source: Sources


class PopulationSpec(Strict):
    refers_to: Literal["people", "households"]
    group: Group
    scale: Scale
    size: Annotated[float, Field(gt=0)] | None
    size_assumed: bool = False
    size_source: str | None = None


class Uncertainty(Strict):
    sample_size: Annotated[float, Field(gt=0)] | None = None
    overdispersion: Annotated[float, Field(gt=0, lt=1)] | None = None
    sd: Annotated[float, Field(gt=0)] | None = None
    relative_error: Annotated[float, Field(gt=0)] | None = None
    assumed: bool
    note: str | None = None


class Derived(Strict):
    formula: str
    inputs: str


class Target(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    model_output: Output
    kind: Literal["stock", "flow"]
    date: Month
    period_start: Month | None = None
    value: float
    unit: Unit
    population: PopulationSpec
    basis: Literal["survey", "register"]
    uncertainty: Uncertainty
    likelihood: Literal["binomial", "beta_binomial", "normal"]
    weight: Annotated[float, Field(ge=0)]
    source: Sources
    bound: Literal["none", "lower", "upper"] = "none"
    status: Literal["reported", "planned"] = "reported"
    derived: Derived | None = None
    notes: str | None = None

    @field_validator("date", "period_start")
    @classmethod
    def _m(cls, v: str | None) -> str | None:
        return _month(v)

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        units, kind = OUTPUTS[self.model_output]
        if self.unit not in units:
            raise ValueError(f"unit {self.unit!r} does not fit model_output "
                             f"{self.model_output!r}; expected one of {list(units)}")
        if self.kind != kind:
            raise ValueError(f"model_output {self.model_output!r} is a {kind}; got kind "
                             f"{self.kind!r}")
        if kind == "flow" and self.period_start is None:
            raise ValueError("a flow needs period_start (first month of the period, 'YYYY-MM')")
        if kind == "stock" and self.period_start is not None:
            raise ValueError("period_start must not be given for a stock")
        if self.period_start and month_index(self.date, self.period_start) < 0:
            raise ValueError(f"period_start {self.period_start} is after date {self.date}")
        if self.unit == "share" and not 0 <= self.value <= 1:
            raise ValueError(f"value {self.value} is a share; expected 0..1")
        if self.model_output == "income_poverty_incidence" and self.basis != "survey":
            raise ValueError("income_poverty_incidence is the survey measure; expected "
                             "basis 'survey' (use registered_poor_incidence for the register)")
        if self.model_output == "registered_poor_incidence" and self.basis != "register":
            raise ValueError("registered_poor_incidence is the register; expected basis "
                             "'register'")
        if self.model_output == "register_net_fall" and self.basis != "register":
            raise ValueError("register_net_fall is the register's net fall; expected basis "
                             "'register'")
        if self.population.group == "urban":
            raise ValueError("the model simulates rural households: an urban figure belongs "
                             "under context:, not targets:")
        u = self.uncertainty
        if self.likelihood in ("binomial", "beta_binomial"):
            if self.unit != "share":
                raise ValueError(f"likelihood {self.likelihood!r} is for shares; use 'normal' "
                                 f"for unit {self.unit!r}")
            if u.sample_size is None:
                raise ValueError(f"likelihood {self.likelihood!r} needs "
                                 "uncertainty.sample_size (effective survey size)")
            if self.likelihood == "beta_binomial" and u.overdispersion is None:
                raise ValueError("likelihood 'beta_binomial' needs uncertainty.overdispersion "
                                 "(intra-cluster correlation in (0, 1))")
            if self.bound != "none":
                raise ValueError("bound: lower/upper works with likelihood 'normal' only")
        else:
            if u.sd is None and u.relative_error is None:
                raise ValueError("likelihood 'normal' needs uncertainty.sd or "
                                 "uncertainty.relative_error")
            if u.sd is None and self.value == 0:
                raise ValueError("value is 0, so relative_error gives no spread; give "
                                 "uncertainty.sd")
        return self

    @property
    def sigma(self) -> float:
        """Standard deviation of the reported value (for bands and the normal likelihood)."""
        u = self.uncertainty
        if self.likelihood == "normal":
            return float(u.sd if u.sd is not None else u.relative_error * abs(self.value))
        n = float(u.sample_size)
        p = min(max(self.value, 0.5 / n), 1 - 0.5 / n)
        design = 1.0 + (n - 1.0) * (u.overdispersion or 0.0)
        return math.sqrt(p * (1 - p) * design / n)

    @property
    def first_month(self) -> str:
        return self.period_start or self.date


class ContextItem(Strict):
    name: str
    date: Month | None = None
    period_start: Month | None = None
    value: Any
    unit: str
    source: Sources
    assumed: bool = False
    suggested_use: str | None = None
    notes: str | None = None

    @field_validator("date", "period_start")
    @classmethod
    def _m(cls, v: str | None) -> str | None:
        return _month(v)


class TargetFile(Strict):
    schema_version: Literal[1]
    region: RegionInfo
    targets: Annotated[list[Target], Field(min_length=1)]
    context: list[ContextItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> TargetFile:
        seen: set[str] = set()
        for t in self.targets:
            if t.name in seen:
                raise ValueError(f"target name {t.name!r} is used twice; names must be unique")
            seen.add(t.name)
        return self

    def by_name(self) -> dict[str, Target]:
        return {t.name: t for t in self.targets}


def _where(data: dict, loc: tuple) -> str:
    """'targets[3] (name_x).uncertainty.sd' from a pydantic error location."""
    return row_location(data, loc, lambda key, item: item.get("name", "")
                        if key in ("targets", "context") else "")


def parse_targets(data: Any, source: str = "<targets>") -> TargetFile:
    """Validate a mapping as a target file; errors name `source`, the target and field."""
    return validate_mapping(
        TargetFile, data, source, TargetError, "target file",
        "a mapping with schema_version, region and targets at the top level",
        "unknown field (check spelling against calibration/targets/README.md)",
        location=lambda err: _where(data, tuple(err["loc"])),
        hint="; format: calibration/targets/README.md")


def load_targets(path: str | Path) -> TargetFile:
    """Read and validate a target YAML file."""
    path = Path(path)
    data = read_yaml(path, TargetError, "target file")
    return parse_targets(data, str(path))


# ------------------------------------------------------------------ model alignment
@dataclass(frozen=True)
class Window:
    """The simulated calendar: first month and number of months."""

    start: str
    months: int

    def index(self, month: str) -> int:
        return month_index(month, self.start)

    @property
    def last(self) -> str:
        return month_label(self.start, self.months - 1)


def months_needed(target: Target) -> tuple[str, str]:
    """First and last simulated month the target reads (income growth needs a base year)."""
    first = target.first_month
    if target.model_output == "income_growth":
        first = month_label(target.first_month, -12)
    return first, target.date


def unsupported_reason(target: Target) -> str | None:
    """Why the model's outputs cannot represent this target, or None if they can."""
    if target.population.group == "registered_poor" and target.model_output == "income_growth":
        return ("the register's members change from year to year, so its income growth is not "
                "one group's growth (use its income level, income_pc, at two dates)")
    return None


def usable(target: Target, window: Window) -> str | None:
    """None if the run can compare with `target`, else the reason it is skipped."""
    reason = unsupported_reason(target)
    if reason:
        return reason
    first, last = months_needed(target)
    if window.index(first) < 0:
        return (f"needs month {first}, before the simulated start {window.start} (the "
                "runner records months from the start on)")
    if window.index(last) >= window.months:
        return f"needs month {last}, after the last simulated month {window.last}"
    return None


def split_usable(targets: list[Target], window: Window, warn: bool = True
                 ) -> tuple[list[Target], dict[str, str]]:
    """(targets the run can use, {name: reason} for the rest), warning for each skipped."""
    keep, skipped = [], {}
    for t in targets:
        reason = usable(t, window)
        if reason is None:
            keep.append(t)
        else:
            skipped[t.name] = reason
            if warn:
                warnings.warn(f"target {t.name!r} skipped: {reason}", TargetWarning,
                              stacklevel=2)
    return keep, skipped


INCOME_SOURCES = ("income_farm", "income_wage", "income_cooperative", "income_business",
                  "income_property", "income_transfer")
PARTICIPATION = {"microcredit_participation": "microcredit",
                 "ecommerce_participation": "ecommerce",
                 "cooperative_participation": "cooperative"}


def model_people(monthly: pd.DataFrame) -> float:
    """People in the represented region (the runner reports poor people and their share)."""
    inc = monthly["income_poverty_incidence"].to_numpy()
    poor = monthly["poor_people"].to_numpy()
    ok = inc > 0
    if not ok.any():
        raise TargetError("cannot scale counts: the run has no income-poor people in any "
                          "month, so the region's population is not recoverable")
    return float(np.median(poor[ok] / inc[ok]))


def _monthly_income(monthly: pd.DataFrame) -> pd.Series:
    """Each month's income, annualised and not smoothed (survey income is the year's)."""
    if "income_pc_current" in monthly:
        return monthly["income_pc_current"]
    cols = [c for c in INCOME_SOURCES if c in monthly]
    if not cols:
        return monthly["income_pc"]
    return monthly[cols].sum(axis=1)


def stock_series(target: Target, monthly: pd.DataFrame) -> pd.Series:
    """The model's value of a stock target at every recorded month."""
    out, group = target.model_output, target.population.group
    if out == "income_poverty_incidence":
        if group == "registered_poor":
            return monthly["incidence_registered"]
        # The survey compares the calendar year's income with the year's line
        # (metrics.YearIncome); runs recorded before that column read the smoothed income.
        return monthly.get("survey_poverty_incidence", monthly[out])
    if out == "registered_poor_incidence":
        return monthly[out]
    programme = PARTICIPATION[out]
    # Reported reach is cumulative ("households that have borrowed"): ever joined.
    reach = monthly[f"ever_joined_{programme}"]
    if group == "registered_poor":
        # Denominator: households ever on the register, approximated by the register's
        # peak people-share so far (household size does not depend on registration).
        denom = monthly["registered_poor_incidence"].cummax().clip(lower=1e-9)
        return (reach / denom).clip(upper=1.0)
    return reach


def _rows(monthly: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    dates = monthly["date"].astype(str)
    return monthly[(dates >= first) & (dates <= last)]


def _count_scale(target: Target, monthly: pd.DataFrame, people: float, households: float,
                 region_people: float | None) -> float:
    """Factor turning the model region's count into the target population's count."""
    size = target.population.size
    if size is not None:
        base = people if target.population.refers_to == "people" else households
        return size / base
    if region_people:
        return region_people / people
    return 1.0


def model_value(target: Target, monthly: pd.DataFrame, households_represented: float,
                inflation: float, region_people: float | None = None) -> float:
    """The run's value of `target`, in the target's unit and for its population."""
    out = target.model_output
    if target.kind == "stock":
        series = stock_series(target, monthly)
        hit = series[monthly["date"].astype(str) == target.date]
        if hit.empty:
            raise TargetError(f"target {target.name!r}: month {target.date} not in the run")
        return float(hit.iloc[0])
    rows = _rows(monthly, target.period_start, target.date)
    n_months = month_index(target.date, target.period_start) + 1
    if len(rows) != n_months:
        raise TargetError(f"target {target.name!r}: the run covers {len(rows)} of the "
                          f"{n_months} months {target.period_start}..{target.date}")
    if out == "income_pc":
        if target.population.group == "registered_poor":
            # The register file's smoothed annual income (households registered now or
            # exited from the register: the published series' basis), averaged.
            column = ("income_pc_ever_registered" if "income_pc_ever_registered" in rows
                      else "income_pc_registered")
            return float(rows[column].mean())
        return float(_monthly_income(rows).mean())
    if out == "wrongful_exit_share":
        exited = float(rows["official_exits"].sum())
        return float(rows["wrongful_exits"].sum()) / exited if exited > 0 else 0.0
    if out == "income_transfer_share":
        return float((rows["income_transfer_share"] * rows["income_pc"]).sum()
                     / rows["income_pc"].sum())
    if out == "income_growth":
        income = _monthly_income(monthly).to_numpy()
        month = monthly["month"].to_numpy(dtype=float)
        real = income / (1.0 + inflation) ** (month / 12.0)
        dates = list(monthly["date"].astype(str))
        end = dates.index(target.date)
        base_end = dates.index(month_label(target.period_start, -1))
        i_end = real[end - 11:end + 1].mean()
        i_base = real[base_end - 11:base_end + 1].mean()
        return float((i_end / i_base) ** (12.0 / n_months) - 1.0)
    people = model_people(monthly)
    size_mean = people / households_represented
    # Every count column of the monthly table is in people (the recorder sums household
    # sizes); households are people / the region's mean household size.
    if out == "register_net_fall":
        # "Reduced N people in poverty": official exits minus the reviews' entries, i.e.
        # the fall from the register as first identified (identification is not an entry).
        count_people = float(rows["official_exits"].sum() - rows["register_entries"].sum())
        count = count_people if target.unit == "people" else count_people / size_mean
        return count * _count_scale(target, monthly, people, households_represented,
                                    region_people)
    if out in ("people_lifted", "exits"):
        column = "official_exits" if target.basis == "register" else "exits"
    elif out == "returns_to_poverty":
        column = "register_returns" if target.basis == "register" else "returns"
    else:  # pragma: no cover - OUTPUTS and this function are kept in step
        raise TargetError(f"target {target.name!r}: no rule for model_output {out!r}")
    count_people = float(rows[column].sum())
    count_hh = count_people / size_mean
    count = count_people if target.unit == "people" else count_hh
    return count * _count_scale(target, monthly, people, households_represented, region_people)


def model_band_series(target: Target, monthly: pd.DataFrame) -> pd.Series | None:
    """For plotting: the stock's whole monthly path (None for flows)."""
    if target.kind != "stock":
        return None
    return stock_series(target, monthly)

