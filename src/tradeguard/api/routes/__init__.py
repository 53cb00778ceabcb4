"""REST routes by subject, each an ``APIRouter`` that ``api/app.py`` mounts under ``/api``.

Every route parses its request, calls one service of ``api/services/`` (which reads the
server's own store under the store's reader lock and calls only the Python API) and
serialises the answer.
"""
