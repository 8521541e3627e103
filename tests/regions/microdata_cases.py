"""Shared set-up of the microdata tests: the example county's SYNTHETIC records and spec."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

CARDS = Path(__file__).resolve().parents[2] / "calibration" / "cards"
EXAMPLE = CARDS / "example_county.yaml"
RECORDS = CARDS / "example_county.microdata.csv"


def card_microdata() -> dict:
    """The example card's `microdata` block with an absolute path."""
    block = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["microdata"]
    return {**block, "path": str(RECORDS)}


def frame() -> pd.DataFrame:
    return pd.read_csv(RECORDS, dtype=str, keep_default_na=False)


def write(tmp_path: Path, data: pd.DataFrame, name: str = "records.csv") -> dict:
    """`data` written to `tmp_path/name`; the card's microdata block pointing at it."""
    path = tmp_path / name
    if path.suffix == ".parquet":
        data.to_parquet(path, index=False)
    else:
        data.to_csv(path, index=False)
    return {**card_microdata(), "path": str(path)}
