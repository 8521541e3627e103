"""The `population.microdata` block of a scenario (and `microdata` of a region card): which
household file to read, how its columns are named, and the margins to rake it to.

Kept apart from microdata.py so that the scenario schema can import it without pandas, and
free of `simulation.scenario` imports (the schema imports this module while it loads).
Format: docs/regions.md, "Microdata" and "Raking".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from simulation.validation import Strict

#: Names of the record fields, in the order of the documented column set (docs/regions.md).
#: A file may name its columns otherwise: `columns: {size: hh_members}` maps them.
FIELDS: tuple[str, ...] = (
    "household_id", "village", "size", "labour", "head_age", "education", "chronic",
    "elders", "farm_income", "wage_income", "income", "transfers", "remote", "registered",
    "weight")
#: What records can be raked by: margin name -> what it counts (docs/regions.md, "Raking").
MARGINS: dict[str, str] = {
    "elderly": "households whose head is 60 or older",
    "low_education": "households whose head has 6 years of schooling or fewer",
    "chronic": "households with a chronically ill member",
    "income_poor": "households whose per-capita disposable income (market income plus "
                   "transfers) is below the poverty line of the records' year",
    "remote": "households in a remote village (needs the remote column)",
    "registered": "households on the poverty register (needs the registered column)",
}


class _Input(Strict):
    model_config = ConfigDict(validate_assignment=True)


class Margin(_Input):
    """One target: a share (or a count of households) of what `MARGINS[name]` counts, among
    households or among people (a people share is raked through household targets)."""

    share: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    count: Annotated[float, Field(gt=0.0)] | None = None
    of: Literal["households", "people"] = "households"
    source: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Margin:
        if (self.share is None) == (self.count is None):
            raise ValueError("give a share (between 0 and 1) or a count of households, "
                             "not both or neither")
        if self.count is not None and self.of == "people":
            raise ValueError("a count is of households; give a share for a people margin")
        return self


class Margins(_Input):
    """The totals the records are raked to; every margin is optional."""

    #: Households the weights add up to (e.g. the card's rural households); only needed
    #: for margins given as counts. The simulation's sample is drawn from the shares.
    households: Annotated[float, Field(gt=0)] | None = None
    elderly: Margin | None = None
    low_education: Margin | None = None
    chronic: Margin | None = None
    income_poor: Margin | None = None
    remote: Margin | None = None
    registered: Margin | None = None

    @field_validator(*MARGINS, mode="before")
    @classmethod
    def _number_is_a_share(cls, v: Any) -> Any:
        """`elderly: 0.17` is short for `elderly: {share: 0.17}`."""
        return {"share": v} if isinstance(v, int | float) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _counts_fit_the_total(self) -> Margins:
        for name in MARGINS:
            margin = getattr(self, name)
            if margin is None or margin.count is None:
                continue
            if self.households is None:
                raise ValueError(f"{name}: a count needs the total, margins.households")
            if margin.count >= self.households:
                raise ValueError(f"{name}: {margin.count:,.0f} households is not below the "
                                 f"{self.households:,.0f} households in total "
                                 "(margins.households)")
        return self

    def given(self) -> dict[str, Margin]:
        return {name: m for name in MARGINS if (m := getattr(self, name)) is not None}

    def shares(self) -> dict[str, float]:
        """Each margin as a share (counts divided by the total)."""
        return {name: (m.share if m.share is not None else m.count / self.households)
                for name, m in self.given().items()}


class MicrodataSpec(_Input):
    """Household records a population is drawn from (docs/regions.md, "Microdata")."""

    #: CSV or Parquet; a relative path is relative to the file that names it (the scenario
    #: or card; in a mapping built in Python, to the working directory).
    path: Annotated[str, Field(min_length=1)]
    #: record field -> the file's column name, for columns not named as in FIELDS.
    columns: dict[str, str] = Field(default_factory=dict)
    #: The survey weight column (short for `columns: {weight: ...}`); weights default to 1.
    weight: str | None = None
    #: Whether incomes are per household (default: what household surveys record) or per
    #: person, per year in current yuan of `year`.
    income_unit: Literal["household", "per_capita"] = "household"
    #: Survey year of the incomes: they are deflated to the scenario's start year, and the
    #: income-poor margin uses that year's poverty line.
    year: Annotated[int, Field(ge=2000, le=2035)] = 2014
    margins: Margins = Field(default_factory=Margins)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown record field(s) {unknown}; expected some of "
                             f"{list(FIELDS)} (the file's own column names are the values)")
        return v

    @model_validator(mode="after")
    def _weight_once(self) -> MicrodataSpec:
        if self.weight is not None and self.columns.get("weight", self.weight) != self.weight:
            raise ValueError(f"weight {self.weight!r} and columns.weight "
                             f"{self.columns['weight']!r} disagree; give one")
        return self

    def column(self, name: str) -> str:
        """The file's column for record field `name`."""
        if name == "weight" and self.weight is not None:
            return self.weight
        return self.columns.get(name, name)

    def file(self) -> Path:
        return Path(self.path)


def anchor_path(data: Any, relative_to: Path, keys: tuple[str, ...]) -> None:
    """Make a relative `microdata.path` under `data[keys...]` absolute, relative to the file
    `relative_to` that holds it (as `extends:` is), before files are merged."""
    node = data
    for key in keys:
        if not isinstance(node, dict):
            return
        node = node.get(key)
    if isinstance(node, dict) and isinstance(node.get("path"), str) and node["path"]:
        path = Path(node["path"]).expanduser()
        if not path.is_absolute():
            node["path"] = str((relative_to.parent / path).resolve())
