"""recommend() honours each hard constraint with the exclusion it names, and sizes by Little's law.

Runs on the built-in catalog with the frozen golden factors (no fit), on a small dense model.
"""

from __future__ import annotations


import pytest


pytestmark = pytest.mark.real_catalog

SYSTEMS = ["nvidia_hgx_b200", "amd_mi355x_8x", "amd_mi300x_8x", "nvidia_gb200_nvl72_rack", "nvidia_hgx_h100"]


def wl(**patch) -> dict:
    base = {
        "classes": [{"name": "chat", "model": "llama_3_3_70b", "isl": 1024, "osl": 512, "min_tok_s_per_user": 20}],
        "demand": {"concurrent_users": 2000},
        "datacenter": {"cooling": "both", "max_rack_kw": 150},
        "procurement": {"mode": "buy", "systems": list(SYSTEMS), "days_since_release": 400},
    }
    for key, value in patch.items():
        section, field = key.split("__")
        base[section] = {**base.get(section, {}), field: value}
    return base


def run(catalog, fac, **patch):
    from advisor import api

    return api.recommend(catalog, api.workload_from_dict(wl(**patch)), fac=fac)


def excluded(rec, constraint: str) -> dict[str, str]:
    return {e.system: e.reason for e in rec.excluded if e.constraint == constraint}


def test_baseline_ranks_every_system(catalog, fac):
    rec = run(catalog, fac)
    assert {sid for o in rec.options for sid in o.systems} == set(SYSTEMS)
    assert not rec.excluded


def test_budget_excludes_options_above_it(catalog, fac):
    base = run(catalog, fac)
    capex = sorted(o.capex_usd for o in base.options)
    budget = (capex[1] + capex[2]) / 2  # two options fit, the rest do not
    rec = run(catalog, fac, procurement__budget_usd=budget, procurement__budget_basis="capex")
    assert len(rec.options) == 2 and all(o.capex_usd <= budget for o in rec.options)
    out = excluded(rec, "budget")
    assert len(out) == len(base.options) - 2
    assert all("exceeds the budget" in why for why in out.values())


def test_rent_budget_counts_rent_over_the_horizon(catalog, fac):
    base = run(catalog, fac, procurement__mode="rent", procurement__horizon_years=3)
    cheapest = min(o.cost.annual_rental_usd for o in base.options)
    rec = run(catalog, fac, procurement__mode="rent", procurement__horizon_years=3, procurement__budget_usd=cheapest * 3 * 1.0001,
              procurement__budget_basis="capex")
    assert [o.cost.annual_rental_usd for o in rec.options] == [cheapest]
    assert all("rent over 3 years" in why for why in excluded(rec, "budget").values())


def test_tco_budget_counts_all_cost_over_the_horizon_for_buy_and_rent(catalog, fac):
    base = run(catalog, fac, procurement__mode="both", procurement__horizon_years=3)
    totals = sorted(o.cost.annual_total_usd * 3 for o in base.options)
    budget = (totals[1] + totals[2]) / 2
    rec = run(catalog, fac, procurement__mode="both", procurement__horizon_years=3, procurement__budget_usd=budget)
    assert len(rec.options) == 2 and all(o.cost.annual_total_usd * 3 <= budget for o in rec.options)
    assert all("all cost over 3 years" in why for why in excluded(rec, "budget").values())


def test_site_power_excludes_options_drawing_more(catalog, fac):
    base = run(catalog, fac)
    mw = sorted(o.all_in_mw for o in base.options)
    site = (mw[0] + mw[1]) / 2
    rec = run(catalog, fac, datacenter__site_mw=site)
    assert [o.all_in_mw for o in rec.options] == [mw[0]]
    out = excluded(rec, "site_power")
    assert len(out) == len(base.options) - 1 and all(f"the site has {site:g} MW" in w for w in out.values())


@pytest.mark.parametrize("patch, kept_vendor, needle", [
    ({"procurement__allowed_vendors": ["amd"]}, "AMD", "is not in allowed_vendors"),
    ({"procurement__excluded_vendors": ["NVIDIA"]}, "AMD", "is excluded"),
    ({"procurement__allowed_vendors": ["NVIDIA"]}, "NVIDIA", "is not in allowed_vendors"),
])
def test_vendor_allow_and_deny_lists(catalog, fac, patch, kept_vendor, needle):
    rec = run(catalog, fac, **patch)
    assert rec.options and all(o.vendors == [kept_vendor] for o in rec.options)
    out = excluded(rec, "vendor")
    assert out and all(catalog.accelerator(catalog.system(s).accelerator).vendor != kept_vendor for s in out)
    assert all(needle in why for why in out.values())


