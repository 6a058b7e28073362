"""The command table: every command module is imported explicitly, and a broken one is a bug that surfaces.

A run of one subcommand imports only the module that registers it (start-up time), so these tests
import every module, check COMMANDS against what each registers, and show a broken module failing loudly.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import subprocess
import sys

import pytest

import advisor.cli
from advisor.cli import COMMAND_MODULES, COMMANDS, build_parser, chosen_command, command_module, main
from tests.conftest import ROOT

EXPECTED = {"catalog", "estimate", "frontier", "calibrate", "recommend", "compare", "sweep", "model", "tui"}


def test_every_command_is_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert EXPECTED == set(sub.choices) == set(COMMANDS)


def test_every_command_module_imports_and_registers_what_commands_says():
    on_disk = {m.name for m in pkgutil.iter_modules(advisor.cli.__path__) if m.name.endswith("_cmd")}
    assert set(COMMAND_MODULES) == on_disk  # a new *_cmd module must be listed in COMMANDS
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"advisor.cli.{name}")  # raises if the module is broken
        sub = argparse.ArgumentParser().add_subparsers(dest="command")
        module.register(sub)
        assert set(sub.choices) == {c for c, m in COMMANDS.items() if m == name}, name


def test_help_order_is_the_table_order():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == list(COMMANDS)


@pytest.mark.parametrize("argv, expected", [
    (["recommend", "x.toml"], "recommend"), (["--debug", "sweep"], "sweep"), (["catalog", "list"], "catalog"),
    ([], None), (["--help"], None), (["--version"], None), (["bogus"], None), (["--debug"], None),
    (["x.toml", "recommend"], None),
])
def test_the_chosen_command_is_the_first_token_after_global_flags(argv, expected):
    assert chosen_command(argv) == expected


def test_a_run_of_one_command_registers_only_its_module():
    sub = next(a for a in build_parser(["--debug", "compare", "f.toml"])._actions if a.dest == "command")
    assert set(sub.choices) == {"compare", "sweep"}
    with pytest.raises(ValueError):
        command_module("common")


def _probe(subprocess_env, code: str) -> subprocess.CompletedProcess[str]:
    probe = "import sys\nsys.modules['advisor.cli.fleet_cmd'] = None  # as if it failed to import\n" + code
    return subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=subprocess_env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("argv", [["--help"], ["compare", "--help"], ["sweep", "x.toml"], ["bogus"]])
def test_a_command_module_that_fails_to_import_is_not_skipped(subprocess_env, argv):
    result = _probe(subprocess_env, f"from advisor.cli import main\nmain({argv!r})\n")
    assert result.returncode == 1
    assert "ModuleNotFoundError" in result.stderr and "advisor.cli.fleet_cmd" in result.stderr


def test_a_broken_command_module_does_not_stop_the_others(subprocess_env):
    result = _probe(subprocess_env, "from advisor.cli import main\nraise SystemExit(main(['recommend', '--help']))\n")
    assert result.returncode == 0, result.stderr
    assert "usage: advisor recommend" in result.stdout


def test_unknown_price_tier_suggests_the_close_one(mini_builtin, capsys):
    args = ["estimate", "--system", "hgx_h100", "--model", "llama_3_70b", "--isl", "1024", "--osl", "256"]
    assert main([*args, "--price-tier", "on_demnd"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no price tier with id 'on_demnd'. Did you mean 'on_demand'?" in err


def test_unknown_price_tier_without_a_close_one_lists_the_tiers(mini_builtin, capsys):
    args = ["estimate", "--system", "hgx_h100", "--model", "llama_3_70b", "--isl", "1024", "--osl", "256"]
    assert main([*args, "--price-tier", "zzzz"]) == 2
    err = capsys.readouterr().err
    assert "no price tier with id 'zzzz'." in err and "Tiers: " in err and "Did you mean" not in err
