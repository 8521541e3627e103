"""The command line reports problems on stderr with a non-zero exit and no traceback for
anything the user gave; only bugs print a traceback (with a request to report them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulation import cli
from simulation.cli import main

POVSIM = str(Path(sys.executable).with_name("povsim"))


def test_user_error_is_one_line_on_stderr_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("instruments:\n  microcredit: {budget: lots}\n")
    assert main(["run", str(bad), "--quiet"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.startswith("error:") and "bad.yaml" in cap.err
    assert "Traceback" not in cap.err


def test_bug_prints_traceback_and_asks_for_a_report(monkeypatch, capsys):
    from simulation.runs import cli as runs_cli

    def broken(args):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(runs_cli, "cmd_scenarios", broken)
    assert main(["scenarios"]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert "this is a bug in povsim" in err and "please report it" in err


@pytest.mark.parametrize("argv", [["run", "--seed", "-1"], ["sweep", "run", "--seed", "-5"],
                                  ["calibrate", "x.yaml", "--seed", "-2"],
                                  ["run", "--households", "0"]])
def test_bad_numbers_on_the_command_line_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


def test_bad_sql_is_a_clear_error(tmp_path, capsys):
    import duckdb

    db = tmp_path / "r.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE runs (run_key VARCHAR)").close()
    assert main(["sweep", "sql", str(db), "SELEC * FROM runs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: query on") and "Traceback" not in err


def test_broken_pipe_is_quiet():
    proc = subprocess.run(f"{POVSIM} sweep run --scenario demo --vary "
                          "instruments.microcredit.budget=0:5e8 --samples 300 --design lhs "
                          "--dry-run | head -3", shell=True, capture_output=True, text=True,
                          timeout=120)
    assert len(proc.stdout.splitlines()) == 3
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_help_and_version_load_no_workflow():
    """`povsim --help` imports no workflow (so it starts at once) yet lists every command."""
    code = ("import sys, contextlib, io; from simulation.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try: main(['--help'])\n"
            "    except SystemExit: pass\n"
            "print([m for m in sys.modules if m.startswith('simulation.') and m not in "
            "('simulation.cli', 'simulation.errors')]); print(out.getvalue())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[0] == "[]", out
    for name in cli.COMMANDS:
        assert name in out


def test_stub_help_lines_match_the_real_subcommands():
    full = cli.build_parser()
    sub = next(a for a in full._actions if a.dest == "command")
    real = {c.dest: c.help for c in sub._choices_actions}
    assert real == {n: h for n, (_, h) in cli.COMMANDS.items() if n in real}
    assert set(real) == set(cli.COMMANDS)


def test_scenarios_lists_whole_names_at_80_columns(capsys, monkeypatch):
    from simulation.scenario import list_bundled, scenarios_dir

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for path in list_bundled():
        assert str(path.relative_to(scenarios_dir()).with_suffix("")) in out
