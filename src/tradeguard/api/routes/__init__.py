"""REST routes by subject, each an ``APIRouter`` that ``api/app.py`` mounts under ``/api``.

Every route reads the server's own store through :class:`tradeguard.api.service.Desk` and holds
its lock while the store is open (the DuckDB file allows no writer next to a reader in one
process), and calls only the Python API.
"""
