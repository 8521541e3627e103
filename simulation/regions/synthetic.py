"""SYNTHETIC household microdata for the fictional example county: made up, not a survey.

The tests and the walk-through need a household file with the shape of a real rural
survey: clustered in villages, with survey weights that vary (remote villages sampled
less, non-response), and incomes that go with the head's schooling and age, the share of
members able to work, chronic illness and remoteness. `povsim region synth --out FILE`
writes one; `calibration/cards/example_county.microdata.csv` is its output with the
defaults (regenerate it the same way). Every coefficient below is invented.

    povsim region synth --out calibration/cards/example_county.microdata.csv
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: The file's own column names (not the record fields' names, so the card maps them).
COLUMNS = {
    "household_id": "hh_id", "village": "village_code", "size": "hh_members",
    "labour": "n_labour", "head_age": "head_age", "education": "head_edu_years",
    "chronic": "chronic_ill", "elders": "n_aged_60plus",
    "farm_income": "farm_business_income", "wage_income": "wage_income",
    "transfers": "transfer_income", "remote": "remote_village", "registered": "on_register",
    "weight": "wt",
}
HOUSEHOLDS, VILLAGES, SEED = 3000, 40, 16


def synthetic_households(households: int = HOUSEHOLDS, villages: int = VILLAGES,
                         seed: int = SEED) -> pd.DataFrame:
    """A synthetic survey of `households` records in `villages` villages (2014 incomes)."""
    rng = np.random.default_rng(seed)
    remote_village = rng.random(villages) < 0.35
    village_effect = rng.normal(0.0, 0.15, villages)
    village = np.sort(rng.integers(0, villages, households))
    remote = remote_village[village]
    age = np.clip(np.round(rng.normal(49.0, 13.0, households)), 20, 90)
    elderly = age >= 60
    education = np.clip(np.round(rng.normal(8.0 - 0.06 * (age - 50) - 1.2 * remote, 2.6)),
                        0, 16)
    size = np.clip(1 + rng.poisson(np.where(elderly, 1.3, 2.9)), 1, 12)
    chronic = rng.random(households) < 0.08 + 0.10 * elderly + 0.04 * remote
    labour = rng.binomial(size, np.clip(0.62 - 0.27 * elderly - 0.15 * chronic, 0.05, 1))
    spouse = (size >= 2) & (rng.random(households) < 0.6)
    grand = (size >= 3) & (rng.random(households) < 0.3)
    elders = np.minimum(np.where(elderly, 1 + spouse,
                                 grand * (1 + (rng.random(households) < 0.5))), size)
    log_pc = (np.log(4400.0) + 0.07 * (education - 7) + 0.55 * (labour / size - 0.5)
              - 0.30 * chronic - 0.40 * remote - 0.10 * elderly + village_effect[village]
              + rng.normal(0.0, 0.6, households))
    market = np.exp(log_pc) * size  # household market income, yuan a year
    wage_share = (1 / (1 + np.exp(-(-0.3 + 0.12 * (education - 7) - 0.04 * (age - 45)
                                    + 0.5 * (labour >= 2) - 0.3 * remote))))
    wage_share = np.where(labour > 0, wage_share, 0.0)
    wage = market * wage_share
    farm = market - wage
    loss = rng.random(households) < 0.02  # a bad year for a few businesses
    farm = np.where(loss, -rng.uniform(0, 0.3, households) * market, farm)
    transfers = size * np.maximum(rng.normal(250 + 1300 * elderly + 500 * chronic, 150), 0)
    poor = (farm + wage + transfers) / size < 2800 * 1.4
    registered = rng.random(households) < 1 / (1 + np.exp(-(-3.3 + 3.0 * poor
                                                           + 0.5 * remote)))
    design = np.where(remote, 36.0, 24.0)  # remote villages sampled less
    weight = design * rng.lognormal(0.0, 0.25, households)
    frame = pd.DataFrame({
        "household_id": [f"H{i + 1:05d}" for i in range(households)],
        "village": [f"V{v + 1:02d}" for v in village], "size": size, "labour": labour,
        "head_age": age.astype(int), "education": education.astype(int),
        "chronic": chronic.astype(int), "elders": elders.astype(int),
        "farm_income": np.round(farm).astype(int), "wage_income": np.round(wage).astype(int),
        "transfers": np.round(transfers).astype(int), "remote": remote.astype(int),
        "registered": registered.astype(int), "weight": np.round(weight, 3)})
    return frame.rename(columns=COLUMNS)


def write_synthetic(out: str | Path, households: int = HOUSEHOLDS, seed: int = SEED) -> Path:
    """Write the synthetic survey as CSV (or Parquet for a .parquet name)."""
    out = Path(out)
    frame = synthetic_households(households, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False, lineterminator="\n")
    return out
