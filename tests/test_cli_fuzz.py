"""Property test: malformed scenario files and command lines never give a traceback.

Hypothesis generates well over 1,000 cases (scenario files of random bytes, random YAML
and near-valid scenarios with bad values; command lines of random flags and values); each
is given to the CLI's `main(argv)` in-process, with stdout and stderr captured. Every case
must end with a clear error on stderr (exit 2, "error:" or argparse's "usage:") or succeed
- never a traceback or "this is a bug". Nothing is simulated: files go to `validate` and
command lines to `--dry-run`, `--help` or flags that fail before a run.
"""

from __future__ import annotations

import contextlib
import io

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main

FIELDS = ["name", "households", "months", "start", "seed", "extends", "region",
          "instruments", "economy", "scale", "per_household", "population"]
PATHS = ["households", "months", "start", "seed", "region.villages",
         "region.households_represented", "instruments.microcredit.budget",
         "instruments.microcredit.start", "instruments.tourism.end", "economy.farm_growth",
         "nosuch.field", "instruments", "name"]
VALUES = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=12), st.booleans(), st.none(),
                   st.lists(st.integers(), max_size=3),
                   st.sampled_from(["2030-13", "1999-01", ".inf", "-.nan", "0x10", "1e999",
                                    "!!python/object:os.system", "*a", "&a [*a]", "\x00"]))

yaml_values = st.recursive(VALUES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS + PATHS), inner,
                                                 max_size=3)), max_leaves=8)


def _dump(data) -> bytes:
    try:
        return yaml.safe_dump(data, allow_unicode=True).encode("utf-8")
    except (yaml.YAMLError, ValueError):
        return repr(data).encode("utf-8", "replace")


files = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "replace")),
    yaml_values.map(_dump),
    st.dictionaries(st.sampled_from(FIELDS), yaml_values, max_size=4).map(_dump),
    st.builds(lambda p, v: _dump({p.split(".")[0]: {p.split(".", 1)[1]: v}} if "." in p
                                 else {p: v}), st.sampled_from(PATHS), VALUES),
)

FLAGS = ["--seed", "--households", "--set", "--samples", "--replicates", "--vary", "--design",
         "--workers", "--db", "--out", "--base", "--levels", "--name", "--executor"]
flag_values = st.one_of(st.sampled_from(["-1", "0", "abc", "1e9", "", "=", "x=y", "nan",
                                         "-99999999999999999999", "inf", "sobol",
                                         "households=lots", "instruments.microcredit.budget"
                                         "=5e8:0", "months=0", "a..b=1", "/dev/null/x"]),
                        st.text(max_size=10))


@st.composite
def command_lines(draw):
    cmd = draw(st.sampled_from([["run"], ["sweep", "run", "--dry-run"], ["validate"],
                                ["compare"], ["calibrate"], ["sweep", "sql"], ["bogus"], [],
                                ["attribute"]]))
    argv = list(cmd)
    for _ in range(draw(st.integers(0, 4))):
        argv.append(draw(st.sampled_from(FLAGS)))
        argv.append(draw(flag_values))
    if cmd[:1] in (["validate"], ["calibrate"], ["sweep"]) or draw(st.booleans()):
        argv.append(draw(st.sampled_from(["no-such.yaml", "/", "scenarios", "demo"])))
    if cmd == ["run"]:  # never simulate: a bad override or an unreadable file first
        argv += ["--set", draw(st.sampled_from(["households=lots", "months=-1",
                                                "start=2020-13", "nosuch=1"]))]
    if cmd == ["compare"]:
        argv += ["--replicates", "1"]
    if cmd == ["attribute"]:  # never simulate: a year outside every run
        argv += ["--to", "1900"]
    return argv


def _call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    # rich's consoles look up sys.stdout / sys.stderr when they print, so this captures them.
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _clear(code: int, out: str, err: str, argv) -> None:
    assert "Traceback" not in err + out, (argv, err)
    assert "this is a bug" not in err, (argv, err)
    if code != 0:
        assert code in (1, 2), (argv, code, err)
        assert err.strip(), (argv, "no message on stderr", out)
        assert "error" in err or "invalid" in err or "usage:" in err, (argv, err)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=700, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=files)
def test_malformed_scenario_files_give_clear_errors(folder, content):
    path = folder / "s.yaml"
    path.write_bytes(content)
    code, out, err = _call(["validate", str(path)])
    _clear(code, out, err, content)
    if code:
        assert str(path) in err, err


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=command_lines())
def test_malformed_command_lines_give_clear_errors(folder, argv, monkeypatch):
    monkeypatch.chdir(folder)
    code, out, err = _call(argv)
    _clear(code, out, err, argv)
