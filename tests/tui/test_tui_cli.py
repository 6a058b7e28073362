"""`advisor tui` validates its inputs before any TUI exists; `advisor` alone opens the TUI on a terminal."""

from __future__ import annotations

import sys

import pytest

from advisor.cli import main


def test_bad_workload_exits_2_with_file_line_key_and_no_tui(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[classes]]\nname = "a"\nmodel = "deepseek_v4_pro"\nisl = "lots"\nosl = 1\n'
                   "[demand]\nconcurrent_users = 1\n")
    opened = []
    monkeypatch.setattr("advisor.tui.run", lambda *a, **k: opened.append(a) or 0, raising=False)
    assert main(["tui", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:5: classes[0].isl" in err
    assert not opened


def test_unknown_model_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "typo.toml"
    bad.write_text('[[classes]]\nname = "a"\nmodel = "deepsek_v4_pro"\nisl = 10\nosl = 1\n[demand]\nconcurrent_users = 1\n')
    assert main(["tui", str(bad)]) == 2
    assert "deepsek_v4_pro" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["tui", "examples/workloads/deepseek_v4_chat.toml"], []])
def test_tui_and_bare_advisor_open_the_app_with_validated_inputs(argv, monkeypatch):
    import advisor.tui
    from tests.conftest import ROOT

    seen = {}

    def fake_run(catalog, workload=None, *, workload_path=None):
        seen.update(catalog=catalog, workload=workload, path=workload_path)
        return 0

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(advisor.tui, "run", fake_run)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    assert main(argv) == 0
    assert seen["catalog"].models
    if argv:
        assert seen["workload"].name == "deepseek-v4-pro-chat"
    else:
        assert seen["workload"] is None  # run() opens the built-in scenario
