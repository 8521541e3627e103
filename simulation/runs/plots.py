"""Figures of a run: the main curves a reader looks at first."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.scenario import PROGRAMMES  # noqa: E402


def _dates(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["date"], format="%Y-%m")


def main_curves(df: pd.DataFrame, title: str, path: Path) -> Path:
    """Incidence, income by source, participation and Smith indices, one page."""
    x = _dates(df)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    ax = axes[0, 0]
    ax.plot(x, 100 * df["survey_poverty_incidence"],
            label="income poverty (survey: last 12 months' income)")
    ax.plot(x, 100 * df["income_poverty_incidence"], label="income poverty (smoothed income)",
            lw=0.8, alpha=0.7)
    ax.plot(x, 100 * df["registered_poor_incidence"], label="registered poor", ls="--")
    ax.set_ylabel("% of people")
    ax.set_title("Poverty incidence")
    ax.legend()
    ax = axes[0, 1]
    sources = ["income_farm", "income_wage", "income_cooperative", "income_business",
               "income_transfer"]
    ax.stackplot(x, *[df[s] for s in sources], labels=[s[7:] for s in sources], alpha=0.8)
    ax.plot(x, df["poverty_line"], color="k", lw=1, label="poverty line")
    ax.set_ylabel("yuan per person per year")
    ax.set_title("Income by source (this month, annualised)")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[1, 0]
    for p in PROGRAMMES:
        ax.plot(x, 100 * df[f"participation_{p}"], label=p)
    ax.set_ylabel("% of households")
    ax.set_title("Participation by programme")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    for k in ("policy", "agency", "target", "environment"):
        ax.plot(x, df[f"smith_{k}"], label=k)
    ax.set_ylim(0, 1)
    ax.set_title("Smith's four factors (indices)")
    ax.legend(fontsize=8)
    fig.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
