"""Expiry alerts and the daily token check: once per (connection, date, kind), e-mailed by content."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connections as db_connections
from django.utils import timezone

from connections import services, tasks
from connections.models import AlertKind, AlertSent, AuditEvent, Connection, Role
from connections.services import alerts
from tests.factories import make_connection, make_team, make_user, share

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2030, 6, 10)


@pytest.fixture
def expiring(db, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    owner = make_user("olivia", first_name="Olivia", last_name="Owner")
    connection = make_connection(owner, name="Acme production", expires_on=TODAY + datetime.timedelta(days=5),
                                 notify_days_before=7, notify_emails="ops@example.org, Olivia@example.org")
    share(connection, user=make_user("max"), role=Role.MANAGER)
    share(connection, user=make_user("otto"), role=Role.OPERATOR)
    share(connection, team=make_team("Leads", make_user("lea"), make_user("luc")), role=Role.MANAGER)
    share(connection, team=make_team("Field", make_user("fay")), role=Role.VIEWER)
    inactive = make_user("ian")
    inactive.is_active = False
    inactive.save()
    share(connection, user=inactive, role=Role.MANAGER)
    return connection


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """The expiry sweep, its hand-overs run as at commit (the test's transaction never commits)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.connections_expiry_sweep(**kwargs)

    return run


def test_recipients_are_owner_managers_manager_teams_and_extra_addresses(expiring):
    assert services.alert_recipients(expiring) == [
        "olivia@example.org", "max@example.org", "lea@example.org", "luc@example.org", "ops@example.org",
    ]


def test_nothing_before_the_notice_window(expiring):
    assert services.connection_expiry_alert_send(connection=expiring, today=TODAY - datetime.timedelta(days=3)) \
        is None
    assert mail.outbox == [] and not AlertSent.objects.exists()


def test_the_notice_goes_out_once_with_text_and_html(expiring):
    assert services.connection_expiry_alert_send(connection=expiring, today=TODAY) == AlertKind.EXPIRY_NOTICE
    assert services.connection_expiry_alert_send(connection=expiring, today=TODAY) is None
    assert services.connection_expiry_alert_send(connection=expiring, today=TODAY + datetime.timedelta(days=1)) \
        is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "API token of “Acme production” expires in 5 days (15 Jun 2030)"
    assert message.to == services.alert_recipients(expiring)
    link = f"https://portal.example.org/c/{expiring.pk}/"
    assert "expires on Saturday 15 June 2030, in 5 days." in message.body
    assert f"The connection: {link}" in message.body
    assert f"https://portal.example.org/c/{expiring.pk}/rotate/" in message.body
    assert "Owner:       Olivia Owner" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="{link}">Open the connection</a>' in html
    assert "<strong>Acme production</strong>" in html
    alert = AlertSent.objects.get()
    assert (alert.kind, alert.key) == (AlertKind.EXPIRY_NOTICE, "2030-06-15")
    assert AuditEvent.objects.get(action="alert.expiry_notice").detail == "e-mailed 5 recipient(s) (2030-06-15)"


def test_the_day_it_expires_sends_the_second_alert(expiring):
    services.connection_expiry_alert_send(connection=expiring, today=TODAY)
    day = expiring.expires_on
    assert services.connection_expiry_alert_send(connection=expiring, today=day) == AlertKind.EXPIRED
    assert services.connection_expiry_alert_send(connection=expiring, today=day + datetime.timedelta(days=1)) is None
    assert [m.subject for m in mail.outbox] == [
        "API token of “Acme production” expires in 5 days (15 Jun 2030)",
        "API token of “Acme production” expires today",
    ]
    assert "Once Qualtrics stops accepting it, the portal holds the connection's distributions" in mail.outbox[1].body


def test_a_changed_date_re_arms_both_alerts(expiring):
    services.connection_expiry_alert_send(connection=expiring, today=TODAY)
    services.connection_expiry_alert_send(connection=expiring, today=expiring.expires_on)
    Connection.objects.filter(pk=expiring.pk).update(expires_on=TODAY + datetime.timedelta(days=30))
    expiring.refresh_from_db()
    later = TODAY + datetime.timedelta(days=25)
    assert services.connection_expiry_alert_send(connection=expiring, today=later) == AlertKind.EXPIRY_NOTICE
    assert services.connection_expiry_alert_send(connection=expiring, today=later) is None
    assert len(mail.outbox) == 3
    assert mail.outbox[2].subject == "API token of “Acme production” expires in 5 days (10 Jul 2030)"
    assert sorted(AlertSent.objects.values_list("kind", "key")) == [
        ("expired", "2030-06-15"), ("expiry_notice", "2030-06-15"), ("expiry_notice", "2030-07-10"),
    ]


def test_a_disabled_connection_is_left_alone(expiring):
    Connection.objects.filter(pk=expiring.pk).update(enabled=False)
    expiring.refresh_from_db()
    assert services.connection_expiry_alert_send(connection=expiring, today=TODAY) is None
    assert mail.outbox == []


def test_a_failed_send_gives_the_alert_back(expiring, monkeypatch):
    def broken(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(alerts, "_send_alert_email", broken)
    with pytest.raises(ConnectionRefusedError):
        services.connection_expiry_alert_send(connection=expiring, today=TODAY)
    assert not AlertSent.objects.exists()
    monkeypatch.undo()
    assert services.connection_expiry_alert_send(connection=expiring, today=TODAY) == AlertKind.EXPIRY_NOTICE
    assert len(mail.outbox) == 1


def test_the_sweep_sends_what_is_due_in_one_pass_and_once(
    expiring, sweep, monkeypatch, django_capture_on_commit_callbacks
):
    far = make_connection(expiring.owner, name="Far", expires_on=timezone.localdate() + datetime.timedelta(days=400))
    make_connection(expiring.owner, name="No date")
    make_connection(expiring.owner, name="Not yet", expires_on=timezone.localdate() + datetime.timedelta(days=30))
    make_connection(expiring.owner, name="Soon", expires_on=timezone.localdate() + datetime.timedelta(days=2))
    Connection.objects.filter(pk=expiring.pk).update(expires_on=timezone.localdate() + datetime.timedelta(days=5))
    handed = []
    monkeypatch.setattr(tasks.connections_alerts_deliver_task, "delay",
                        lambda ids, claim: handed.append(tasks.connections_alerts_deliver_task(ids, claim)))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.connections_expiry_sweep_task() == 2
    assert handed == [2]  # one batch, both sent
    in5, in2 = (timezone.localdate() + datetime.timedelta(days=d) for d in (5, 2))
    assert sorted(m.subject for m in mail.outbox) == [
        f"API token of “Acme production” expires in 5 days ({in5.day} {in5:%b %Y})",
        f"API token of “Soon” expires in 2 days ({in2.day} {in2:%b %Y})",
    ]
    first = next(m for m in mail.outbox if "Acme production" in m.subject)
    assert first.to == services.alert_recipients(Connection.objects.get(pk=expiring.pk))
    assert first.alternatives[0][1] == "text/html"
    assert not AlertSent.objects.filter(connection=far).exists()
    assert AuditEvent.objects.filter(action="alert.expiry_notice").count() == 2
    report = sweep()
    assert (report.due, report.already_sent, report.claimed) == (2, 2, 0)
    assert len(mail.outbox) == 2


def test_the_batch_recipients_are_each_connections_own(expiring):
    other = make_connection(make_user("nora"), name="Other", notify_emails="NORA@example.org; x@example.org")
    share(other, team=make_team("Leads 2", make_user("lia")), role=Role.MANAGER)
    gone = make_user("gone")
    bare = make_connection(gone, name="Nobody")
    gone.is_active = False
    gone.save()
    found = services.recipients_by_connection([expiring, other, bare])
    assert found == {c.pk: services.alert_recipients(c) for c in (expiring, other, bare)}
    assert found[expiring.pk] == [
        "olivia@example.org", "max@example.org", "lea@example.org", "luc@example.org", "ops@example.org",
    ]


@pytest.mark.services  # SQLite splits a bulk insert into statements of at most 999 parameters
def test_the_sweeps_queries_do_not_grow_with_the_connections(expiring, django_capture_on_commit_callbacks):
    from django.db import connection as db_connection
    from django.test.utils import CaptureQueriesContext

    def sweep_with(count: int) -> tuple[int, int]:
        mail.outbox.clear()
        for n in range(count):
            c = make_connection(make_user(f"u{count}-{n}"), name=f"C{count}-{n}",
                                expires_on=timezone.localdate() + datetime.timedelta(days=3))
            share(c, user=make_user(f"m{count}-{n}"), role=Role.MANAGER)
            share(c, team=make_team(f"T{count}-{n}", make_user(f"t{count}-{n}")), role=Role.MANAGER)
        handed: list[tuple[list[int], str]] = []
        with CaptureQueriesContext(db_connection) as sweep_queries, django_capture_on_commit_callbacks(execute=True):
            report = services.connections_expiry_sweep(deliver=lambda ids, claim: handed.append((ids, claim)))
        assert report.claimed == count and [len(ids) for ids, _claim in handed] == [count]
        with CaptureQueriesContext(db_connection) as delivery_queries:
            assert services.alerts_deliver(alert_ids=handed[0][0], claim=handed[0][1]).sent == count
        assert len(mail.outbox) == count and all(len(m.to) == 3 for m in mail.outbox)  # owner, manager, team
        return tuple(len([q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])
                     for captured in (sweep_queries, delivery_queries))

    Connection.objects.filter(pk=expiring.pk).update(expires_on=None)
    # The sweep: what is due, what was already recorded, the alerts' insert, reading it back. A delivery: taking
    # its rows over, reading them, shares, users, team members, marking them delivered, the audit entries.
    assert sweep_with(3) == sweep_with(30) == (4, 7)


def test_a_failed_batch_gives_its_alerts_back_for_the_next_sweep(expiring, sweep, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    Connection.objects.filter(pk=expiring.pk).update(expires_on=timezone.localdate() + datetime.timedelta(days=5))
    real = EmailBackend.send_messages

    def broken(self, messages):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    assert sweep().claimed == 1
    given_back = AlertSent.objects.get()
    assert (given_back.claim, given_back.delivered_at) == ("", None)
    assert not AuditEvent.objects.filter(action__startswith="alert.").exists()
    monkeypatch.setattr(EmailBackend, "send_messages", real)
    assert sweep().claimed == 1
    assert len(mail.outbox) == 1
    assert AlertSent.objects.get().delivered_at is not None
    assert sweep().claimed == 0


def test_alerts_go_out_over_one_smtp_connection_per_batch(expiring, sweep, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from connections.services import alert_batches

    monkeypatch.setattr(alert_batches, "ALERT_BATCH", 4)
    for n in range(9):
        make_connection(expiring.owner, name=f"Soon {n}", expires_on=timezone.localdate() + datetime.timedelta(days=2))
    batches = []
    real = EmailBackend.send_messages

    def counted(self, messages):
        batches.append(len(messages))
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", counted)
    assert sweep().claimed == 9
    assert batches == [4, 4, 1]
    assert AlertSent.objects.filter(delivered_at__isnull=False).count() == 9


def test_a_repeated_delivery_message_sends_nothing_more(expiring, sweep):
    Connection.objects.filter(pk=expiring.pk).update(expires_on=timezone.localdate() + datetime.timedelta(days=5))
    handed = []
    sweep(deliver=lambda ids, claim: handed.append((ids, claim)))
    [(ids, claim)] = handed
    assert services.alerts_deliver(alert_ids=ids, claim=claim).sent == 1
    again = services.alerts_deliver(alert_ids=ids, claim=claim)
    assert (again.sent, again.not_mine) == (0, 1)
    assert len(mail.outbox) == 1


def test_the_beat_schedule_names_both_sweeps():
    assert {entry["task"] for entry in tasks.BEAT_SCHEDULE.values()} == {
        "connections.tasks.connections_expiry_sweep_task",
        "connections.tasks.connections_token_health_sweep_task",
    }


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sweeps", [2, 4])
def test_sweeps_at_once_send_each_alert_once(settings, monkeypatch, sweeps):
    """Several beat schedulers (or workers) run the expiry sweep at the same moment: one e-mail per alert."""
    from connections.services import alert_batches

    settings.PORTAL_BASE_URL = "https://portal.example.org"
    owner = make_user("olivia")
    today = timezone.localdate()
    soon = [make_connection(owner, name=f"Soon {n}", expires_on=today + datetime.timedelta(days=3))
            for n in range(40)]
    due = make_connection(owner, name="Due today", expires_on=today)
    real_message = alert_batches._message

    def slow_message(*args):
        threading.Event().wait(0.002)  # widen the window between the claim and the send
        return real_message(*args)

    monkeypatch.setattr(alert_batches, "_message", slow_message)
    barrier = threading.Barrier(sweeps)
    errors, reports = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            reports.append(services.connections_expiry_sweep())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(sweeps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [f"API token of “Soon {n}” expires in 3 days ({soon[n].expires_on.day} {soon[n].expires_on:%b %Y})"
         for n in range(40)]
        + ["API token of “Due today” expires today"]
    )
    assert AlertSent.objects.count() == 41
    assert sum(r.claimed for r in reports) == 41
    assert AuditEvent.objects.filter(action__startswith="alert.").count() == 41
    assert due.pk in set(AlertSent.objects.values_list("connection_id", flat=True))


class TestTokenHealth:
    def test_a_rejected_token_alerts_once_and_turns_red(self, live, settings):
        settings.PORTAL_BASE_URL = "https://portal.example.org"
        live.sandbox.state.revoke_token(live.token)
        tasks.connection_token_health_task.apply(args=[live.connection.pk])
        tasks.connection_token_health_task.apply(args=[live.connection.pk])
        connection = Connection.objects.get(pk=live.connection.pk)
        assert connection.token_rejected_at is not None
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.subject == "Qualtrics no longer accepts the API token of “Acme (sandbox)”"
        assert sorted(message.to) == sorted(["sandra@example.org", "max@example.org"])
        assert "Unrecognized X-API-TOKEN." in message.body
        assert "Distributions through this connection are held, not sent, until a manager rotates the token" \
            in message.body
        assert f"https://portal.example.org/c/{connection.pk}/rotate/" in message.body
        assert AlertSent.objects.get().key == connection.token_rejected_at.isoformat()

    def test_a_new_rejection_after_a_fix_alerts_again(self, live):
        live.sandbox.state.revoke_token(live.token)
        services.connection_token_health_check(connection=live.connection)
        new = live.sandbox.add_token("acme", admin=True)
        services.connection_rotate(connection=live.connection, actor=live.owner, token=new)
        assert Connection.objects.get(pk=live.connection.pk).token_rejected_at is None
        live.sandbox.state.revoke_token(new)
        services.connection_token_health_check(connection=Connection.objects.get(pk=live.connection.pk))
        assert len(mail.outbox) == 2
        assert AlertSent.objects.filter(kind=AlertKind.TOKEN_REJECTED).count() == 2

    def test_a_healthy_token_sends_nothing(self, live):
        assert tasks.connection_token_health_task.apply(args=[live.connection.pk]).get() is True
        assert mail.outbox == []
        assert AuditEvent.objects.get(action="connection.test").actor_label == "system"

    def test_a_transient_failure_is_retried_not_alerted(self, live, monkeypatch):
        live.sandbox.configure(fail_rate=1.0)
        retried = []

        def fake_retry(*args, **kwargs):
            retried.append(kwargs.get("countdown"))
            raise RuntimeError("retry scheduled")

        monkeypatch.setattr(tasks.connection_token_health_task, "retry", fake_retry)
        with pytest.raises(RuntimeError, match="retry scheduled"):
            tasks.connection_token_health_task.run(live.connection.pk)
        assert retried == [60]
        assert mail.outbox == []
        assert Connection.objects.get(pk=live.connection.pk).token_rejected_at is None

    def test_the_sweep_checks_enabled_connections_only_in_batches(
        self, live, monkeypatch, django_capture_on_commit_callbacks
    ):
        disabled = make_connection(live.owner, name="Off", enabled=False)
        more = [make_connection(live.owner, name=f"On {n}").pk for n in range(3)]
        monkeypatch.setattr(tasks, "HEALTH_BATCH", 3)
        queued = []
        monkeypatch.setattr(tasks.connections_token_health_batch_task, "delay", queued.append)
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.connections_token_health_sweep_task() == 4
        assert queued == [sorted([live.connection.pk, *more])[:3], sorted([live.connection.pk, *more])[3:]]
        assert disabled.pk not in {pk for batch in queued for pk in batch}

    def test_a_batch_alerts_its_rejected_tokens_together_once(self, live, settings, monkeypatch):
        from django.core.mail.backends.locmem import EmailBackend

        settings.PORTAL_BASE_URL = "https://portal.example.org"
        second_token = live.sandbox.add_token("acme", admin=True)
        second = make_connection(live.owner, name="Acme second", token=second_token,
                                 datacenter=live.connection.datacenter)
        healthy = make_connection(live.owner, name="Acme healthy", token=live.sandbox.add_token("acme", admin=True),
                                  datacenter=live.connection.datacenter)
        live.sandbox.state.revoke_token(live.token)
        live.sandbox.state.revoke_token(second_token)
        batches = []
        real = EmailBackend.send_messages

        def counted(self, messages):
            batches.append(len(messages))
            return real(self, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", counted)
        ids = [live.connection.pk, second.pk, healthy.pk]
        assert tasks.connections_token_health_batch_task.apply(args=[ids]).get() == {
            "ok": 1, "rejected": 2, "transient": 0}
        assert batches == [2]
        tasks.connections_token_health_batch_task.apply(args=[ids])
        assert len(mail.outbox) == 2
        assert AlertSent.objects.filter(kind=AlertKind.TOKEN_REJECTED).count() == 2

    def test_a_batch_checks_again_later_only_what_failed_for_now(self, live, monkeypatch):
        live.sandbox.configure(fail_rate=1.0)
        retried = []

        def fake_retry(*args, **kwargs):
            retried.append((kwargs.get("args"), kwargs.get("countdown")))
            raise RuntimeError("retry scheduled")

        monkeypatch.setattr(tasks.connections_token_health_batch_task, "retry", fake_retry)
        with pytest.raises(RuntimeError, match="retry scheduled"):
            tasks.connections_token_health_batch_task.run([live.connection.pk])
        assert retried == [(([live.connection.pk],), 60)]
        assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_and_its_pieces(celery_worker, settings):
    """Beat's message goes through the broker; the sweep fans out one task per connection to the worker."""
    import time

    from portal.celery import app

    settings.PORTAL_BASE_URL = "https://portal.example.org"
    owner = make_user("olivia")
    today = timezone.localdate()
    make_connection(owner, name="Soon", expires_on=today + datetime.timedelta(days=2))
    make_connection(owner, name="Due", expires_on=today)
    make_connection(owner, name="Later", expires_on=today + datetime.timedelta(days=90))
    app.finalize()
    assert "connections-expiry-sweep" in app.conf.beat_schedule
    tasks.connections_expiry_sweep_task.delay()
    deadline = time.monotonic() + 30
    while len(mail.outbox) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(m.subject for m in mail.outbox) == [
        "API token of “Due” expires today",
        f"API token of “Soon” expires in 2 days ({(today + datetime.timedelta(days=2)).day} "
        f"{today + datetime.timedelta(days=2):%b %Y})",
    ]
