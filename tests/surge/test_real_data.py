"""Acceptance on the bundled real data (Japan Customs EPA-rate imports, 2012-2019).

The expected numbers were worked out by hand from the data (monthly sums of the tidy CSV's
quantity2 per 9-digit line and partner; the three-year moving average is the mean of the 36
months before the flagged month, months without rows counting as zero) and are written here as
literals.  ``test_hand_numbers_match_the_data`` recomputes them with plain DuckDB SQL, apart
from the scan.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.surge.conftest import find
from tradeguard.surge.detect import LABEL_NEW, LABEL_SURGE, LABEL_TIMING, scan_notes

# (line, partner, month, method): (tonnes in the month, three-year moving average, label)
AU_APRIL = {
    # frozen boneless beef (0202.30-020), April 2018: 2,955.1 t against 1,824.7 t (162%);
    # the Japan-Australia EPA frozen rate stepped 27.2% -> 26.9% on 1 April 2018
    ("020230020", "AU", "2018-04", "fao130"): (2955.068, 1824.711, LABEL_TIMING),
    ("020230010", "AU", "2018-04", "fao130"): (484.771, 367.359, LABEL_TIMING),
    ("020220000", "AU", "2018-04", "fao130"): (11.788, 8.333, LABEL_TIMING),
    # April 2019: 26.9% -> 26.6% (JAEPA) and the CPTPP Year-2 cut, same day
    ("020230020", "AU", "2019-04", "fao130"): (2862.292, 1987.597, LABEL_TIMING),
    ("020230090", "AU", "2019-04", "fao130"): (13546.703, 10034.353, LABEL_TIMING),
}


@pytest.mark.parametrize("key", sorted(AU_APRIL))
def test_australian_beef_april_spikes_are_tariff_timing(flags, key):
    quantity, baseline, label = AU_APRIL[key]
    (hit,) = find(flags, *key)
    assert hit["label"] == label
    assert hit["quantity_t"] == pytest.approx(quantity, abs=5e-4)
    assert hit["baseline_t"] == pytest.approx(baseline, abs=5e-4)
    assert hit["quantity_t"] > 1.3 * hit["baseline_t"]
    assert "tariff step on " + key[2] + "-01" in hit["timing"]
    assert "tariff timing" in hit["explanation"] and "three-year moving average" in \
        hit["explanation"]


def test_the_month_before_the_step_is_not_timing(flags):
    # March 2018: 12,723 t of frozen 0202.30-090, 135% of its average, with no step: a surge
    (hit,) = find(flags, "020230090", "AU", "2018-03", "fao130")
    assert hit["label"] == LABEL_SURGE
    assert hit["quantity_t"] == pytest.approx(12723.134, abs=5e-4)


def test_every_australian_beef_flag_in_april_is_tariff_timing(flags):
    april = [r for r in flags.to_pylist() if r["partner"] == "AU"
             and r["tariff_line"][:4] in ("0201", "0202") and r["period"][5:] == "04"]
    assert len(april) >= 20
    assert {r["label"] for r in april} == {LABEL_TIMING}


def test_hand_numbers_match_the_data():
    from tradeguard.data.bundled import bundled_extract_path

    con = duckdb.connect()
    for (line, _partner, month, _), (quantity, baseline, _) in AU_APRIL.items():
        y, m = int(month[:4]), int(month[5:])
        q = con.sql(f"""SELECT sum(quantity2::DOUBLE) / 1000 FROM read_csv('{bundled_extract_path()}',
            all_varchar=true) WHERE hs9 = '{line}' AND partner_code_jp = '601'
            AND year = '{y}' AND month::INT = {m}""").fetchall()[0][0]
        base = con.sql(f"""SELECT sum(quantity2::DOUBLE) / 1000 / 36
            FROM read_csv('{bundled_extract_path()}', all_varchar=true)
            WHERE hs9 = '{line}' AND partner_code_jp = '601'
            AND year::INT * 12 + month::INT - 1 BETWEEN {y * 12 + m - 1 - 36}
            AND {y * 12 + m - 2}""").fetchall()[0][0]
        assert float(q) == pytest.approx(quantity, abs=5e-4)
        assert base == pytest.approx(baseline, abs=5e-4)


def test_cptpp_entry_is_new_under_agreement_not_surge(flags):
    rows = flags.to_pylist()
    ca_nz = [r for r in rows if r["partner"] in ("CA", "NZ") and r["period"].startswith("2019")]
    assert len(ca_nz) > 500
    assert LABEL_SURGE not in {r["label"] for r in ca_nz}
    # outside the April/May tariff-step window, each is labelled new under agreement
    assert {r["label"] for r in ca_nz if r["period"][5:] not in ("04", "05")} == {LABEL_NEW}
    (ca,) = find(flags, "020130020", "CA", "2019-01", "fao130")
    assert (ca["label"], ca["new_regime"]) == (LABEL_NEW, "cptpp")
    assert ca["quantity_t"] == pytest.approx(200.702, abs=5e-4) and ca["baseline_t"] == 0
    (nz,) = find(flags, "020130020", "NZ", "2019-01", "fao130")
    assert nz["label"] == LABEL_NEW
    mx = [r for r in rows if r["partner"] == "MX" and r["period"].startswith("2019")
          and r["new_regime"] == "cptpp"]
    assert len(mx) > 100 and {r["label"] for r in mx} == {LABEL_NEW, LABEL_TIMING}
    assert {r["label"] for r in mx if r["period"][5:] not in ("04", "05")} == {LABEL_NEW}


def test_a_mexican_increase_under_the_old_agreement_stays_a_surge(flags):
    # 0206.22 (frozen bovine livers) from Mexico, January 2019: 20.1 t under the Japan-Mexico
    # EPA and only 2.2 t under CPTPP: the new agreement does not carry the increase
    (hit,) = find(flags, "020622000", "MX", "2019-01", "fao130")
    assert hit["label"] == LABEL_SURGE and hit["new_regime"] is None
    assert hit["quantity_t"] == pytest.approx(22.31, abs=1e-3)


def test_notes_count_every_row(flags, bundled):
    notes = scan_notes(flags)
    assert notes["rows"] == bundled.num_rows == 6061
    assert notes["rows used"] == 6061
    assert notes["periods"] == "2012-01 to 2019-12"


def test_json_shape(flags):
    from tradeguard.surge import flags_as_json

    out = flags_as_json(flags.slice(0, 3))
    assert list(out[0]) == ["tariff_line", "partner", "period", "method", "label",
                            "explanation"]
    assert len(out[0]["period"]) == 7
