"""`advisor model import` through main(argv): where it writes, atomically, and its exit codes."""

from __future__ import annotations

import json
import os
import tomllib

import pytest

from advisor.cli import main
from tests.conftest import DATA, real_catalog_present

CONFIGS = DATA / "hf_configs"

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")


@pytest.fixture
def own_dirs(tmp_path, monkeypatch):
    """A private config/cache dir: the user overlay folder written here must not leak into other tests."""
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_default_out_is_the_user_overlay_folder_which_every_command_loads(own_dirs, capsys):
    assert main(["model", "import", str(CONFIGS / "qwen3_5_397b_a17b.json"), "--id", "my_qwen", "--name", "My Qwen",
                 "--source", "https://example.org/card", "--release-date", "2026-02-16"]) == 0
    out, err = capsys.readouterr()
    target = own_dirs / "config" / "catalog" / "my_qwen.toml"
    assert out.strip() == str(target)
    assert "imported my_qwen" in err
    model = tomllib.loads(target.read_text())["model"][0]
    assert model["name"] == "My Qwen" and model["release_date"] == "2026-02-16"
    assert model["sources"] == [str((CONFIGS / "qwen3_5_397b_a17b.json").resolve()), "https://example.org/card"]
    assert "release_date" not in model["estimated"]

    assert main(["catalog", "list", "--kind", "models", "--json"]) == 0
    listed = {m["id"]: m for m in json.loads(capsys.readouterr().out)}
    assert listed["my_qwen"]["linear_attention_layers"] == 45
    assert listed["my_qwen"]["layer"].endswith("catalog")  # the user overlay layer, not built-in


def test_out_path_and_refusal_to_overwrite(own_dirs, capsys):
    target = own_dirs / "m.toml"
    args = ["model", "import", str(CONFIGS / "mixtral_8x7b.json"), "--out", str(target)]
    assert main(args) == 0
    first = target.read_text()
    assert tomllib.loads(first)["model"][0]["id"] == "mixtral_8x7b"
    assert "release_date" in tomllib.loads(first)["model"][0]["estimated"]  # no --release-date given
    capsys.readouterr()

    assert main(args + ["--id", "other"]) == 2  # exists, no --force
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == first
    assert main(args + ["--id", "other", "--force"]) == 0
    assert tomllib.loads(target.read_text())["model"][0]["id"] == "other"
    assert main(["catalog", "validate", str(target)]) == 0


def test_out_is_atomic_a_failed_write_leaves_the_old_file_and_no_temp(own_dirs, monkeypatch, capsys):
    target = own_dirs / "m.toml"
    target.write_text("old = true\n")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    assert main(["model", "import", str(CONFIGS / "glm_5.json"), "--out", str(target), "--force"]) == 2
    err = capsys.readouterr().err
    assert "disk full" in err and "Traceback" not in err
    assert target.read_text() == "old = true\n"
    assert sorted(p.name for p in own_dirs.iterdir() if p.is_file()) == ["m.toml"]


def test_stdout_toml(own_dirs, capsys):
    assert main(["model", "import", str(CONFIGS / "deepseek_v3_2.json"), "--id", "dsv32", "--out", "-"]) == 0
    model = tomllib.loads(capsys.readouterr().out)["model"][0]
    assert (model["attention"], model["index_top_k"], model["kv_lora_rank"]) == ("mla", 2048, 512)
    assert not (own_dirs / "config" / "catalog").exists()


def test_folder_holding_config_json_gives_the_id(own_dirs, capsys):
    folder = own_dirs / "GLM-5"
    folder.mkdir()
    (folder / "config.json").write_text((CONFIGS / "glm_5.json").read_text())
    assert main(["model", "import", str(folder), "--out", "-"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["model"][0]["id"] == "glm_5"


def test_unknown_architecture_exit_2_names_the_fields(own_dirs, capsys):
    cfg = own_dirs / "config.json"
    cfg.write_text(json.dumps({"architectures": ["RwkvForCausalLM"], "model_type": "rwkv", "hidden_size": 2048,
                               "num_hidden_layers": 24, "attention_hidden_size": 2048}))
    assert main(["model", "import", str(cfg)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "RwkvForCausalLM" in err and "attention_hidden_size" in err and "num_hidden_layers" in err
    assert "Traceback" not in err
    assert not (own_dirs / "config" / "catalog").exists()


@pytest.mark.parametrize("content, message", [("{not json", "not valid JSON"), ("[1, 2]", "one JSON object")])
def test_bad_input_exit_2(own_dirs, capsys, content, message):
    cfg = own_dirs / "c.json"
    cfg.write_text(content)
    assert main(["model", "import", str(cfg)]) == 2
    assert message in capsys.readouterr().err


def test_bad_flags_exit_2(own_dirs, capsys):
    assert main(["model", "import", str(own_dirs / "missing.json")]) == 2
    assert main(["model", "import", str(CONFIGS / "glm_5.json"), "--release-date", "Feb 2026"]) == 2
    assert main(["model", "import", str(CONFIGS / "glm_5.json"), "--id", "9 bad id!"]) == 2
    err = capsys.readouterr().err
    assert "no config file" in err and "YYYY-MM" in err and "not a catalog id" in err
