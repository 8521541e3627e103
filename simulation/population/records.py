"""Household microdata: survey records read from CSV or Parquet and validated before use.

A region's own household survey (or a census extract) says more than a card's totals: how
income goes with schooling, labour, illness and remoteness. `read_records` reads such a
file with the documented column set (docs/regions.md, "Microdata"; names mapped by
`MicrodataSpec.columns`) and checks every value first: an error names the file, the data
row (1-based, the header not counted), the household, the field with its column, and what
was expected. Raking (raking.py) and the simulated population (population.py) use the
result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.population.spec import MicrodataSpec
from simulation.scenario.base import ScenarioError

#: Problems listed in one error (the rest are counted).
MAX_PROBLEMS = 12
#: Largest household accepted (people).
MAX_SIZE = 30
FLAG_VALUES = {"1": True, "0": False, "true": True, "false": False, "yes": True,
               "no": False, "y": True, "n": False}


class MicrodataError(ScenarioError):
    """A household file that cannot be used: the message names file, row and field."""


@dataclass(frozen=True)
class Column:
    kind: str  # id | label | whole | number | flag
    required: bool
    meaning: str
    low: float = -math.inf
    high: float = math.inf


#: The documented column set (docs/regions.md has the same table).
COLUMNS: dict[str, Column] = {
    "household_id": Column("id", True, "household identifier, unique"),
    "village": Column("label", False, "village name or code (households of one village "
                      "stay together)"),
    "size": Column("whole", True, "household members (people)", 1, MAX_SIZE),
    "labour": Column("whole", True, "members able to work, at most size", 0, MAX_SIZE),
    "head_age": Column("number", True, "age of the household head (years)", 15, 110),
    "education": Column("number", True, "head's years of schooling", 0, 25),
    "chronic": Column("flag", True, "a member with a chronic illness or disability (0/1)"),
    "elders": Column("whole", False, "members aged 60 or more, at most size", 0, MAX_SIZE),
    "farm_income": Column("number", False, "net farm and household business income "
                          "(yuan a year; may be negative)"),
    "wage_income": Column("number", False, "wage and migrant-work income (yuan a year)", 0),
    "income": Column("number", False, "market income (yuan a year) when farm and wage "
                     "income are not given apart"),
    "transfers": Column("number", False, "transfers received: pensions, subsidies, dibao, "
                        "remittances (yuan a year)", 0),
    "remote": Column("flag", False, "the village is remote (0/1), the same for a village"),
    "registered": Column("flag", False, "on the poverty register (0/1)"),
    "weight": Column("number", False, "survey weight (> 0; default 1)", 0),
}


@dataclass(frozen=True)
class Records:
    """Validated household records; incomes are per person a year in current yuan of
    `year` (market = farm + wage)."""

    source: str
    year: int
    household_id: np.ndarray
    village: np.ndarray | None
    size: np.ndarray
    labour: np.ndarray
    head_age: np.ndarray
    education: np.ndarray
    chronic: np.ndarray
    elders: np.ndarray | None
    farm_pc: np.ndarray | None  # None when only total market income is given
    wage_pc: np.ndarray | None
    market_pc: np.ndarray
    transfers_pc: np.ndarray
    remote: np.ndarray | None
    registered: np.ndarray | None
    weight: np.ndarray

    @property
    def n(self) -> int:
        return len(self.size)

    @property
    def disposable_pc(self) -> np.ndarray:
        return self.market_pc + self.transfers_pc


class _Problems:
    """Collects problems so that one error lists them all (up to MAX_PROBLEMS)."""

    def __init__(self, source: str, ids: pd.Series | None):
        self.source, self.ids, self.count = source, ids, 0
        self.lines: list[tuple[int, str]] = []
        self.bad: set[int] = set()  # rows with a bad value: no cross-field checks there

    def row(self, i: int, name: str, column: str, text: str) -> None:
        self.count += 1
        self.bad.add(i)
        who = ""
        if self.ids is not None and name != "household_id":
            who = f" (household {self.ids.iloc[i]})"
        self.lines.append((i, f"  data row {i + 1}{who}, field '{name}' (column "
                              f"{column!r}): {text}"))

    def raise_any(self) -> None:
        if not self.count:
            return
        lines = [text for _, text in sorted(self.lines, key=lambda x: x[0])][:MAX_PROBLEMS]
        more = self.count - len(lines)
        tail = [f"  ... and {more} more"] if more > 0 else []
        raise MicrodataError("\n".join([f"{self.source}: invalid household microdata "
                                        f"({self.count} problem(s); format: docs/regions.md, "
                                        "Microdata)", *lines, *tail]))


def read_table(path: Path) -> pd.DataFrame:
    """The file as a frame: CSV as text (every value checked here), Parquet as stored."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise MicrodataError(f"{path}: cannot read household microdata: expected a .csv or "
                             f".parquet file, got {suffix or 'no extension'!r}")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                                encoding="utf-8")
        else:
            frame = pd.read_parquet(path)
    except FileNotFoundError:
        raise MicrodataError(f"{path}: cannot read household microdata: no such file") from None
    except UnicodeDecodeError as exc:
        raise MicrodataError(f"{path}: cannot read household microdata: not UTF-8 text "
                             f"(byte at position {exc.start}; save it as UTF-8)") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise MicrodataError(f"{path}: cannot read household microdata: {exc}") from None
    if frame.empty:
        raise MicrodataError(f"{path}: no household records (the file has no data rows)")
    return frame


