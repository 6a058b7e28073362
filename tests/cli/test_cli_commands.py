"""The command table: every command module is imported explicitly, and a broken one is a bug that surfaces."""

from __future__ import annotations

import subprocess
import sys

from advisor.cli import build_parser, main
from tests.conftest import ROOT

COMMANDS = {"catalog", "estimate", "frontier", "calibrate", "recommend", "compare", "sweep", "tui"}


def test_every_command_is_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert COMMANDS <= set(sub.choices)


def test_a_command_module_that_fails_to_import_is_not_skipped(subprocess_env):
    probe = ("import sys\nsys.modules['advisor.cli.fleet_cmd'] = None  # as if it failed to import\n"
             "import advisor.cli\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=subprocess_env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr and "advisor.cli.fleet_cmd" in result.stderr


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
