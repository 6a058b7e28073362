"""HwArrays built by field name, its views, and the one precision table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from advisor.domain.base import PRECISION_BYTES, PRECISION_ORDER
from advisor.engine import arch, precision
from advisor.engine.hardware import HwArrays, hw_arrays
from tests.conftest import real_catalog_present


def test_weight_bytes_are_element_bytes_plus_block_scales():
    # fp4: 4-bit elements (0.5 B) + one 8-bit scale per 16 = 4.5 bits = 0.5625 B per weight
    assert PRECISION_BYTES["fp4"] == 0.5
    # fp4, fp8, int8, bf16, then weight-only int4 (4.25 bits), q4 (4.5 bits), q3 (3.5 bits)
    assert list(precision.WEIGHT_BYTES) == [0.5625, 1.0, 1.0, 2.0, 0.53125, 0.5625, 0.4375]
    # KV in fp8 for 8-bit-and-narrower compute formats (on fp8 chips); 16-bit for bf16 and weight-only formats
    assert list(precision.KV_BYTES) == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    for i, p in enumerate(PRECISION_ORDER):
        spec = precision.PRECISIONS[i]
        assert spec.name == p and precision.PREC_INDEX[p] == i
        assert spec.weight_bytes == PRECISION_BYTES[p] + precision.BLOCK_SCALE_BYTES.get(p, 0.0)
    # every engine module reads the same table
    assert arch.WEIGHT_BYTES is precision.WEIGHT_BYTES and arch.KV_BYTES is precision.KV_BYTES


@pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")
def test_every_field_is_filled_by_name_and_views_index_every_array():
    from advisor import api

    catalog = api.load_catalog()[0]
    systems = [catalog.system(s) for s in ("nvidia_hgx_h100", "amd_mi355x_8x", "nvidia_gb300_nvl72_rack")]
    hw = hw_arrays(catalog, systems)
    assert hw.system_ids == tuple(s.id for s in systems) and len(hw) == 3
    for s, sys in enumerate(systems):
        acc = catalog.accelerator(sys.accelerator)
        assert hw.mem_bw[s] == acc.mem_bw_tb_s * 1e12
        assert hw.mem_bytes[s] == acc.usable_memory_gb * 2**30  # capacities are binary (GiB)
        assert hw.tdp_watts[s] == acc.tdp_watts
        # weight-only formats run at the 16-bit peak
        compute = {"int4": "bf16", "q4": "bf16", "q3": "bf16"}
        assert list(hw.peak[s]) == [acc.dense_tflops.get(compute.get(p, p), 0.0) * 1e12 for p in PRECISION_ORDER]
    fields = [f for f in dataclasses.fields(HwArrays) if not f.metadata.get("label")]
    arrays = [f.name for f in fields]
    S, P = 3, len(PRECISION_ORDER)
    view = hw.at(np.arange(S).reshape(S, 1, 1, 1, 1), np.arange(P).reshape(1, 1, P, 1, 1))
    for f in fields:
        want = (S, 1, P, 1, 1) if f.metadata["per_precision"] else (S, 1, 1, 1, 1)
        assert getattr(view, f.name).shape == want, f.name
    assert view.peak[1, 0, 1, 0, 0] == hw.peak[1, 1]
    mapped = hw.map(lambda x: x[::-1])
    for name in arrays:
        assert np.array_equal(getattr(mapped, name), getattr(hw, name)[::-1]), name
    assert mapped.system_ids == hw.system_ids  # labels are not arrays
