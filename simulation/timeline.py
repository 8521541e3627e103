"""Monthly calendar: the model steps one month at a time from a start month."""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> tuple[int, int]:
    """Parse 'YYYY-MM' into (year, month); raise ValueError with the expected form."""
    match = _MONTH.match(str(text).strip())
    if not match:
        raise ValueError(f"expected a month as 'YYYY-MM', got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 01..12, got {text!r}")
    return year, month


def month_index(text: str, start: str) -> int:
    """Months from `start` to `text` (both 'YYYY-MM'); may be negative."""
    y, m = parse_month(text)
    y0, m0 = parse_month(start)
    return (y - y0) * 12 + (m - m0)


def month_label(start: str, index: int) -> str:
    """The 'YYYY-MM' label of step `index` counted from `start`."""
    y0, m0 = parse_month(start)
    total = y0 * 12 + (m0 - 1) + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def year_of(start: str, index: int) -> int:
    y0, m0 = parse_month(start)
    return (y0 * 12 + (m0 - 1) + index) // 12


def calendar_month_of(start: str, index: int) -> int:
    """Calendar month 1..12 of step `index`."""
    y0, m0 = parse_month(start)
    return (y0 * 12 + (m0 - 1) + index) % 12 + 1