def _missing(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip()
    return (values.isna() | (text == "")).to_numpy()


def _parse(values: pd.Series, name: str, column: str, spec: Column,
           problems: _Problems) -> np.ndarray:
    """One column checked and converted; each bad value is a problem of its row."""
    missing = _missing(values)
    for i in np.flatnonzero(missing)[:MAX_PROBLEMS]:
        problems.row(int(i), name, column, f"missing value; expected {spec.meaning}")
    problems.count += max(int(missing.sum()) - MAX_PROBLEMS, 0)
    if spec.kind in ("id", "label"):
        return values.astype(str).str.strip().to_numpy(dtype=object)
    if spec.kind == "flag":
        text = values.astype(str).str.strip().str.lower().str.removesuffix(".0")
        parsed = text.map(FLAG_VALUES)
        for i in np.flatnonzero(parsed.isna().to_numpy() & ~missing)[:MAX_PROBLEMS]:
            problems.row(int(i), name, column, f"expected 0 or 1 (or true/false, yes/no), "
                         f"got {values.iloc[i]!r}")
        return parsed.fillna(False).to_numpy(dtype=bool)
    number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    wanted = ("a whole number" if spec.kind == "whole" else "a number")
    if math.isfinite(spec.low) and math.isfinite(spec.high):
        wanted += f" from {spec.low:g} to {spec.high:g}"
    elif math.isfinite(spec.low):
        wanted += " above 0" if name == "weight" else f" of {spec.low:g} or more"
    bad = ~missing & (~np.isfinite(number) | (number < spec.low) | (number > spec.high)
                      | ((number <= 0) if name == "weight" else False))
    if spec.kind == "whole":
        bad |= ~missing & np.isfinite(number) & (number != np.floor(number))
    for i in np.flatnonzero(bad)[:MAX_PROBLEMS]:
        problems.row(int(i), name, column, f"expected {wanted} ({spec.meaning}), got "
                     f"{values.iloc[i]!r}")
    problems.count += max(int(bad.sum()) - MAX_PROBLEMS, 0)
    return np.where(np.isfinite(number), number, 0.0)


def _columns_present(frame: pd.DataFrame, md: MicrodataSpec, source: str) -> dict[str, str]:
    """Record field -> file column for the fields the file has; missing required ones (or
    mapped ones) and an incomplete income set are errors."""
    have = {str(c) for c in frame.columns}
    present, problems = {}, []
    for name, spec in COLUMNS.items():
        column = md.column(name)
        if column in have:
            present[name] = column
        elif spec.required or name in md.columns or (name == "weight" and md.weight):
            how = (f"mapped by microdata.columns.{name}" if name in md.columns or
                   (name == "weight" and md.weight) else
                   f"map the file's own name with microdata.columns.{name}")
            problems.append(f"column {column!r} ({name}: {spec.meaning}) is missing ({how})")
    split = [n for n in ("farm_income", "wage_income") if n in present]
    if len(split) == 1:
        other = ({"farm_income", "wage_income"} - set(split)).pop()
        problems.append(f"column {md.column(other)!r} ({other}) is missing: farm and wage "
                        "income go together (or give one market income column, 'income')")
    elif split and "income" in present:
        problems.append("give farm_income and wage_income, or income, not both")
    elif not split and "income" not in present:
        problems.append("no income: expected columns farm_income and wage_income (or income)")
    if problems:
        listed = ", ".join(repr(c) for c in list(frame.columns)[:30])
        raise MicrodataError("\n".join([f"{source}: invalid household microdata "
                                        f"({len(problems)} problem(s); format: "
                                        "docs/regions.md, Microdata)",
                                        *(f"  {p}" for p in problems),
                                        f"  the file's columns: {listed}"]))
    return present


def read_records(md: MicrodataSpec) -> Records:
    """Read and validate the records of `md` (cached while the file is unchanged)."""
    path = md.file().expanduser().resolve()
    try:
        stat = path.stat()
    except OSError:
        raise MicrodataError(f"{path}: cannot read household microdata: no such file "
                             f"(microdata.path {md.path!r})") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size, md.model_dump_json(exclude={"margins"}))
    if key not in _CACHE:
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _read(str(path), md)
    return _CACHE[key]


