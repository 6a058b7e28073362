"""The wheel carries the built-in catalog and finds it when installed elsewhere."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REAL_CATALOG, ROOT, real_catalog_present

pytestmark = pytest.mark.slow

RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
from advisor import locations
print(json.dumps({"catalog_dir": str(locations.builtin_catalog_dir())}))
from advisor.cli import main
sys.exit(main(["catalog", "list", "--json"]))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel offline from a copy of the checkout (so no build files land in it)."""
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(ROOT / "advisor", src / "advisor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "catalog", src / "catalog")
    shutil.copy(ROOT / "pyproject.toml", src)
    readme = ROOT / "README.md"
    if readme.exists():
        shutil.copy(readme, src)
    else:  # pyproject names it; the lead writes it. Its text does not matter here.
        (src / "README.md").write_text("advisor\n")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [built] = out.glob("advisor-*.whl")
    return built


def test_wheel_contains_the_catalog(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("advisor/_catalog/") for n in names if n.startswith("advisor/_catalog/")}
    expected = {p.name for p in REAL_CATALOG.glob("*.toml")}
    if not expected:
        pytest.skip("catalog/ holds no data yet")
    assert expected <= shipped
    assert all(n.endswith(".toml") for n in shipped), "catalog/ must stay TOML-only"
    assert "advisor/catalog/__init__.py" in names and "advisor/cli/catalog_cmd.py" in names


def test_installed_wheel_finds_its_catalog(wheel, tmp_path, subprocess_env):
    target = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in subprocess_env.items() if k != "PYTHONPATH"}
    installed = subprocess.run([sys.executable, "-c", RUN, str(target)], cwd=elsewhere, env=env,
                               capture_output=True, text=True, timeout=120)
    first, _, listing = installed.stdout.partition("\n")
    catalog_dir = json.loads(first)["catalog_dir"]
    assert catalog_dir.startswith(str(target)), catalog_dir
    assert catalog_dir.endswith("_catalog")

    checkout = subprocess.run([sys.executable, "-m", "advisor", "catalog", "list", "--json"], cwd=ROOT,
                              env=subprocess_env, capture_output=True, text=True, timeout=120)
    if not real_catalog_present() or checkout.returncode != 0:
        assert installed.returncode == checkout.returncode
        pytest.skip("the built-in catalog data is absent or does not load yet:\n" + checkout.stderr[-2000:])
    assert installed.returncode == 0, installed.stderr
    shipped, local = json.loads(listing), json.loads(checkout.stdout)
    assert {k: len(v) for k, v in shipped.items()} == {k: len(v) for k, v in local.items()}
    assert shipped == local
