"""The worker heartbeat, whose table an installation made before this app existed may already hold.

The model moved here from the project package, keeping its table (`portal_workerheartbeat`). The
model enters this app's migration state without touching the database; the table is then created
only where it is missing (a new installation), so an existing one keeps its rows, and the model's
content type (which its permissions point at) moves to this app.
"""

import django.utils.timezone
from django.db import migrations, models


def adopt_or_create_table(apps, schema_editor):
    model = apps.get_model("dashboard", "WorkerHeartbeat")
    if model._meta.db_table not in schema_editor.connection.introspection.table_names():
        schema_editor.create_model(model)
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    if not content_types.filter(app_label="dashboard", model="workerheartbeat").exists():
        content_types.filter(app_label="portal", model="workerheartbeat").update(app_label="dashboard")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WorkerHeartbeat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, unique=True)),
                        ('seen_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'portal_workerheartbeat',
                    },
                ),
            ],
        ),
        # Undoing this migration leaves the table: it may predate the app.
        migrations.RunPython(adopt_or_create_table, migrations.RunPython.noop),
    ]
