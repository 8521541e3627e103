"""Shared pieces of the scenario schema: the error type, the parameter helper `P`
with its source, constrained number types and the Beta distribution."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from simulation.validation import Strict as StrictInput

__all__ = ["ASSUMPTION", "Beta", "NonNegative", "P", "Positive", "ScenarioError", "Share", "Strict"]

ASSUMPTION = "Source: assumption"


class ScenarioError(ValueError):
    """A scenario file or override is malformed; the message names file, field and expectation."""


def P(default: Any, what: str, source: str, **constraints: Any) -> Any:
    """A parameter with its meaning and its source, for the generated parameter table."""
    return Field(default, description=f"{what} Source: {source}", **constraints)



class Strict(StrictInput):
    """The strict input base (`simulation.validation.Strict`); scenario models also validate
    assignments, so a scenario changed in place stays valid."""

    model_config = ConfigDict(validate_assignment=True)


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Beta(Strict):
    """A Beta(a, b) distribution on [0, 1], used for household and village traits."""

    a: Positive = Field(2.0, description="First shape parameter. Source: assumption.")
    b: Positive = Field(2.0, description="Second shape parameter. Source: assumption.")

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

