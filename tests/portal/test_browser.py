"""A newcomer logs in through the real form and sees the dashboard."""

import pytest

from tests.factories import PASSWORD, make_connection, make_user


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_logs_in_and_sees_the_dashboard(browser_as, shot):
    user = make_user("admin", first_name="Ada", superuser=True)
    make_connection(user, name="Acme production")
    page = browser_as(None)
    page.goto("/")
    assert "/login/" in page.url
    shot(page, "portal-login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Welcome, Ada").is_visible()
    assert page.get_by_test_id("dashboard-connections").get_by_text("Acme production").is_visible()
    shot(page, "portal-dashboard")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_sets_a_time_zone_from_the_profile(browser_as, shot):
    page = browser_as(make_user("tz"))
    page.goto("/account/profile/")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_test_id("toast").first.inner_text().strip() == "Time zone set to Europe/Paris."
    shot(page, "portal-profile")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_family_of_pages_keeps_to_the_content_security_policy(browser_as, sandbox_personas, shot):
    """The browser fixture fails the test on any policy violation; this visits what other browser tests
    do not, the Django admin's script-heavy widgets included."""
    from django.contrib.auth.models import Group

    root = make_user("root", superuser=True)
    connection = sandbox_personas.connection
    team = Group.objects.get(name="Survey ops")
    page = browser_as(root)
    c = f"/c/{connection.pk}"
    for path in ["/", "/connections/", f"{c}/", f"{c}/share/", f"{c}/edit/", f"{c}/rotate/", f"{c}/audit/",
                 f"{c}/directory/?all=1", f"{c}/users/", f"{c}/users/new/", f"{c}/groups/", f"{c}/groups/new/",
                 f"{c}/distributions/", f"{c}/distributions/new/email/", f"{c}/distributions/new/sms/",
                 "/account/profile/", "/account/teams/", f"/account/teams/{team.pk}/", "/mailbox/",
                 "/admin/", f"/admin/connections/connection/{connection.pk}/change/",
                 f"/admin/auth/group/{team.pk}/change/", "/admin/axes/accessattempt/"]:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    # A select2 autocomplete, the admin's most script-heavy widget.
    page.goto("/admin/connections/connectionshare/add/")
    page.locator(".select2-selection").first.click()
    page.locator(".select2-results__option").first.wait_for()
    # Input the portal refuses gets a page of its own, whose way back goes back in the browser's history.
    page.goto(f"{c}/users/")
    assert page.goto("/connections/?q=%00").status == 400
    assert page.get_by_test_id("input-refused").is_visible()
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(f"**{c}/users/")
    shot(page, "portal-csp-tour")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_error_pages_are_the_portals_own_with_a_way_back(browser_as, personas, shot):
    """A refused page (a viewer at the audit trail) and an unknown one keep the navigation and offer the way
    back; the 500 page stands alone (Django renders it without a request) and still links back."""
    page = browser_as(personas.viewer)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        refused = page.goto(f"/c/{personas.connection.pk}/audit/")
        assert refused.status == 403
        assert page.get_by_test_id("forbidden").is_visible()
        shot(page, f"error-403-{width}")
        missing = page.goto("/c/999999/surveys/")
        assert missing.status == 404 and page.get_by_test_id("not-found").is_visible()
        shot(page, f"error-404-{width}")
    page.get_by_role("link", name="Your connections").click()
    page.wait_for_url("**/connections/")


def test_the_server_error_page_renders_without_a_request_and_links_back(rf):
    from django.views.defaults import server_error

    html = server_error(rf.get("/")).content.decode()
    assert 'data-testid="server-error"' in html and 'href="/">Back to the dashboard' in html
    assert "portal.css" in html
