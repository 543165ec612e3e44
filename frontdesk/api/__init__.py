"""JSON API v1. Every request carries `Authorization: Bearer TOKEN`.

This package is the API's wiring: the blueprint, bearer-token authentication, the error
shape, the schema machinery (spec.py) and the generated document. Each feature's
operations live beside its pages and domain operations (`counter/api.py`,
`backoffice/api.py`, …) and register on this blueprint.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Routes register on bp when their modules are imported.
from frontdesk.api import auth, document  # noqa: E402,F401
from frontdesk.catalog import api as catalog_api  # noqa: E402,F401
from frontdesk.counter import api as counter_api  # noqa: E402,F401
from frontdesk.overview import api as overview_api  # noqa: E402,F401
from frontdesk.processes import api as processes_api  # noqa: E402,F401
from frontdesk.recommendations import api as recommendations_api  # noqa: E402,F401

__all__ = ["bp"]
from frontdesk.backoffice import api as backoffice_api  # noqa: E402,F401
from frontdesk.channels import api as channels_api  # noqa: E402,F401
from frontdesk.inbox import api as inbox_api  # noqa: E402,F401
