"""report.columns: one column definition per catalog kind, shared by `catalog list` and the TUI browser."""

from __future__ import annotations

import pytest

from advisor.domain.catalog import KINDS
from advisor.report.columns import CATALOG_COLUMNS, ESTIMATED_MARK, catalog_row, field


def test_every_catalog_kind_has_columns_and_an_id_first():
    assert set(CATALOG_COLUMNS) == set(KINDS)
    for kind, columns in CATALOG_COLUMNS.items():
        assert columns[0].header == "id", kind
        assert len({c.header for c in columns}) == len(columns), kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_field_path_names_a_field_of_the_model(kind):
    """A renamed model field must fail here, not print an empty column."""
    model = KINDS[kind][1]
    for col in CATALOG_COLUMNS[kind]:
        if col.path.startswith(":"):
            continue
        head = col.path.split(".")[0]
        assert head in model.model_fields, f"{kind}: column {col.header} reads {col.path!r}"


def test_rows_on_the_mini_catalog(mini_builtin):
    from advisor import api

    catalog, _ = api.load_catalog()
    for kind in KINDS:
        for entry in catalog.entries[kind].values():
            row = catalog_row(catalog, kind, entry)
            assert len(row) == len(CATALOG_COLUMNS[kind]) and row[0] == entry.id
    h100 = catalog_row(catalog, "accelerators", catalog.accelerator("nvidia_h100"))
    headers = [c.header for c in CATALOG_COLUMNS["accelerators"]]
    assert h100[headers.index("fp8_tflops")] == "1979"
    assert h100[headers.index("layer")] == "built-in"
    assert not any(cell.endswith(ESTIMATED_MARK) for cell in h100)  # nothing of the H100 is estimated


def test_estimated_values_are_marked(mini_builtin):
    from advisor import api

    catalog, _ = api.load_catalog()
    mi300x = catalog.accelerator("amd_mi300x")
    marked = mi300x.model_copy(update={"estimated": ["memory_gb"]})
    headers = [c.header for c in CATALOG_COLUMNS["accelerators"]]
    assert catalog_row(catalog, "accelerators", marked)[headers.index("memory_gb")] == "192*"
    assert catalog_row(catalog, "accelerators", mi300x)[headers.index("memory_gb")] == "192"


def test_field_follows_dotted_paths_through_tables():
    class E:
        dense_tflops = {"fp8": 2.0}
        name = None

    assert field(E(), "dense_tflops.fp8") == 2.0
    assert field(E(), "dense_tflops.fp4") is None
    assert field(E(), "name.x") is None
