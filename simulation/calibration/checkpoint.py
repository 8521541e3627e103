"""JSONL checkpoints of scored points: a header line with the fingerprint of what made them,
then one record per point, appended and synced batch by batch, so an interrupted search
resumes without losing or repeating points and never reuses points another search made.

(`fit.Evaluator` and `posterior.PosteriorEvaluator` keep their own copies of this logic
for now: editing those files changes the fingerprints their shipped results are keyed by.
Move them here with their next change.)
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from simulation.calibration.spec import CalibrationError


def open_checkpoint(path: Path, fingerprint: str, restart: bool, what: str,
                    header: dict | None = None) -> list[dict]:
    """The records of an existing checkpoint made by the same `fingerprint` (none after
    `restart` or for a new file, which is started with the header). A checkpoint of
    something else is refused; a record cut off mid-write ends the read (it is re-run)."""
    if path.exists() and not restart:
        lines = path.read_text(encoding="utf-8").splitlines()
        found = json.loads(lines[0]).get("fingerprint") if lines else None
        if found != fingerprint:
            raise CalibrationError(f"{path}: checkpoint belongs to another {what} ({found} != "
                                   f"{fingerprint}); use --restart to discard it or choose "
                                   "another --out")
        records = []
        for line in lines[1:]:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break
        return records
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fingerprint": fingerprint, **(header or {}),
                                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                         time.gmtime())}) + "\n",
                    encoding="utf-8")
    return []


def append_records(path: Path, records: Iterable[dict]) -> None:
    """Append records and sync them to disk (a batch is either there or re-run)."""
    with path.open("a", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
