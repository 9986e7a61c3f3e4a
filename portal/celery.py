"""The Celery app: configured from Django settings (CELERY_ namespace), tasks autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _collect_beat_schedule(sender, **kwargs):
    """Each app may declare BEAT_SCHEDULE in its tasks module; merge them into beat's schedule.

    The schedule is filled in place: it is the settings' own CELERY_BEAT_SCHEDULE dict, and on celery 5.6
    an assigned `conf.beat_schedule` is shadowed by that namespaced setting (beat would schedule nothing).
    """
    from django.apps import apps

    schedule = sender.conf.beat_schedule
    for config in apps.get_app_configs():
        try:
            module = __import__(f"{config.name}.tasks", fromlist=["BEAT_SCHEDULE"])
        except ImportError:
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))


def _tune_embedded_broker() -> None:
    """The server-less SQLAlchemy broker polls; poll often so scheduled work starts promptly.

    (Its transport passes every transport option to SQLAlchemy's create_engine, so the interval is
    set on the transport class instead.)
    """
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        broker = settings.CELERY_BROKER_URL
    except ImproperlyConfigured:
        return  # reported in one line by portal.settings_check at start-up
    if broker.startswith("sqla+"):
        from kombu.transport import sqlalchemy

        sqlalchemy.Transport.polling_interval = 0.25


_tune_embedded_broker()
