"""The lease a job step holds on its row: taken by one step at a time, lost on takeover, released with the
next step's due time. Shown on a response export row; every long job uses the same class."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F
from django.utils import timezone

from responses.models import ResponseExport
from web.leases import Lease

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(personas):
    return ResponseExport.objects.create(connection=personas.connection, survey_id="SV_1", created_by=personas.owner)


def active():
    return ResponseExport.objects.filter(status__in=ResponseExport.ACTIVE)


def test_one_step_at_a_time_and_the_extra_fields_go_with_the_take(export):
    first = Lease.take(active(), export.pk, seconds=60, workers=F("workers") + 1)
    assert first is not None
    assert Lease.take(active(), export.pk, seconds=60) is None
    export.refresh_from_db()
    assert export.lease_token == first.token
    assert export.workers == 1
    assert timezone.now() + datetime.timedelta(seconds=55) < export.lease_expires_at
    assert list(first.mine) == [export]


def test_a_row_outside_the_queryset_is_not_taken(export):
    ResponseExport.objects.filter(pk=export.pk).update(status=ResponseExport.Status.COMPLETED)
    assert Lease.take(active(), export.pk, seconds=60) is None
    export.refresh_from_db()
    assert export.lease_token == ""


def test_an_expired_lease_is_taken_over_and_its_old_holder_writes_nothing(export):
    dead = Lease.take(active(), export.pk, seconds=60)
    ResponseExport.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    heir = Lease.take(active(), export.pk, seconds=60)
    assert heir is not None and heir.token != dead.token
    assert not dead.mine.exists()
    assert dead.renew() is False
    dead.release(next_run_in=5)  # the step that lost it ends: nothing of the heir's is undone
    export.refresh_from_db()
    assert export.lease_token == heir.token
    assert export.next_run_at is None


def test_renew_pushes_the_expiry_on_and_writes_what_goes_with_it(export):
    lease = Lease.take(active(), export.pk, seconds=60)
    ResponseExport.objects.filter(pk=export.pk).update(lease_expires_at=timezone.now() + datetime.timedelta(seconds=1))
    beat = timezone.now()
    assert lease.renew(heartbeat_at=beat) is True
    export.refresh_from_db()
    assert export.lease_expires_at > timezone.now() + datetime.timedelta(seconds=55)
    assert export.heartbeat_at == beat


@pytest.mark.parametrize("next_run_in", [None, 30.0])
def test_release_frees_the_row_and_says_when_the_next_step_is_due(export, next_run_in):
    lease = Lease.take(active(), export.pk, seconds=60)
    lease.release(next_run_in=next_run_in)
    export.refresh_from_db()
    assert (export.lease_token, export.lease_expires_at) == ("", None)
    if next_run_in is None:
        assert export.next_run_at is None
    else:
        due = export.next_run_at - timezone.now()
        assert datetime.timedelta(seconds=25) < due <= datetime.timedelta(seconds=30)
    assert Lease.take(active(), export.pk, seconds=60) is not None
