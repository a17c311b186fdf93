"""The shipped mappings of real public exports build and qualify a sensible share of leads with the default
settings, on a sample (full-size figures: `mql example`, README "Import a real export"). Skipped, with the reason,
where the data sets are not beside the checkout (a fresh clone has no `../shared/data`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.examples import EXAMPLES, ExampleError, run_example, source_dir


def _require(name: str) -> None:
    try:
        source_dir(EXAMPLES[name])
    except ExampleError as error:
        pytest.skip(str(error))


@pytest.mark.parametrize(("name", "every"), [("uci_bank", 8), ("olist", 2)])
def test_a_real_export_qualifies_a_sensible_share_with_default_settings(name: str, every: int,
                                                                         tmp_path: Path) -> None:
    _require(name)
    figures = run_example(name, tmp_path / name, every=every)
    assert figures.leads > 1_000
    assert 0.02 <= figures.mql_share <= 0.30, figures
    assert figures.leads_converted > 0, figures
    if name == "uci_bank":  # a previous campaign's success and earlier contacts rank leads: MQLs convert more
        assert figures.mql_conversion > 2 * figures.conversion, figures


def test_an_unknown_example_or_a_missing_data_set_is_one_clear_error(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ExampleError, match="unknown example 'nope'"):
        run_example("nope", tmp_path)
    monkeypatch.setenv("MQL_SHARED_DATA", str(tmp_path / "absent"))
    with pytest.raises(ExampleError, match=r"absent/olist_marketing_funnel: data set not found"):
        run_example("olist", tmp_path / "olist")