@pytest.mark.parametrize("patch, kept_eco, needle", [
    ({"procurement__allowed_ecosystems": ["rocm"]}, "rocm", "is not in allowed_ecosystems"),
    ({"procurement__excluded_ecosystems": ["CUDA"]}, "rocm", "ecosystem cuda is excluded"),
    ({"procurement__allowed_ecosystems": ["cuda"]}, "cuda", "is not in allowed_ecosystems"),
])
def test_ecosystem_allow_and_deny_lists(catalog, fac, patch, kept_eco, needle):
    rec = run(catalog, fac, **patch)
    assert rec.options and all(o.ecosystems == [kept_eco] for o in rec.options)
    out = excluded(rec, "ecosystem")
    assert out and all(needle in why for why in out.values())
    assert all(catalog.accelerator(catalog.system(s).accelerator).ecosystem != kept_eco for s in out)


def test_requests_per_s_sized_by_littles_law(catalog, fac):
    rate = 50.0
    rec = run(catalog, fac, demand__concurrent_users=None, demand__requests_per_s=rate)
    assert rec.options
    for o in rec.options:
        plan = o.classes[0]
        p = plan.point
        users = rate * (p.ttft_s + 512 / p.tok_s_per_user)  # arrivals x time in system
        assert plan.concurrent_users == pytest.approx(users, abs=0.01)
        # whole replicas for the users plus the default 20% headroom target, none spare beyond it
        assert (plan.replicas - 1) * p.batch < users * 1.2 <= plan.replicas * p.batch
    doubled = run(catalog, fac, demand__concurrent_users=None, demand__requests_per_s=2 * rate)
    # at the same operating point twice the arrivals are twice the users (the cheapest cell may change with the load)
    one = {o.id: (o.classes[0].point, o.classes[0].concurrent_users) for o in rec.options}
    two = {o.id: (o.classes[0].point, o.classes[0].concurrent_users) for o in doubled.options}
    same = [k for k in one if k in two and one[k][0] == two[k][0]]
    assert same and all(two[k][1] == pytest.approx(2 * one[k][1], abs=0.02) for k in same)


def test_rack_power_excludes_systems_over_the_rack_limit(catalog, fac):
    rec = run(catalog, fac, datacenter__max_rack_kw=12)
    out = excluded(rec, "rack_power")
    over = {s for s in SYSTEMS if catalog.system(s).kind != "pod" and catalog.system(s).system_kw > 12}
    assert set(out) == over and over  # hgx_b200 (14.3 kW) and mi355x (15 kW) do not fit a 12 kW rack
    assert all("racks are limited to 12 kW" in why for why in out.values())
    kept = {sid for o in rec.options for sid in o.systems}
    assert not (kept & over)


def test_rack_power_packs_fewer_systems_per_rack(catalog, fac):
    many = 60000  # enough users for several systems
    roomy = {o.id: o for o in run(catalog, fac, demand__concurrent_users=many, datacenter__max_rack_kw=150).options}
    tight = {o.id: o for o in run(catalog, fac, demand__concurrent_users=many, datacenter__max_rack_kw=16).options}
    o = tight["buy:amd_mi355x_8x"]  # 4 per rack at 150 kW, 1 per rack at 16 kW
    assert o.systems == roomy["buy:amd_mi355x_8x"].systems and o.systems["amd_mi355x_8x"] >= 4
    assert o.racks == o.systems["amd_mi355x_8x"] > roomy["buy:amd_mi355x_8x"].racks
    assert "rack power: 16 kW racks hold 1 of 4" in o.binding_constraint


def test_air_hall_excludes_liquid_systems_unless_retrofit_allowed(catalog, fac):
    rec = run(catalog, fac, datacenter__cooling="air")
    out = excluded(rec, "cooling")
    assert set(out) == {"amd_mi355x_8x", "nvidia_gb200_nvl72_rack"}
    assert all("hall is air-only" in why for why in out.values())
    retro = run(catalog, fac, datacenter__cooling="air", datacenter__allow_liquid_retrofit=True)
    assert not excluded(retro, "cooling")
    both = {o.id: o for o in run(catalog, fac).options}
    for o in retro.options:
        liquid = o.id in ("buy:amd_mi355x_8x", "buy:nvidia_gb200_nvl72_rack")
        assert any("liquid-cooling retrofit" in line for line in o.explanation) == liquid
        if liquid:
            (sid, n), = o.systems.items()
            s = catalog.system(sid)
            extra = n * s.system_kw * catalog.defaults.liquid_retrofit_usd_per_kw  # $/kW of IT load
            assert o.capex_usd == pytest.approx(both[o.id].capex_usd + extra)
            assert o.cost.annual_capital_usd > both[o.id].cost.annual_capital_usd
