"""Every module that registers operations on the API blueprint; the app factory imports it."""

from frontdesk.admin import api as admin_api  # noqa: F401
from frontdesk.api import auth, document  # noqa: F401
from frontdesk.backoffice import api as backoffice_api  # noqa: F401
from frontdesk.catalog import api as catalog_api  # noqa: F401
from frontdesk.channels import api as channels_api  # noqa: F401
from frontdesk.counter import api as counter_api  # noqa: F401
from frontdesk.feedback import api as feedback_api  # noqa: F401
from frontdesk.inbox import api as inbox_api  # noqa: F401
from frontdesk.overview import api as overview_api  # noqa: F401
from frontdesk.processes import api as processes_api  # noqa: F401
from frontdesk.recommendations import api as recommendations_api  # noqa: F401
from frontdesk.staffing import api as staffing_api  # noqa: F401
from frontdesk.visitors import api as visitors_api  # noqa: F401
