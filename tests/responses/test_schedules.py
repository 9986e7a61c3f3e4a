"""Scheduled exports: slots in the creator's zone, each slot run once, incremental runs through the
continuation token, a failed run that says why while the schedule carries on, e-mails."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from responses import services
from responses.models import ExportSchedule, ResponseExport

from .conftest import record_responses, run_export

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def schedule_of(team, csat, **fields) -> ExportSchedule:
    defaults = {"name": "Nightly", "frequency": "daily", "time_of_day": datetime.time(7, 0), "time_zone": "UTC",
                "incremental": True, "notify_on": "never", "options": services.export_body(fmt="csv")}
    defaults.update(fields)
    schedule = ExportSchedule(connection=team.connection, survey_id=csat["id"], survey_name=csat["name"], **defaults)
    return services.export_schedule_save(schedule=schedule, actor=team.operator, created=True)


def due_now(schedule: ExportSchedule) -> None:
    ExportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=timezone.now() - datetime.timedelta(seconds=1))


def ids_in(export) -> list[str]:
    with default_storage.open(export.file.name) as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    return [row[rows[0].index("ResponseId")] for row in rows[3:]]


class TestSlots:
    def slot(self, after, **fields):
        schedule = ExportSchedule(name="s", survey_id="SV_x", **{"time_zone": "Europe/Paris", **fields})
        return services.next_slot(schedule, after=after).astimezone(PARIS)

    def test_daily_at_a_local_time_keeps_it_across_daylight_saving(self):
        before = datetime.datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)
        first = self.slot(before, frequency="daily", time_of_day=datetime.time(7, 30))
        second = self.slot(first, frequency="daily", time_of_day=datetime.time(7, 30))
        assert (first.day, first.hour, first.minute) == (29, 7, 30)
        assert (second.day, second.hour, second.minute) == (30, 7, 30)
        assert second - first == datetime.timedelta(hours=24)  # the clocks went forward on the 29th at 02:00

    def test_hourly_at_a_minute_and_weekly_on_a_day(self):
        now = datetime.datetime(2026, 6, 10, 12, 20, tzinfo=PARIS)  # a Wednesday
        assert self.slot(now, frequency="hourly", minute=15) == datetime.datetime(2026, 6, 10, 13, 15, tzinfo=PARIS)
        assert self.slot(now, frequency="hourly", minute=45) == datetime.datetime(2026, 6, 10, 12, 45, tzinfo=PARIS)
        monday = self.slot(now, frequency="weekly", weekday=0, time_of_day=datetime.time(6, 0))
        assert monday == datetime.datetime(2026, 6, 15, 6, 0, tzinfo=PARIS)
        today_later = self.slot(now, frequency="weekly", weekday=2, time_of_day=datetime.time(18, 0))
        assert today_later == datetime.datetime(2026, 6, 10, 18, 0, tzinfo=PARIS)


class TestRuns:
    def test_each_slot_runs_once_however_many_sweeps(self, team, csat, enqueued):
        schedule = schedule_of(team, csat)
        assert services.export_schedules_sweep() == []  # not due yet
        due_now(schedule)
        slot = ExportSchedule.objects.get(pk=schedule.pk).next_run_at
        made = services.export_schedules_sweep()
        assert len(made) == 1 and services.export_schedules_sweep() == []
        run = ResponseExport.objects.get(pk=made[0])
        assert run.slot == slot and run.schedule == schedule and run.incremental
        schedule.refresh_from_db()
        assert schedule.next_run_at > timezone.now()

    def test_a_sweep_that_meets_the_slot_s_run_made_elsewhere_makes_no_second_one(self, team, csat, enqueued):
        schedule = schedule_of(team, csat)
        due_now(schedule)
        slot = ExportSchedule.objects.get(pk=schedule.pk).next_run_at
        # Another beat made the run of this slot and its transaction is about to move the schedule on.
        ResponseExport.objects.create(connection=team.connection, survey_id=csat["id"], schedule=schedule, slot=slot,
                                      status="completed")
        assert services.export_schedules_sweep() == []
        assert ResponseExport.objects.filter(schedule=schedule).count() == 1

    def test_a_run_still_going_holds_the_next_slot_back(self, team, csat, enqueued):
        schedule = schedule_of(team, csat)
        due_now(schedule)
        (first,) = services.export_schedules_sweep()
        due_now(schedule)
        assert services.export_schedules_sweep() == []
        run_export(first, team.sandbox)
        assert len(services.export_schedules_sweep()) == 1

    def test_a_run_that_ends_while_the_sweep_looks_hands_the_next_its_newest_token(self, team, csat, enqueued):
        schedule = schedule_of(team, csat, continuation_token="old")
        due_now(schedule)
        previous = ResponseExport.objects.create(connection=team.connection, survey_id=csat["id"], schedule=schedule,
                                                 slot=timezone.now() - datetime.timedelta(days=1), status="running")
        ended = []

        def previous_run_ends_after_the_due_query(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if not ended and "responses_exportschedule" in sql and "next_run_at" in sql and "FOR UPDATE" not in sql:
                ended.append(sql)  # as a worker would, in one transaction of its own: the run, then the token
                ResponseExport.objects.filter(pk=previous.pk).update(status="completed")
                ExportSchedule.objects.filter(pk=schedule.pk).update(continuation_token="newer")
            return result

        with connection.execute_wrapper(previous_run_ends_after_the_due_query):
            (made,) = services.export_schedules_sweep()
        assert ended, "the previous run ended between the sweep's query and its run"
        assert ResponseExport.objects.get(pk=made).continuation_token_sent == "newer"

    def test_incremental_runs_hold_only_the_responses_recorded_since_the_previous_one(self, team, csat, qualtrics):
        schedule = schedule_of(team, csat)
        due_now(schedule)
        (first,) = services.export_schedules_sweep()
        first = run_export(first, team.sandbox)
        assert first.status == "completed" and first.continuation_token
        assert first.response_count == qualtrics.surveys.get(csat["id"])["responseCounts"]["auditable"]
        schedule.refresh_from_db()
        assert schedule.continuation_token == first.continuation_token
        new = record_responses(team.sandbox, csat["id"], 3)
        due_now(schedule)
        (second,) = services.export_schedules_sweep()
        second = run_export(second, team.sandbox)
        assert sorted(ids_in(second)) == sorted(new)
        sent = team.sandbox.calls("POST", "export-responses")
        assert sent[0]["body"]["allowContinuation"] is True
        assert sent[1]["body"]["continuationToken"] == first.continuation_token

    def test_a_failed_run_says_why_and_the_next_one_covers_what_it_missed(self, team, csat, settings):
        schedule = schedule_of(team, csat, notify_on="both", notify_emails="ops@example.org")
        due_now(schedule)
        first = run_export(services.export_schedules_sweep()[0], team.sandbox)
        new = record_responses(team.sandbox, csat["id"], 2)
        team.connection.datacenter = "fra1"  # Qualtrics refuses exports through another datacenter
        team.connection.save(update_fields=["datacenter"])
        due_now(schedule)
        failed = run_export(services.export_schedules_sweep()[0], team.sandbox)
        assert failed.status == "failed" and "RP_0.2" in failed.error and failed.error_request_id
        team.connection.datacenter = "iad1"
        team.connection.save(update_fields=["datacenter"])
        due_now(schedule)
        third = run_export(services.export_schedules_sweep()[0], team.sandbox)
        assert third.status == "completed" and sorted(ids_in(third)) == sorted(new)
        assert first.status == "completed"
        subjects = [m.subject for m in mail.outbox]
        assert subjects[0].startswith("Export ready") and subjects[1].startswith("Export failed")
        assert "RP_0.2" in mail.outbox[1].body and "carries on" in mail.outbox[1].body
        assert mail.outbox[0].to == ["ops@example.org"]

    def test_deleting_the_survey_switches_its_schedules_off(self, team, csat, login):
        schedule = schedule_of(team, csat)
        page = login(team.manager).get(f"/c/{team.connection.pk}/surveys/{csat['id']}/delete/")
        assert "Nightly" in page.content.decode() and "switched off" in page.content.decode()
        login(team.manager).post(f"/c/{team.connection.pk}/surveys/{csat['id']}/delete/")
        schedule.refresh_from_db()
        assert not schedule.enabled and schedule.disabled_reason == "The survey was deleted."


class TestForm:
    def post(self, client, team, csat, **data):
        from .conftest import url

        base = {"name": "Weekly", "frequency": "weekly", "time_of_day": "06:30", "weekday": "0", "format": "csv",
                "incremental": "on", "notify_on": "failure", "notify_emails": "ops@example.org", "breakout_sets": "on"}
        return client.post(url("schedule_create", team.connection, csat["id"]), {**base, **data})

    def test_an_operator_schedules_in_their_time_zone(self, team, csat, login):
        from accounts.models import Profile

        Profile.objects.update_or_create(user=team.operator, defaults={"timezone": "Europe/Paris"})
        response = self.post(login(team.operator), team, csat)
        schedule = ExportSchedule.objects.get()
        assert response.status_code == 302 and response["Location"] == schedule.get_absolute_url()
        assert schedule.time_zone == "Europe/Paris" and schedule.weekday == 0
        local = schedule.next_run_at.astimezone(PARIS)
        assert (local.weekday(), local.hour, local.minute) == (0, 6, 30)
        assert "_form" in schedule.options and "_form" not in services.schedules.export_options(schedule)

    @pytest.mark.parametrize(("data", "message"), [
        ({"time_of_day": ""}, "Say at what time it runs"),
        ({"weekday": ""}, "Say on which day"),
        ({"notify_emails": "not an address"}, "is not an e-mail address"),
        ({"notify_emails": ""}, "Give at least one address"),
        ({"limit": "-1"}, "at least 1"),
    ])
    def test_bad_input_is_refused(self, team, csat, login, data, message):
        response = self.post(login(team.operator), team, csat, **data)
        assert response.status_code == 200 and message in response.content.decode()
        assert not ExportSchedule.objects.exists()
