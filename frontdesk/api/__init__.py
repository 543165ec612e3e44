"""JSON API v1. Every request carries `Authorization: Bearer TOKEN`.

This package is the API's wiring: the blueprint, bearer-token authentication, the error
shape, the schema machinery (spec.py) and the generated document. Each feature's
operations live beside its pages and domain operations (`counter/api.py`,
`backoffice/api.py`, …) and register on this blueprint; `frontdesk.api.routes` imports
them all for the app factory. (Importing the package itself loads no feature, so a
feature's schemas can import `frontdesk.api.spec` without a cycle.)
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

__all__ = ["bp"]
