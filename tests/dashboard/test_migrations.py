"""The worker heartbeat moved into the dashboard app with its table: old and new installations migrate."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dashboard.models import WorkerHeartbeat

TABLE = "portal_workerheartbeat"


def migrate(target):
    MigrationExecutor(connection).migrate([("dashboard", target)])


@pytest.mark.django_db(transaction=True)
def test_an_installation_made_before_the_move_keeps_its_table_and_rows():
    migrate(None)  # as before the app existed: its table (the project package's) stays
    assert TABLE in connection.introspection.table_names()
    WorkerHeartbeat.objects.create(name="before-the-move")
    ContentType.objects.filter(app_label="dashboard", model="workerheartbeat").update(app_label="portal")
    ContentType.objects.clear_cache()

    migrate("0001_initial")

    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["before-the-move"]
    assert ContentType.objects.filter(app_label="dashboard", model="workerheartbeat").exists()
    assert not ContentType.objects.filter(app_label="portal").exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_installation_gets_the_table():
    migrate(None)
    with connection.schema_editor() as editor:
        editor.delete_model(WorkerHeartbeat)
    assert TABLE not in connection.introspection.table_names()

    migrate("0001_initial")

    assert TABLE in connection.introspection.table_names()
    WorkerHeartbeat.objects.create(name="fresh")
    assert WorkerHeartbeat.objects.count() == 1
