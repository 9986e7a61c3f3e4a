from django.db import migrations, models
from django.db.models import F


def delivered_as_sent(apps, schema_editor):
    """Every alert recorded so far was sent when it was recorded."""
    apps.get_model("connections", "AlertSent").objects.update(delivered_at=F("sent_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("connections", "0002_oauth_clients"),
    ]

    operations = [
        migrations.AddField(
            model_name="alertsent",
            name="claim",
            field=models.CharField(blank=True, db_index=True, max_length=32),
        ),
        migrations.AddField(
            model_name="alertsent",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(delivered_as_sent, migrations.RunPython.noop),
    ]
