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
