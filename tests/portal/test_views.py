"""Log-in, the dashboard, the profile's time zone, and the layout every page shares."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from tests.factories import PASSWORD, make_connection, make_team, make_user


@pytest.mark.django_db
class TestLogin:
    def test_it_redirects_anonymous_users_to_login(self, client):
        for url in ["/", reverse("accounts:profile"), reverse("connections:connection_list")]:
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    def test_it_logs_in_and_out(self, client):
        make_user("lena")
        response = client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == reverse("dashboard")
        assert client.get("/").status_code == 200
        client.post(reverse("logout"))
        assert client.get("/").status_code == 302

    def test_it_explains_a_wrong_password(self, client):
        make_user("lena")
        response = client.post(reverse("login"), {"username": "lena", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
class TestDashboard:
    def test_it_lists_my_connections_and_those_expiring(self, login):
        user = make_user("dana")
        soon = make_connection(user, name="Soon", expires_on=timezone.localdate() + datetime.timedelta(days=3),
                               notify_days_before=7)
        make_connection(user, name="Later", expires_on=timezone.localdate() + datetime.timedelta(days=60))
        make_connection(make_user("stranger"), name="Not mine")
        html = login(user).get("/").content.decode()
        assert "Soon" in html and "Later" in html and "Not mine" not in html
        expiring = html[html.index('data-testid="dashboard-expiring"'):html.index('data-testid="dashboard-failing"')]
        assert soon.name in expiring and "Later" not in expiring
        assert 'data-testid="expiry-banner"' in html

    def test_many_expiring_and_failing_show_the_first_few_and_how_many(self, login):
        user = make_user("dana")
        today = timezone.localdate()
        for n in range(12):
            make_connection(user, name=f"Soon {n:02d}", expires_on=today + datetime.timedelta(days=1 + n % 5),
                            notify_days_before=7, last_check_ok=n % 2 == 0)
        html = login(user).get("/").content.decode()
        expiring = html[html.index('data-testid="dashboard-expiring"'):html.index('data-testid="dashboard-failing"')]
        failing = html[html.index('data-testid="dashboard-failing"'):]
        assert expiring.count('class="list-group-item d-flex') == 8
        assert "The soonest 8 of 12" in expiring and "Soon 00" in expiring  # in a day, the soonest
        assert failing.count('<div class="small text-danger">') == 6 and "dashboard-failing-more" not in failing
        assert html.count('data-testid="expiry-banner"') == 3  # the soonest three, not twelve

    def test_it_warns_when_no_worker_runs(self, login):
        html = login(make_user("dana")).get("/").content.decode()
        assert 'data-testid="worker-warning"' in html

    def test_it_loads_htmx_and_sets_csrf_on_body(self, login):
        html = login(make_user("dana")).get("/").content.decode()
        assert re.search(r'<body hx-headers=\'\{"x-csrftoken": "[^"]+"\}\'', html)
        assert "/static/django_htmx/htmx" in html or "htmx" in html
        assert "http://" not in re.sub(r"https?://(127\.0\.0\.1|testserver|localhost)", "", html.split("<body")[0])


@pytest.mark.django_db
class TestProfile:
    def test_it_sets_the_time_zone_and_shows_dates_in_it(self, login):
        user = make_user("tz")
        client = login(user)
        response = client.post(reverse("accounts:profile"), {"timezone": "Asia/Tokyo"}, follow=True)
        assert response.status_code == 200
        assert Profile.objects.get(user=user).timezone == "Asia/Tokyo"
        assert "Time zone set to Asia/Tokyo" in response.content.decode()
        assert "JST" in client.get(reverse("accounts:profile")).content.decode()

    def test_it_refuses_an_unknown_time_zone(self, login):
        user = make_user("tz")
        response = login(user).post(reverse("accounts:profile"), {"timezone": "Mars/Olympus"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not Profile.objects.filter(user=user, timezone="Mars/Olympus").exists()


@pytest.mark.django_db
class TestTeams:
    def test_superusers_create_teams_with_members_and_managers(self, login):
        admin = make_user("root", superuser=True)
        member, lead = make_user("member"), make_user("lead")
        client = login(admin)
        response = client.post(reverse("accounts:team_create"),
                               {"name": "Research", "members": [member.pk], "managers": [lead.pk]})
        assert response.status_code == 302
        assert list(member.groups.values_list("name", flat=True)) == ["Research"]
        assert list(lead.managed_team_links.values_list("team__name", flat=True)) == ["Research"]
        assert "Research" in client.get(reverse("accounts:team_list")).content.decode()

    def test_a_team_manager_changes_its_members(self, login):
        admin = make_user("root", superuser=True)
        lead, newcomer = make_user("lead"), make_user("newcomer")
        login(admin).post(reverse("accounts:team_create"), {"name": "Research", "managers": [lead.pk]})
        team = lead.managed_team_links.get().team
        response = login(lead).post(reverse("accounts:team_edit", args=[team.pk]),
                                    {"name": "Research", "members": [newcomer.pk]})
        assert response.status_code == 302
        assert list(team.user_set.all()) == [newcomer]

    def test_a_duplicate_team_name_is_refused(self, login):
        admin = make_user("root", superuser=True)
        client = login(admin)
        client.post(reverse("accounts:team_create"), {"name": "Research"})
        response = client.post(reverse("accounts:team_create"), {"name": "research"})
        assert "exists already" in response.content.decode()

    def test_others_cannot_manage_teams(self, login):
        for user in (make_user("plain"), make_user("staffer", staff=True)):
            response = login(user).get(reverse("accounts:team_list"))
            assert response.status_code == 403
            assert "changed by their managers" in response.content.decode()

    def test_the_list_names_each_teams_members_and_opens_its_form(self, login):
        ann, bob = make_user("ann"), make_user("bob")
        field = make_team("Field", ann, bob)
        make_team("Empty")
        html = login(make_user("root", superuser=True)).get(reverse("accounts:team_list")).content.decode()
        edit = reverse("accounts:team_edit", args=[field.pk])
        managers = '<span class="text-body-secondary">administrators only</span>'
        assert f'<a href="{edit}">Field</a></td><td>ann, bob</td><td>{managers}</td>' in html
        assert '<span class="text-body-secondary">nobody yet</span>' in html
        assert f'href="{reverse("accounts:team_create")}"' in html

    def test_superusers_rename_a_team_and_change_its_members(self, login, hx):
        ann, bob = make_user("ann"), make_user("bob")
        team = make_team("Field", ann)
        client = login(make_user("root", superuser=True))
        form = client.get(reverse("accounts:team_edit", args=[team.pk])).content.decode()
        assert "Team “Field”" in form and 'value="Field"' in form and "Save team" in form
        response = client.post(reverse("accounts:team_edit", args=[team.pk]),
                               {"name": "Field ops", "members": [bob.pk]}, **hx)
        assert response["HX-Redirect"] == reverse("accounts:team_list")
        team.refresh_from_db()
        assert team.name == "Field ops" and list(team.user_set.all()) == [bob]
        assert "Team “Field ops” saved." in client.get(reverse("accounts:team_list")).content.decode()

    def test_an_unknown_team_is_404(self, login):
        root = login(make_user("root", superuser=True))
        assert root.get(reverse("accounts:team_edit", args=[999])).status_code == 404


@pytest.mark.django_db
class TestMailbox:
    def test_superusers_read_the_mails_the_portal_wrote(self, login, settings, tmp_path):
        from django.core.mail import send_mail

        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = str(tmp_path)
        send_mail("Token expires in 7 days", "Rotate it soon.", None, ["ops@example.org"])
        html = login(make_user("root", superuser=True)).get(reverse("mailbox")).content.decode()
        assert "Token expires in 7 days" in html and "Rotate it soon." in html and "ops@example.org" in html

    def test_others_cannot(self, login):
        assert login(make_user("plain")).get(reverse("mailbox")).status_code == 403
        assert login(make_user("staffer", staff=True)).get(reverse("mailbox")).status_code == 403
