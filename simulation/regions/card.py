"""A region card: what is published about a place, each figure with its source.

A card is the short file a researcher writes from a county yearbook, the register's
published counts and the survey series (format: docs/regions.md). It is validated on
loading; an error names the file, the row (`registered_poor[2] (2016)`) and the field, and
says what was expected. `simulation.regions.init` turns a card into a scenario, a target
file and a calibration spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from simulation.calibration.targets import RegionName
from simulation.population.spec import MicrodataSpec, anchor_path
from simulation.scenario.instruments import INSTRUMENT_NAMES
from simulation.validation import Strict, read_yaml, row_location, validate_mapping

Year = Annotated[int, Field(ge=2010, le=2035)]
Basis = Literal["survey", "register", "census", "yearbook", "administrative"]
#: Sum of income shares accepted as 1 (published shares are rounded).
SHARE_SUM_TOLERANCE = 0.02


class CardError(ValueError):
    """A region card that cannot be used: the message names file, row and field."""


class Figure(Strict):
    """One published number, with where it comes from."""

    value: float
    year: Year
    source: Annotated[str, Field(min_length=3)]
    basis: Basis = "yearbook"
    assumed: bool = False
    notes: str | None = None


class Count(Figure):
    value: Annotated[float, Field(gt=0)]


class ShareFigure(Figure):
    value: Annotated[float, Field(ge=0.0, le=1.0)]


class IncidenceRow(ShareFigure):
    basis: Basis = "survey"
    sample_size: Annotated[float, Field(gt=0)] | None = None


class IncomeRow(Count):
    basis: Basis = "survey"
    group: Literal["all_rural", "poor_areas"] = "all_rural"


class RegisteredRow(Strict):
    """The register's published count for a year-end."""

    year: Year
    people: Annotated[float, Field(ge=0)]
    households: Annotated[float, Field(ge=0)] | None = None
    source: Annotated[str, Field(min_length=3)]
    assumed: bool = False
    notes: str | None = None


class Composition(Strict):
    """Shares of per-capita disposable income by source (NBS categories)."""

    year: Year
    wages: Annotated[float, Field(ge=0.0, le=1.0)]
    business: Annotated[float, Field(ge=0.0, le=1.0)]
    property: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    transfers: Annotated[float, Field(ge=0.0, le=1.0)]
    source: Annotated[str, Field(min_length=3)]

    @model_validator(mode="after")
    def _sums_to_one(self) -> Composition:
        total = self.wages + self.business + self.property + self.transfers
        if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
            raise ValueError(f"wages + business + property + transfers = {total:.3f}; "
                             f"expected 1 (within {SHARE_SUM_TOLERANCE})")
        return self


class Environment(Strict):
    road_coverage: ShareFigure | None = None
    internet_coverage: ShareFigure | None = None
    remote_village_share: ShareFigure | None = None


class People(Strict):
    elderly_share: ShareFigure | None = None
    low_education_share: ShareFigure | None = None
    education_years_mean: Figure | None = None


class RegionCard(Strict):
    schema_version: Literal[1] = 1
    region: RegionName
    #: Bundled archetype or scenario path the region's scenario extends (the mechanisms'
    #: defaults it keeps); the embedded defaults when empty.
    base: str | None = None
    rural_population: Count
    rural_households: Count | None = None
    survey_incidence: list[IncidenceRow] = Field(default_factory=list)
    registered_poor: list[RegisteredRow] = Field(default_factory=list)
    income_pc: list[IncomeRow] = Field(default_factory=list)
    income_composition: Composition | None = None
    people: People = Field(default_factory=People)
    environment: Environment = Field(default_factory=Environment)
    budgets: dict[str, Count] = Field(default_factory=dict)
    #: Household records of the region (path relative to the card); `region init` rakes
    #: them to the card's figures and draws the scenario's population from them.
    microdata: MicrodataSpec | None = None

    @field_validator("survey_incidence", "registered_poor", "income_pc")
    @classmethod
    def _one_row_a_year(cls, rows: list) -> list:
        years = [r.year for r in rows]
        if len(set(years)) != len(years):
            raise ValueError(f"one row per year expected; got years {years}")
        return sorted(rows, key=lambda r: r.year)

    @field_validator("budgets")
    @classmethod
    def _known_instruments(cls, budgets: dict[str, Count]) -> dict[str, Count]:
        unknown = sorted(set(budgets) - set(INSTRUMENT_NAMES))
        if unknown:
            raise ValueError(f"unknown instrument(s) {unknown}; expected some of "
                             f"{sorted(INSTRUMENT_NAMES)}")
        return budgets

    @model_validator(mode="after")
    def _consistent(self) -> RegionCard:
        pop = self.rural_population.value
        hh = self.rural_households
        if hh is not None and not 1.0 <= pop / hh.value <= 10.0:
            raise ValueError(f"rural_population / rural_households = {pop / hh.value:.2f} "
                             "people per household; expected 1 to 10")
        for i, row in enumerate(self.registered_poor):
            if row.people > pop:
                raise ValueError(f"registered_poor[{i}] ({row.year}).people {row.people:,.0f} "
                                 f"is above rural_population {pop:,.0f}")
            if row.households is not None and row.households > row.people:
                raise ValueError(f"registered_poor[{i}] ({row.year}).households "
                                 f"{row.households:,.0f} is above its people "
                                 f"{row.people:,.0f}")
        if not self.survey_incidence and not self.registered_poor:
            raise ValueError("a card needs survey_incidence or registered_poor rows: without "
                             "either there is nothing to fit the region to")
        return self

    @property
    def household_size(self) -> float | None:
        hh = self.rural_households
        return None if hh is None else self.rural_population.value / hh.value


def _where(data: dict, loc: tuple) -> str:
    """'registered_poor[2] (2016).people' from a pydantic error location."""
    return row_location(data, loc, lambda key, item: str(item.get("year", "")))


def parse_card(data: Any, source: str = "<card>") -> RegionCard:
    """Validate a mapping as a region card; errors name `source`, the row and field."""
    return validate_mapping(
        RegionCard, data, source, CardError, "region card",
        "a mapping with region, rural_population and the series at the top level",
        "unknown field (check spelling against docs/regions.md)",
        location=lambda err: _where(data, tuple(err["loc"])), hint="; format: docs/regions.md")


def load_card(path: str | Path) -> RegionCard:
    """Read and validate a region card YAML file (a microdata path is relative to it)."""
    data = read_yaml(path, CardError, "region card")
    anchor_path(data, Path(path), ("microdata",))
    return parse_card(data, str(path))
