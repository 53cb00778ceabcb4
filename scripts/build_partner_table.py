"""Build src/tradeguard/data/reference/partners.csv from the real code lists in ../shared.

Sources (see src/tradeguard/data/reference/README.md for provenance):

- ISO 3166: ``shared/data/country-codes/country-codes.csv`` (datasets/country-codes).
- Japan Customs country codes: ``shared/data/jp-customs-codes/country_eng.csv`` (Kaggle
  "Japan Trade Statistics" list, about 2016), supplemented by the sheet ``for epa import`` of
  ``shared/data/jp-customs-epa-imports/raw/key_list.xlsx`` for codes that the 2016 list lacks
  (249 Faroe Islands appears in the 2012-2019 workbooks but not in country_eng.csv).

Each Japan Customs code is matched to ISO by normalised English name against several ISO name
columns; names that do not match go through ``OVERRIDES`` (a deliberate decision per code) or
are listed in ``NO_ISO_CODE`` with the reason.  The script fails if any code is left undecided,
so a new code list forces a decision instead of silently dropping a partner.

Usage: .venv/bin/python scripts/build_partner_table.py [--shared PATH]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "tradeguard" / "data" / "reference" / "partners.csv"

# Japan Customs code -> ISO alpha-2, for names the matcher cannot pair.  Each line is a decision.
OVERRIDES: dict[str, str] = {
    "103": "KR",  # Republic_of_Korea: ISO "Republic of Korea" matches only with article handling
    "105": "CN",  # People's_Republic_of_China
    "205": "GB",  # United Kingdom (ISO: United Kingdom of Great Britain and Northern Ireland)
    "121": "LA",  # Laos = Lao People's Democratic Republic
    "129": "MO",  # Macao (ISO: China, Macao SAR)
    "108": "HK",  # Hong_Kong (ISO: China, Hong Kong SAR)
    "133": "IR",  # Iran (Islamic Republic of)
    "145": "SY",  # Syria = Syrian Arab Republic
    "154": "KG",  # Kyrgyz = Kyrgyzstan
    "158": "PS",  # The West Bank and Gaza Strip = State of Palestine (ISO PS covers both)
    "219": "GI",  # Gibraltar (UK)
    "224": "RU",  # Russia = Russian Federation
    "234": "TR",  # Turkey = Türkiye
    "240": "MD",  # Moldova = Republic of Moldova
    "244": "MK",  # Former Yugoslav Republic of Macedonia = North Macedonia
    "245": "CZ",  # Czech Republic = Czechia
    "301": "GL",  # Greenland (Denmark)
    "303": "PM",  # St. Pierre and Miquelon (France)
    "314": "BM",  # Bermuda (UK)
    "317": "TC",  # Turks and Caicos Islands (UK)
    "324": "PR",  # Puerto Rico (USA)
    "325": "VI",  # US Virgin Islands
    "328": "KY",  # Cayman islands (UK)
    "334": "MS",  # "Monstserrat (UK)" (sic in the source) = Montserrat
    "335": "KN",  # St. Christopher and Nevis = Saint Kitts and Nevis
    "336": "VC",  # St. Vincent = Saint Vincent and the Grenadines
    "337": "AI",  # British Anguilla = Anguilla
    "402": "VE",  # Venezuela (Bolivarian Republic of)
    "408": "BO",  # Bolivia (Plurinational State of)
    "414": "FK",  # Falkland Islands and Dependencies (UK): ISO FK is the islands proper
    "508": "EH",  # West Sahara = Western Sahara
    "516": "CI",  # Rep. of Cote d'Ivoire
    "529": "CF",  # Central Africa = Central African Republic
    "532": "CG",  # Republic of Congo = Congo (Brazzaville)
    "533": "CD",  # Democratic Republic of Congo
    "537": "SH",  # St. Helena Island and Dependencies (UK)
    "543": "TZ",  # Tanzania = United Republic of Tanzania
    "548": "RE",  # Reunion (France)
    "556": "SZ",  # Swaziland = Eswatini
    "557": "IO",  # British indian Ocean Territories
    "560": "SS",  # Republic of South Sudan
    "607": "CK",  # Cook (Islands)
    "608": "TK",  # Tokelau Islands (NZ)
    "616": "PN",  # Pitcairn (UK)
    "618": "NC",  # New Caledonia (France)
    "620": "GU",  # Guam (USA)
    "622": "UM",  # American Oceania ("US Pacific Islands" in key_list) = US Minor Outlying Islands
    "625": "MH",  # Marshall (Islands)
    "626": "FM",  # Micronesia (Federated States of)
    "627": "MP",  # Northern Mariana Islands (USA)
    "249": "FO",  # Faroe Islands (Denmark), from key_list.xlsx
    "250": "VA",  # Vatican City = Holy See, from key_list.xlsx
    "338": "BL",  # Saint Barthélemy (France), from key_list.xlsx
}

# Japan Customs codes for parts of a country that ISO 3166-1 does not code separately: imports
# from them are imports from that country, so they fold into its alpha-2 (extra rows in the CSV).
FOLDED: dict[str, str] = {
    "216": "PT",  # Azores (Portugal): ISO 3166-2 PT-20, no alpha-2 of its own
    "502": "ES",  # Ceuta and Melilla (Spain): Spanish cities (EA is only an exceptional reservation)
    "523": "ES",  # Canary Islands (Spain): ISO 3166-2 ES-CN (IC is only an exceptional reservation)
}

# Japan Customs codes that deliberately get no ISO code; rows with them fail ingest with this reason.
NO_ISO_CODE: dict[str, str] = {
    "248": "Kosovo has no ISO 3166-1 alpha-2 code (XK is user-assigned, not in ISO 3166)",
    "326": "Netherlands Antilles was dissolved in 2010 and its ISO code AN withdrawn",
    "327": "French West Indies spans Guadeloupe (GP) and Martinique (MQ); no single ISO code",
    "415": "British Antarctic Territory has no ISO 3166-1 code of its own",
    "605": "Other Australian Territories spans CX, CC, NF and HM; no single ISO code",
    "701": "'For order' is a special area code, not a country",
    "702": "'Unknown' origin is a special area code, not a country",
    "703": "Bonded manufacturing warehouse is a special area code, not a country",
}

ISO_NAME_COLUMNS = (
    "official_name_en",
    "CLDR display name",
    "UNTERM English Short",
    "ISO4217-currency_country_name",
)


def normalise(name: str) -> str:
    """Lower-case, drop articles, parenthesised qualifiers and punctuation, so names compare."""
    text = name.replace("_", " ").lower()
    text = re.sub(r"\(.*?\)", " ", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z ]", " ", text)
    words = [w for w in text.split() if w not in {"the", "of", "rep", "republic"}]
    return " ".join(words)


def load_iso(path: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    """ISO rows (iso2, iso3, name) and a normalised-name -> iso2 index over several name columns."""
    rows, index = [], {}
    with path.open(encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            iso2 = rec["ISO3166-1-Alpha-2"].strip()
            if not iso2:
                continue
            name = rec["official_name_en"].strip() or rec["CLDR display name"].strip()
            rows.append({"iso2": iso2, "iso3": rec["ISO3166-1-Alpha-3"].strip(), "name": name})
            for col in ISO_NAME_COLUMNS:
                if rec.get(col, "").strip():
                    index.setdefault(normalise(rec[col]), iso2)
    return rows, index


def load_jp_codes(country_eng: Path, key_list: Path | None) -> dict[str, str]:
    """Japan Customs code -> English name; key_list.xlsx only adds codes country_eng.csv lacks."""
    codes: dict[str, str] = {}
    with country_eng.open(encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            codes[rec["Country"].strip().zfill(3)] = rec["Country_name"].replace("_", " ").strip()
    if key_list is not None and key_list.exists():
        import openpyxl  # script-only dependency

        book = openpyxl.load_workbook(key_list, read_only=True, data_only=True)
        sheet = book["for epa import"]
        for code, _region, _ja, name_en in sheet.iter_rows(min_row=2, values_only=True):
            key = str(code).zfill(3)
            if name_en and "removed" not in str(name_en).lower() and key not in codes:
                codes[key] = str(name_en).strip()
    return codes


def build(shared: Path) -> tuple[list[dict[str, str]], list[str]]:
    iso_rows, index = load_iso(shared / "data" / "country-codes" / "country-codes.csv")
    jp = load_jp_codes(
        shared / "data" / "jp-customs-codes" / "country_eng.csv",
        shared / "data" / "jp-customs-epa-imports" / "raw" / "key_list.xlsx",
    )
    by_iso = {r["iso2"]: r for r in iso_rows}
    primary: dict[str, str] = {}  # iso2 -> first (lowest) Japan code
    extra: list[tuple[str, str]] = []  # (jp code, iso2) for codes folded into an ISO country
    undecided: list[str] = []
    for code in sorted(jp):
        if code in NO_ISO_CODE:
            continue
        if code in FOLDED:
            extra.append((code, FOLDED[code]))
            continue
        iso2 = OVERRIDES.get(code) or index.get(normalise(jp[code]))
        if iso2 is None:
            undecided.append(f"{code} {jp[code]}")
        elif iso2 in primary:
            extra.append((code, iso2))
        else:
            primary[iso2] = code
    out = [{**r, "jp_customs_code": primary.get(r["iso2"], "")} for r in iso_rows]
    out += [{**by_iso[iso2], "jp_customs_code": code} for code, iso2 in extra]
    out += [
        {"iso2": "", "iso3": "", "name": jp[code], "jp_customs_code": code}
        for code in sorted(NO_ISO_CODE)
        if code in jp
    ]
    return out, undecided


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    rows, undecided = build(args.shared)
    if undecided:
        print("Japan Customs codes with no ISO match and no decision:", *undecided, sep="\n  ")
        print("Add each to OVERRIDES or NO_ISO_CODE in this script, then run it again.")
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["iso2", "iso3", "name", "jp_customs_code"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    mapped = sum(1 for r in rows if r["jp_customs_code"] and r["iso2"])
    print(f"wrote {OUT.relative_to(REPO)}: {len(rows)} rows, {mapped} Japan codes mapped, "
          f"{len(NO_ISO_CODE)} Japan codes deliberately without ISO code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