#: (path, mtime, size, spec) -> records: scenarios are validated again and again (sweeps,
#: calibration), the file is read once.
_CACHE: dict[tuple, Records] = {}


def _read(path: str, md: MicrodataSpec) -> Records:
    frame = read_table(Path(path))
    present = _columns_present(frame, md, path)
    ids = frame[present["household_id"]].astype(str).str.strip()
    problems = _Problems(path, ids)
    values = {name: _parse(frame[col], name, col, COLUMNS[name], problems)
              for name, col in present.items()}
    dup = ids.duplicated(keep="first").to_numpy()
    for i in np.flatnonzero(dup)[:MAX_PROBLEMS]:
        first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
        problems.row(int(i), "household_id", present["household_id"],
                     f"{ids.iloc[i]!r} repeats data row {first + 1}; expected unique ids")
    size = values["size"]
    checked = np.ones(len(frame), dtype=bool)
    checked[list(problems.bad)] = False
    for name in ("labour", "elders"):
        if name in values:
            for i in np.flatnonzero((values[name] > size) & checked)[:MAX_PROBLEMS]:
                problems.row(int(i), name, present[name], f"{values[name][i]:g} is above "
                             f"the household's size {size[i]:g}; expected at most size")
    if "remote" in values and "village" in values:
        _check_remote_by_village(values["village"], values["remote"], present, problems)
    problems.raise_any()
    n = len(frame)
    per = np.ones(n) if md.income_unit == "per_capita" else 1.0 / size
    if "income" in values:
        farm = wage = None
        market = values["income"] * per
    else:
        farm, wage = values["farm_income"] * per, values["wage_income"] * per
        market = farm + wage
    return Records(
        source=path, year=md.year, household_id=ids.to_numpy(dtype=object),
        village=values.get("village"), size=size.astype(np.float32),
        labour=values["labour"].astype(np.float32),
        head_age=values["head_age"].astype(np.float32),
        education=values["education"].astype(np.float32), chronic=values["chronic"],
        elders=None if "elders" not in values else values["elders"].astype(np.float32),
        farm_pc=farm, wage_pc=wage, market_pc=market,
        transfers_pc=values["transfers"] * per if "transfers" in values else np.zeros(n),
        remote=values.get("remote"), registered=values.get("registered"),
        weight=values["weight"] if "weight" in values else np.ones(n))


def _check_remote_by_village(village: np.ndarray, remote: np.ndarray, present: dict,
                             problems: _Problems) -> None:
    """Remoteness is a village's: every household of a village has the same flag."""
    frame = pd.DataFrame({"v": village, "r": remote})
    first = frame.groupby("v", sort=False)["r"].transform("first").to_numpy()
    first_row = frame.reset_index().groupby("v", sort=False)["index"].transform("first")
    for i in np.flatnonzero(remote != first)[:MAX_PROBLEMS]:
        problems.row(int(i), "remote", present["remote"],
                     f"{int(remote[i])} but data row {int(first_row.iloc[i]) + 1} of the "
                     f"same village {village[i]!r} has {int(first[i])}; expected one value "
                     "a village")
