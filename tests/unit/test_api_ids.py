"""Unknown model and system ids in workload, fleets and sweep files: file:line:key, did-you-mean, ids cut to 80 characters."""

from __future__ import annotations

import pytest

from advisor.errors import InputError, UnknownIdError
from tests.conftest import ROOT, real_catalog_present

pytestmark = pytest.mark.real_catalog

WL = ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"


@pytest.fixture(scope="module")
def catalog():
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor import api

    return api.load_catalog()[0]


def _lines(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_workload_unknown_model_names_file_line_key(catalog, tmp_path):
    from advisor import api

    text = WL.read_text().replace('model = "deepseek_v4_pro"', 'model = "deepseek_v4_prox"')
    f = tmp_path / "w.toml"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        api.recommend(catalog, api.read_workload(f))
    msg = exc.value.lines()[0]
    assert f"w.toml:{_lines(text, 'deepseek_v4_prox')}: classes[0].model: no model with id 'deepseek_v4_prox'" in msg
    assert "Did you mean 'deepseek_v4_pro'" in msg
    with pytest.raises(InputError):  # a path works the same way
        api.recommend(catalog, f)


def test_workload_unknown_system_is_cut_to_80_characters(catalog, tmp_path):
    from advisor import api

    long_id = "x" * 300
    text = WL.read_text().replace("horizon_years = 4", f'horizon_years = 4\nsystems = ["nvidia_hgx_b30", "{long_id}"]')
    f = tmp_path / "w.toml"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        api.recommend(catalog, api.read_workload(f))
    first, second = exc.value.lines()
    line = _lines(text, "systems = [")
    assert f"w.toml:{line}: procurement.systems[0]:" in first and "Did you mean 'nvidia_hgx_b300'" in first
    assert f"w.toml:{line}: procurement.systems[1]:" in second and long_id not in second
    assert max(len(tok.rstrip(".")) for tok in second.split()) <= 80  # echo() cuts ids to 80 characters


def test_command_line_ids_raise_unknown_id_error(catalog):
    from advisor import api

    with pytest.raises(UnknownIdError, match="Did you mean 'amd_mi355x_8x'"):
        api.estimate(catalog, system="amd_mi355x_8", model="llama_3_3_70b", isl=100, osl=100)
    with pytest.raises(UnknownIdError, match="no model with id"):
        api.frontier(catalog, systems=["amd_mi355x_8x"], model="llama_9", isl=100, osl=100)


SWEEP = '''name = "s"
[workload]
classes = [{{name = "c", model = "{model}", isl = 100, osl = 100}}]
demand = {{concurrent_users = 10}}
procurement = {{systems = ["amd_mi355x_8x", "nvidia_hgx_b200"], mode = "buy"}}
[[axes]]
name = "usd_per_gpu"
system = "{system}"
values = [10000, 20000]
'''


def test_sweep_unknown_axis_system_and_model(catalog, tmp_path):
    from advisor import api

    f = tmp_path / "s.toml"
    f.write_text(SWEEP.format(model="llama_3_3_7b", system="amd_mi355x_8"))
    with pytest.raises(InputError) as exc:
        api.sweep(catalog, api.read_sweep(f))
    msgs = exc.value.lines()
    line = _lines(f.read_text(), 'system = "amd_mi355x_8"')
    assert any(f"s.toml:{line}: axes[0].system: no system or accelerator with id 'amd_mi355x_8'" in m
               and "Did you mean 'amd_mi355x_8x'" in m for m in msgs)
    assert any("workload.classes[0].model" in m and "llama_3_3_70b" in m for m in msgs)


def test_sweep_axis_alias_resolves_without_touching_the_document(catalog, tmp_path):
    from advisor import api

    f = tmp_path / "s.toml"
    f.write_text(SWEEP.format(model="llama_3_3_70b", system="amd_mi355x"))  # an accelerator id: its default system
    doc = api.read_sweep(f)
    by_alias = api.sweep(catalog, doc, workers=1)
    assert doc.value.axes[0].system == "amd_mi355x"  # the loaded document is not mutated
    f.write_text(SWEEP.format(model="llama_3_3_70b", system="amd_mi355x_8x"))
    by_id = api.sweep(catalog, f, workers=1)
    assert list(by_alias.rows["capex_usd"]) == pytest.approx(list(by_id.rows["capex_usd"]), nan_ok=True)
