"""The one HTML table builder of the reports (comparison, calibration).

A cell is `(text, attributes)`; text and attribute values are escaped here, so callers
pass plain text. Attributes whose value is None are left out.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

Attrs = Mapping[str, object] | None
Cell = tuple[str, Attrs]


def attributes(attrs: Attrs) -> str:
    """` name="value"` for each attribute (escaped), in the order given."""
    return "".join(f' {k}="{html.escape(str(v))}"' for k, v in (attrs or {}).items()
                   if v is not None)


def element(tag: str, text: str, attrs: Attrs = None) -> str:
    return f"<{tag}{attributes(attrs)}>{html.escape(text)}</{tag}>"


def table(head: Sequence[Cell], rows: Iterable[tuple[Sequence[Cell], Attrs]],
          attrs: Attrs = None, sections: bool = True) -> str:
    """A <table>: a header row of `head` cells, then one <tr> per (cells, row attributes).

    sections=True wraps them in <thead> and <tbody>; False writes the rows directly."""
    top = "<tr>" + "".join(element("th", t, a) for t, a in head) + "</tr>"
    body = "".join(f"<tr{attributes(ra)}>" + "".join(element("td", t, a) for t, a in cells)
                   + "</tr>" for cells, ra in rows)
    if sections:
        top, body = f"<thead>{top}</thead>", f"<tbody>{body}</tbody>"
    return f"<table{attributes(attrs)}>{top}{body}</table>"
