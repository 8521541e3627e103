"""The `Scenario` root: one validated description of a region, its people and its
policies."""

from __future__ import annotations

import hashlib
import json

import yaml
from pydantic import Field, field_validator

from simulation.scenario.actors import ActorsParams
from simulation.scenario.base import P, Strict
from simulation.scenario.behaviour import (
    CHANNELS,
    Behaviour,
    Cadres,
    Channel,
    Cooperatives,
    Feedback,
    _default_channels,
)
from simulation.scenario.economy import Economy
from simulation.scenario.instruments import Instruments
from simulation.scenario.region import Population, Region
from simulation.scenario.transfers import TransfersParams
from simulation.scenario.transition import Transition
from simulation.timeline import parse_month


class Scenario(Strict):
    name: str = P("default", "Scenario name.", "assumption")
    description: str = P("", "What the scenario represents and where its numbers come from.",
                         "assumption")
    start: str = P("2014-01", "First simulated month.", "001 'Introduction' (targeted poverty "
                   "alleviation from 2013-14)")
    months: int = P(144, "Months simulated (2014-2025 by default).", "issue #2", ge=1, le=600)
    households: int = P(20_000, "Simulated households (a sample of the region).", "assumption",
                        ge=10, le=5_000_000)
    seed: int = P(1, "Default random seed.", "assumption", ge=0)
    region: Region = Field(default_factory=Region)
    population: Population = Field(default_factory=Population)
    economy: Economy = Field(default_factory=Economy)
    cadres: Cadres = Field(default_factory=Cadres)
    cooperatives: Cooperatives = Field(default_factory=Cooperatives)
    channels: dict[str, Channel] = Field(default_factory=_default_channels)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    feedback: Feedback = Field(default_factory=Feedback)
    instruments: Instruments = Field(default_factory=Instruments)
    transfers: TransfersParams = Field(default_factory=TransfersParams)
    actors: ActorsParams = Field(default_factory=ActorsParams)
    transition: Transition = Field(default_factory=Transition)

    @field_validator("start")
    @classmethod
    def _month(cls, v: str) -> str:
        parse_month(v)
        return v

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_defaults(cls, v):
        """A channel given in part keeps that channel's own defaults for the rest (not the
        generic Channel defaults): `work_group: {intensity: 0.8}` still needs a phone."""
        if not isinstance(v, dict):
            return v
        defaults = _default_channels()
        return {name: ({**defaults[name].model_dump(), **given}
                       if isinstance(given, dict) and name in defaults else given)
                for name, given in v.items()}

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        unknown = sorted(set(v) - set(CHANNELS))
        if unknown:
            raise ValueError(f"unknown channel(s) {unknown}; expected some of {list(CHANNELS)}")
        full = _default_channels()
        full.update(v)
        return full

    def content_hash(self) -> str:
        """Stable hash of the scenario's content (the key of a run with its seed)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)

