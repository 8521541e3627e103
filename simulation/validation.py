"""Reading YAML input files and reporting pydantic validation errors, the same way for
scenarios, sweep specs, calibration specs and target files: every message names the file,
the field and what was expected."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class Strict(BaseModel):
    """The one strict base of every input schema (scenario, sweep, calibration and target
    specs): unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # no infinite budgets


def read_yaml(path: str | Path, error: type[Exception], what: str) -> Any:
    """Parse a YAML file, raising `error` that names the file if it can't be read or parsed."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (byte "
                    f"0x{exc.object[exc.start]:02x} at position {exc.start}; is it a binary "
                    "file? save it as UTF-8)") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc


def _default_location(err: dict) -> str:
    return ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))


def row_location(data: Any, loc: tuple, label: Callable[[str, Any], str]) -> str:
    """A pydantic error location as users read it, with list rows labelled from the file:
    `targets[3] (name_x).uncertainty.sd`, `registered_poor[2] (2016).people`. `label(key,
    item)` gives the label of row `item` of the top-level list `key` ("" for none)."""
    parts: list[str] = []
    for i, p in enumerate(loc):
        if isinstance(p, int) and i == 1 and parts:
            text = ""
            with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                text = label(str(loc[0]), data[loc[0]][p])
            parts[-1] += f"[{p}]" + (f" ({text})" if text else "")
        elif isinstance(p, str) and p.startswith(("function-", "literal[")):
            continue
        else:
            parts.append(str(p))
    return ".".join(parts) or "(top level)"


def describe_errors(source: str, exc: ValidationError, what: str,
                    unknown: str | Callable[[dict], str],
                    location: Callable[[dict], str] = _default_location,
                    hint: str = "") -> str:
    """One line per problem: `field 'a.b': message (got value)`.

    `unknown` replaces pydantic's text for a misspelt field (or makes it from the error);
    `location` turns an error into the field path users see; `hint` is added to the heading
    (e.g. where the format lives).
    """
    heading = f"{source}: invalid {what} ({exc.error_count()} problem(s){hint})"
    lines = [heading]
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = unknown(err) if callable(unknown) else unknown
        got = err.get("input")
        shown = isinstance(got, dict | list) or repr(got) in msg
        got_text = "" if shown else f" (got {got!r})"
        lines.append(f"  field '{location(err) or '(top level)'}': {msg}{got_text}")
    return "\n".join(lines)


def validate_mapping(model: type[BaseModel], data: Any, source: str, error: type[Exception],
                     what: str, expected: str, unknown: str | Callable[[dict], str],
                     location: Callable[[dict], str] = _default_location, hint: str = ""
                     ) -> Any:
    """`model` validated from `data`, or `error` naming `source` and each field; `expected`
    says what the file should hold when it is not a mapping ("a mapping of sweep fields")."""
    if not isinstance(data, dict):
        raise error(f"{source}: expected {expected}, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(describe_errors(source, exc, what, unknown, location=location,
                                    hint=hint)) from None
