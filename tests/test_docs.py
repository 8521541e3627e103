"""docs/model.md stays in step with the code and the seeds.

- every module under simulation/instruments/ and simulation/agents/ (as tracked by git) is
  mentioned;
- every numbered seed citation (`NNN §x.y`) names a section heading that exists in that
  seed file; seeds 001 and 003 have no numbered headings, so `001 §` / `003 §` is an error.

Seed files are looked up in $POVSIM_SEEDS, then ../shared/seeds next to the checkout, then
/work/shared/seeds; the citation test is skipped if none exists.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import seeds_dir

ROOT = Path(__file__).resolve().parent.parent
MODEL_MD = ROOT / "docs" / "model.md"
UNNUMBERED = {"001", "003"}

# "000 §4.3", "002 §2", also the continuation in "000 §4.1–§4.4" or "000 §4.3, §5.3".
CITATION = re.compile(r"\b(00\d)\s+(§\d+(?:\.\d+)*(?:\s*(?:,|and|–|-|/)\s*§\d+(?:\.\d+)*)*)")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
# A numbered heading line: optional markdown/bold decoration, "4.3." or "2.1 ", then text.
HEADING = re.compile(r"^[#\s*]*(\d+(?:\.\d+)*)\.?\s+\**\s*[A-Z]")


def _text() -> str:
    return MODEL_MD.read_text(encoding="utf-8")


def _modules(package: str) -> list[str]:
    """Modules of a package as committed to git (untracked work in progress in a shared
    checkout is not held against the docs); all files on disk if git is unavailable."""
    folder = ROOT / "simulation" / package
    try:
        out = subprocess.run(["git", "ls-files", "--", f"simulation/{package}"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10, check=True).stdout
        files = [Path(line) for line in out.splitlines() if line.endswith(".py")]
        if not files:
            raise OSError("no tracked files")
    except (OSError, subprocess.SubprocessError):
        files = list(folder.glob("*.py"))
    return sorted({p.stem for p in files if p.parent.name == package and p.stem != "__init__"})


@pytest.mark.parametrize("package", ["instruments", "agents"])
def test_every_module_is_documented(package):
    text = _text()
    missing = [m for m in _modules(package)
               if f"{package}/{m}.py" not in text and f"{package}.{m}" not in text]
    assert not missing, (f"docs/model.md does not mention simulation/{package}/ modules "
                         f"{missing}; add a subsection (or a row in the mechanisms table)")


def _headings(path: Path) -> set[str]:
    found = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = HEADING.match(line)
        if m and len(line) < 250:
            found.add(m.group(1))
    return found


def test_seed_section_citations_exist():
    seeds = seeds_dir()
    files = {p.name[:3]: p for p in seeds.glob("00*_*.txt")}
    headings = {k: _headings(p) for k, p in files.items()}
    bad = []
    for m in CITATION.finditer(_text()):
        seed = m.group(1)
        if seed in UNNUMBERED:
            bad.append(f"{m.group(0)!r}: seed {seed} has unnumbered headings; cite heading text")
            continue
        if seed not in headings:
            bad.append(f"{m.group(0)!r}: no seed file {seed}_*.txt")
            continue
        for sec in SECTION.findall(m.group(2)):
            if sec not in headings[seed]:
                bad.append(f"{m.group(0)!r}: §{sec} is not a heading of seed {seed}")
    assert not bad, "\n".join(bad)


def test_heading_parser_sees_numbered_seeds():
    """Guard against the parser silently finding nothing (which would hide bad citations)."""
    seeds = seeds_dir()
    for p in seeds.glob("00*_*.txt"):
        if p.name[:3] not in UNNUMBERED:
            assert {"1", "2"} <= _headings(p), f"no numbered headings found in {p.name}"
