"""Tariff regimes: which agreement an import claimed, as short lower-case names.

``regime`` in the canonical schema is the agreement under which the preferential rate was
claimed, not the partner's membership: Japan Customs records the statistical country of origin,
and goods from a non-party can enter under a party's agreement (2019 rows from China, Brazil or
Ethiopia carry the Japan-EU EPA's origin code, for example).  ``None`` means unknown.

=========  ==========================================================  ======================
regime     agreement                                                   in force for Japan
=========  ==========================================================  ======================
jsepa      Japan-Singapore EPA                                         2002-11-30
jmepa      Japan-Mexico EPA                                            2005-04-01
jmyepa     Japan-Malaysia EPA                                          2006-07-13
jcepa      Japan-Chile EPA                                             2007-09-03
jtepa      Japan-Thailand EPA                                          2007-11-01
jiepa      Japan-Indonesia EPA                                         2008-07-01
jbepa      Japan-Brunei EPA                                            2008-07-31
ajcep      ASEAN-Japan Comprehensive Economic Partnership              2008-12-01
jpepa      Japan-Philippines EPA                                       2008-12-11
jchepa     Japan-Switzerland Free Trade and EPA                        2009-09-01
jvepa      Japan-Viet Nam EPA                                          2009-10-01
jincepa    Japan-India Comprehensive EPA                               2011-08-01
jpeepa     Japan-Peru EPA                                              2012-03-01
jaepa      Japan-Australia EPA                                         2015-01-15
jmnepa     Japan-Mongolia EPA                                          2016-06-07
cptpp      Comprehensive and Progressive Agreement for Trans-Pacific   2018-12-30
           Partnership
jeuepa     Japan-EU EPA (the UK included until 2020-12-31)             2019-02-01
usjta      US-Japan Trade Agreement                                    2020-01-01
jukcepa    Japan-UK Comprehensive EPA                                  2021-01-01
rcep       Regional Comprehensive Economic Partnership                 2022-01-01
mfn        no preference claimed (MFN or other non-preferential rate)  -
=========  ==========================================================  ======================

The dates document the names; parsing does not depend on them.
"""

from __future__ import annotations

REGIMES: dict[str, str] = {
    "jsepa": "Japan-Singapore EPA",
    "jmepa": "Japan-Mexico EPA",
    "jmyepa": "Japan-Malaysia EPA",
    "jcepa": "Japan-Chile EPA",
    "jtepa": "Japan-Thailand EPA",
    "jiepa": "Japan-Indonesia EPA",
    "jbepa": "Japan-Brunei EPA",
    "ajcep": "ASEAN-Japan Comprehensive Economic Partnership",
    "jpepa": "Japan-Philippines EPA",
    "jchepa": "Japan-Switzerland Free Trade and EPA",
    "jvepa": "Japan-Viet Nam EPA",
    "jincepa": "Japan-India Comprehensive EPA",
    "jpeepa": "Japan-Peru EPA",
    "jaepa": "Japan-Australia EPA",
    "jmnepa": "Japan-Mongolia EPA",
    "cptpp": "CPTPP",
    "jeuepa": "Japan-EU EPA",
    "usjta": "US-Japan Trade Agreement",
    "jukcepa": "Japan-UK Comprehensive EPA",
    "rcep": "RCEP",
    "mfn": "no preference claimed",
}

EU_MEMBERS = frozenset(
    ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]
)

# Old Japan Customs layout (2012-2020): a blank third column means "the bilateral agreement with
# the partner in the Country column".  Keyed by ISO alpha-2.  The UK maps to the Japan-EU EPA
# because that was its only agreement with Japan through 2020 (the Japan-UK CEPA starts in 2021,
# when the new layout names it "GB").  The mapping does not look at dates: the one January 2019
# EU row (before the EPA's entry into force, "as published" per the data README) is kept as
# jeuepa.  A blank with a partner missing here (China, Brazil, Canada ... in 2019) has no
# bilateral agreement: the regime is left unknown (None) and the readers count such rows.
# (Those 2019 rows carry the same EPA Code 5 as the EU rows; they are probably Japan-EU EPA
# claims on goods of non-EU statistical origin, but the source does not say so.)
BILATERAL_BY_PARTNER: dict[str, str] = {
    "SG": "jsepa", "MX": "jmepa", "MY": "jmyepa", "CL": "jcepa", "TH": "jtepa",
    "ID": "jiepa", "BN": "jbepa", "PH": "jpepa", "CH": "jchepa", "VN": "jvepa",
    "IN": "jincepa", "PE": "jpeepa", "AU": "jaepa", "MN": "jmnepa", "US": "usjta",
    **dict.fromkeys(EU_MEMBERS | {"GB"}, "jeuepa"),
}

# New layout (2021 on): every row should carry a two-letter code; should a blank appear anyway,
# the partner's bilateral agreement is used as above, except that the UK's is now its own CEPA.
BILATERAL_BY_PARTNER_FROM_2021: dict[str, str] = {**BILATERAL_BY_PARTNER, "GB": "jukcepa"}

# Values of the third column of Japan Customs EPA workbooks.  "300"/"600" are the old layout
# (header "Region"); the two-letter codes are the 2021 layout (header "EPA") as listed in the
# source repository's key_list.xlsx (sheet "Duty Type for epa import"), which also lists "1A".."1E"
# under CPTPP.
AGREEMENT_CODES: dict[str, str] = {
    "300": "ajcep",
    "600": "cptpp",
    "AS": "ajcep", "AU": "jaepa", "BN": "jbepa", "CH": "jchepa", "CL": "jcepa",
    "EU": "jeuepa", "GB": "jukcepa", "ID": "jiepa", "IN": "jincepa", "MN": "jmnepa",
    "MX": "jmepa", "MY": "jmyepa", "PE": "jpeepa", "PH": "jpepa", "SG": "jsepa",
    "TH": "jtepa", "TP": "cptpp", "US": "usjta", "VN": "jvepa",
    "1A": "cptpp", "1B": "cptpp", "1C": "cptpp", "1D": "cptpp", "1E": "cptpp",
}


def is_known_regime(regime: str | None) -> bool:
    """True for a name in :data:`REGIMES`; None (unknown) is allowed and also True."""
    return regime is None or regime in REGIMES
