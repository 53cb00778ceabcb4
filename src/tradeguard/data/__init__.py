"""The data layer: canonical import records, readers, reference tables and the embedded store.

Import the submodules directly (``from tradeguard.data.store import ingest``); this package
module stays empty so that ``import tradeguard.data.partners`` in the CLI does not pull in Ibis.

- ``schema``: canonical pyarrow schema, ``validate_table``
- ``partners``: ISO 3166 <-> Japan Customs country codes (shipped table)
- ``regimes``, ``units``: vocabularies and conversions
- ``readers``: one reader per input format, ``read_any``
- ``store``: the DuckDB store, ``ingest``, ``open_imports``
- ``bundled``: the shipped real-data extract, ``bundled_extract_path``
"""
