"""Finding the objects a path names, answering 404 when they are not in the caller's brand."""

from __future__ import annotations

from ..envelope import not_found
from ..records import Directory, Distribution, Group, MailingList, Membership, Survey, User
from ..routing import ApiCall


def directory(call: ApiCall) -> Directory:
    found = call.brand.directories.get(call.params["directoryId"])
    if found is None:
        raise not_found("directory", call.params["directoryId"])
    return found


def mailing_list(call: ApiCall) -> tuple[Directory, MailingList]:
    pool = directory(call)
    found = pool.lists.get(call.params["mailingListId"])
    if found is None:
        raise not_found("mailing list", call.params["mailingListId"])
    return pool, found


def list_member(call: ApiCall) -> tuple[Directory, MailingList, Membership]:
    pool, found_list = mailing_list(call)
    contact_id = call.params["contactId"]
    membership = found_list.members.get(contact_id) or found_list.member_by_lookup(contact_id)
    if membership is None or membership.contact_id not in pool.contacts:
        raise not_found("contact in mailing list", contact_id)
    return pool, found_list, membership


def survey(call: ApiCall, survey_id: str | None = None) -> Survey:
    survey_id = survey_id or call.params["surveyId"]
    found = call.brand.surveys.get(survey_id)
    if found is None:
        raise not_found("survey", survey_id)
    return found


def user(call: ApiCall, user_id: str | None = None) -> User:
    user_id = user_id or call.params["userId"]
    found = call.brand.users.get(user_id)
    if found is None:
        raise not_found("user", user_id)
    return found


def group(call: ApiCall) -> Group:
    found = call.brand.groups.get(call.params["groupId"])
    if found is None:
        raise not_found("group", call.params["groupId"])
    return found


def distribution(call: ApiCall, channel: str, distribution_id: str | None = None) -> Distribution:
    distribution_id = distribution_id or call.params["distributionId"]
    found = call.brand.distributions.get(distribution_id)
    if found is None or not found.live or found.channel != channel:
        raise not_found("distribution", distribution_id)
    return found
