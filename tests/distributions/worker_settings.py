"""Settings for the worker and sweeper processes the concurrency tests start.

The portal's own settings, with retries that wait seconds rather than minutes so that fault tests
finish quickly. Everything else (database, broker, cache, sandbox URL, keys) comes from the
environment the test hands to the process. portal/settings.py is loaded from its file: importing it
as `portal.settings` would import the `portal` package, whose Celery app reads these very settings.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_portal_settings_base", Path(__file__).resolve().parents[2] / "portal" / "settings.py"
)
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)
globals().update({name: value for name, value in vars(_base).items() if name.isupper()})

DISTRIBUTIONS_RETRY_BASE_SECONDS = 0.5
