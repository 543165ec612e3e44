# The API still imports from here; kept until the API rewrite lands.
from frontdesk.periods import FilterError, read_filters  # noqa: F401
