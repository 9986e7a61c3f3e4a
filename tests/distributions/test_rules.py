"""Every rule of a composed distribution: each invalid combination has its test and its clear message."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from distributions import rules
from distributions.forms import EmailDistributionForm, SmsDistributionForm, parse_embedded_data
from distributions.models import Channel, Distribution, Kind, State
from distributions.sms import sms_length
from tests.factories import make_connection, make_user

NOW = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.UTC)
SURVEY = "SV_aaaaaaaaaaaaaaa"
LIST = "CG_bbbbbbbbbbbbbbb"
CONTACT = "CGC_ccccccccccccccc"
LIBRARY = "UR_ddddddddddddddd"
MESSAGE = "MS_eeeeeeeeeeeeeee"
SENT_EMAIL = "EMD_fffffffffffffff"


def email(**fields) -> Distribution:
    values = {
        "channel": Channel.EMAIL, "kind": Kind.INVITE, "survey_id": SURVEY, "from_email": "noreply@qualtrics.com",
        "from_name": "Acme", "subject": "Hello", "library_id": LIBRARY, "message_id": MESSAGE,
        "mailing_list_id": LIST, "link_type": "Individual", "send_at": NOW + datetime.timedelta(hours=1),
    }
    values.update(fields)
    return Distribution(**values)


def sms(**fields) -> Distribution:
    values = {
        "channel": Channel.SMS, "kind": Kind.INVITE, "survey_id": SURVEY, "name": "Visit SMS",
        "message_text": "Hi ${l://SurveyURL}", "mailing_list_id": LIST, "send_at": NOW + datetime.timedelta(hours=1),
    }
    values.update(fields)
    return Distribution(**values)


def sent_parent(channel=Channel.EMAIL, **fields) -> Distribution:
    values = {"channel": channel, "kind": Kind.INVITE, "state": State.SENT, "qualtrics_id": SENT_EMAIL,
              "survey_id": SURVEY, "qualtrics_send_date": NOW - datetime.timedelta(days=1), "connection_id": 1}
    values.update(fields)
    return Distribution(**values)


def follow_up(channel=Channel.EMAIL, kind=Kind.REMINDER, parent=None, **fields) -> Distribution:
    parent = parent if parent is not None else sent_parent(channel)
    base = email if channel == Channel.EMAIL else sms
    values = {"kind": kind, "mailing_list_id": "", "link_type": "", "connection_id": 1, **fields}
    d = base(**values)
    d.parent = parent
    return d


def problems(d, **kwargs):
    return rules.problems(d, now=NOW, **kwargs)


def test_a_complete_email_invite_passes():
    assert problems(email()) == {}


def test_a_complete_sms_invite_passes():
    assert problems(sms()) == {}


# (name, distribution, field, exact message)
INVALID = [
    # message: library + message XOR inline text
    ("library message and text", email(message_text="Hello"), "message_text",
     "Use either a library message or your own text, not both: clear one of them."),
    ("no message at all", email(library_id="", message_id=""), "message_id",
     "Choose a message from a library, or type the message text."),
    ("message without its library", email(library_id=""), "library_id",
     "A library message needs its library: choose the library it is in."),
    ("library without a message", email(message_id=""), "message_id", "Pick a message from the library you chose."),
    ("malformed library id", email(library_id="LIB_1"), "library_id",
     "A library ID looks like UR_ (a user's library) or GR_ (a group's) and 11 to 15 letters or digits."),
    ("malformed message id", email(message_id="MSG_1"), "message_id",
     "A library message ID looks like MS_ followed by 11 to 15 letters or digits."),
    ("sms text too long", sms(message_text="x" * 10_001), "message_text",
     "The message is 10,001 characters; Qualtrics takes at most 10,000."),
    # recipients
    ("no recipients", email(mailing_list_id=""), "mailing_list_id",
     "Choose who receives it: a mailing list (optionally one contact or a sample of it) or a transaction batch."),
    ("list and batch", email(transaction_batch_id="BT_1234"), "transaction_batch_id",
     "Send either to a mailing list or to a transaction batch, not both: clear one of them."),
    ("batch with a contact", email(mailing_list_id="", transaction_batch_id="BT_1234", contact_lookup_id=CONTACT),
     "contact_lookup_id",
     "A transaction batch cannot be combined with a single contact: the batch already names its recipients. "
     "Clear the contact, or send to the contact's mailing list instead."),
    ("batch with a sample", email(mailing_list_id="", transaction_batch_id="BT_1234", sample_id="SMP_1"),
     "sample_id", "A transaction batch cannot be combined with a sample: clear the sample."),
    ("batch with a transaction", sms(mailing_list_id="", transaction_batch_id="BT_1234", transaction_id="CTR_1"),
     "transaction_id", "A transaction batch cannot be combined with a single transaction: clear one."),
    ("contact without a list", email(mailing_list_id="", contact_lookup_id=CONTACT), "contact_lookup_id",
     "A single contact is reached through its mailing list: choose the list."),
    ("sample without a list", email(mailing_list_id="", sample_id="SMP_1"), "sample_id",
     "A sample belongs to a mailing list: choose the list too."),
    ("transaction without a list", sms(mailing_list_id="", transaction_id="CTR_1"), "transaction_id",
     "A transaction belongs to a mailing list: choose the list too."),
    ("contact and sample", email(contact_lookup_id=CONTACT, sample_id="SMP_1"), None,
     "Narrow the mailing list by one thing only: a contact, a sample or a transaction (you gave a contact and a "
     "sample)."),
    ("sms contact and transaction", sms(contact_lookup_id=CONTACT, transaction_id="CTR_1"), None,
     "Narrow the mailing list by one thing only: a contact, a sample or a transaction (you gave a contact and a "
     "transaction)."),
    ("email to one transaction", email(transaction_id="CTR_1"), "transaction_id",
     "E-mail distributions cannot target a single transaction: use a transaction batch or the contact."),
    ("directory contact id instead of lookup id", email(contact_lookup_id="CID_ccccccccccccccc"),
     "contact_lookup_id",
     "That is the contact's directory ID (CID_…). A distribution needs the contact's lookup ID in the mailing list "
     "(CGC_…): pick the contact from the list."),
    ("malformed lookup id", email(contact_lookup_id="CGC_1"), "contact_lookup_id",
     "A contact lookup ID looks like CGC_ followed by 11 to 15 letters or digits."),
    ("malformed list id", email(mailing_list_id="ML_123"), "mailing_list_id",
     "A mailing list ID looks like CG_ followed by 11 to 15 letters or digits."),
    ("odd characters in a batch id", email(mailing_list_id="", transaction_batch_id="BT 1/2"),
     "transaction_batch_id", "Use the ID exactly as Qualtrics shows it (letters, digits, _ and -)."),
    ("malformed directory id", email(directory_id="DIR_1"), "directory_id",
     "A directory ID looks like POOL_ followed by 11 to 15 letters or digits."),
    # survey
    ("no survey", email(survey_id=""), "survey_id", "Choose the survey to distribute."),
    ("malformed survey id", email(survey_id="SV_1"), "survey_id",
     "A survey ID looks like SV_ followed by 11 to 15 letters or digits."),
    # e-mail header
    ("no from address", email(from_email=""), "from_email",
     "Enter the address the e-mail comes from (one your brand may send from)."),
    ("bad from address", email(from_email="noreply"), "from_email",
     "“noreply” is not an e-mail address."),
    ("bad reply-to", email(reply_to_email="me@"), "reply_to_email",
     "“me@” is not an e-mail address."),
    ("no sender name", email(from_name=""), "from_name", "Enter the sender name recipients will see."),
    ("no subject", email(subject=""), "subject", "Enter a subject, or pick a subject message from the library."),
    ("subject text and message", email(subject_message_id=MESSAGE), "subject",
     "Type a subject or pick a subject message from the library, not both."),
    ("subject message without library", email(subject="", subject_message_id=MESSAGE, library_id="",
                                              message_id="", message_text="Hi"), "subject_message_id",
     "A subject message comes from a library: choose the library."),
    ("malformed subject message", email(subject="", subject_message_id="MS_1"), "subject_message_id",
     "A library message ID looks like MS_ followed by 11 to 15 letters or digits."),
    # survey link
    ("no link type", email(link_type=""), "link_type",
     "Choose the survey link type: individual, multiple or anonymous."),
    ("unknown link type", email(link_type="Personal"), "link_type",
     "The link type is individual, multiple or anonymous."),
    ("link expires before sending", email(link_expires_at=NOW), "link_expires_at",
     "The survey link must expire after the distribution is sent."),
    # embedded data
    ("embedded data reserved key", email(embedded_data={rules.REFERENCE_KEY: "x"}), "embedded_data",
     "“PortalDistributionReference” is used by the portal to find its distributions in Qualtrics: "
     "choose another name."),
    ("embedded data nested value", email(embedded_data={"Tier": {"a": 1}}), "embedded_data",
     "The value of “Tier” must be text or a number."),
    ("embedded data without a name", email(embedded_data={" ": "x"}), "embedded_data",
     "Every embedded data field needs a name."),
    ("embedded data not an object", email(embedded_data=["a"]), "embedded_data",
     "Embedded data is a set of names and values."),
    ("embedded data on sms", sms(embedded_data={"A": "b"}), "embedded_data",
     "Qualtrics takes no embedded data on SMS distributions: clear it."),
    # send time
    ("no send time", email(send_at=None), "send_at", "Choose when to send it, or choose “Send now”."),
    ("send time passed", email(send_at=NOW - datetime.timedelta(hours=1)), "send_at",
     "That time has already passed: pick a later time, or choose “Send now”."),
    ("more than a year ahead", email(send_at=NOW + datetime.timedelta(days=400)), "send_at",
     "Schedule it at most a year ahead."),
    # SMS
    ("interactive e-mail", email(kind=Kind.INTERACTIVE), "kind",
     "Interactive (two-way) distributions exist only for SMS."),
    ("sms without a name", sms(name=""), "name",
     "Name the SMS distribution (Qualtrics shows the name in its distribution list)."),
    ("sms name too long", sms(name="n" * (rules.SMS_NAME_LIMIT + 1)), "name",
     f"Keep the name to {rules.SMS_NAME_LIMIT} characters (Qualtrics allows 100, and the portal adds a short "
     "reference)."),
    ("interactive with a message", sms(kind=Kind.INTERACTIVE), "message_text",
     "An interactive SMS asks the survey's questions one by one and takes no message: clear the library message "
     "and the text."),
    ("sms with a link type", sms(link_type="Individual"), "link_type",
     "SMS distributions have no link type: the survey link comes with the message."),
    ("sms with an e-mail header", sms(subject="Hi"), "subject", "SMS distributions have no e-mail header: clear it."),
    ("sms link expires before sending", sms(link_expires_at=NOW), "link_expires_at",
     "The survey link must expire after the SMS is sent."),
]


@pytest.mark.parametrize(("distribution", "field", "message"), [case[1:] for case in INVALID],
                         ids=[case[0] for case in INVALID])
def test_each_invalid_combination_has_its_message(distribution, field, message):
    found = problems(distribution)
    assert message in found.get(field, []), found


# Reminders and thank-yous (e-mail and SMS), and the SMS method table.
FOLLOW_UP_INVALID = [
    ("reminder without parent", lambda: _no_parent(Channel.EMAIL, Kind.REMINDER), "parent",
     "A reminder follows a distribution that was sent: choose it."),
    ("sms thank-you without parent", lambda: _no_parent(Channel.SMS, Kind.THANKYOU), "parent",
     "A thank-you follows a distribution that was sent: choose it."),
    ("parent not sent yet", lambda: follow_up(parent=sent_parent(state=State.SCHEDULED, qualtrics_id="")), "parent",
     "The parent distribution has not been sent yet (scheduled); a reminder can only follow a distribution "
     "Qualtrics has sent."),
    ("parent of another channel", lambda: follow_up(channel=Channel.SMS, parent=sent_parent(Channel.EMAIL)),
     "parent", "An SMS reminder must follow an SMS distribution."),
    ("parent is a reminder", lambda: follow_up(parent=sent_parent(kind=Kind.REMINDER)), "parent",
     "A reminder follows an invite, not another reminder."),
    ("parent of another connection", lambda: follow_up(parent=sent_parent(connection_id=2)), "parent",
     "The reminder's parent must belong to the same connection."),
    ("before its parent", lambda: follow_up(parent=sent_parent(qualtrics_send_date=NOW + datetime.timedelta(hours=2))),
     "send_at", "A reminder must go out after its parent was sent."),
    ("reminder with a list", lambda: follow_up(mailing_list_id=LIST), "mailing_list_id",
     "A reminder goes to the recipients of its parent: remove the mailing list (Qualtrics refuses recipients on "
     "a reminder)."),
    ("sms thank-you with a contact", lambda: follow_up(Channel.SMS, Kind.THANKYOU, contact_lookup_id=CONTACT),
     "contact_lookup_id", "A thank-you goes to the recipients of its parent: remove the contact (Qualtrics "
     "refuses recipients on a thank-you)."),
    ("sms reminder with a batch", lambda: follow_up(Channel.SMS, transaction_batch_id="BT_1234"),
     "transaction_batch_id", "A reminder goes to the recipients of its parent: remove the transaction batch "
     "(Qualtrics refuses recipients on a reminder)."),
    ("email reminder with a link type", lambda: follow_up(link_type="Individual"), "link_type",
     "A reminder reuses its parent's survey link: clear the link type and expiration."),
    ("sms reminder without message", lambda: follow_up(Channel.SMS, message_text=""), "message_id",
     "Choose a message from a library, or type the message text."),
    ("sms reminder with link expiration",
     lambda: follow_up(Channel.SMS, link_expires_at=NOW + datetime.timedelta(days=2)), "link_expires_at",
     "A reminder or thank-you keeps its parent's link expiration."),
]


def _no_parent(channel, kind):
    d = follow_up(channel, kind)
    d.parent = None
    return d


@pytest.mark.parametrize(("build", "field", "message"), [case[1:] for case in FOLLOW_UP_INVALID],
                         ids=[case[0] for case in FOLLOW_UP_INVALID])
def test_each_invalid_follow_up_has_its_message(build, field, message):
    found = problems(build())
    assert message in found.get(field, []), found


@pytest.mark.parametrize("kind", [Kind.REMINDER, Kind.THANKYOU])
@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
def test_valid_follow_ups_pass(channel, kind):
    assert problems(follow_up(channel, kind)) == {}


def test_an_interactive_sms_needs_recipients_but_no_message():
    assert problems(sms(kind=Kind.INTERACTIVE, message_text="")) == {}
    assert "mailing_list_id" in problems(sms(kind=Kind.INTERACTIVE, message_text="", mailing_list_id=""))


def test_sms_methods_follow_the_reference_table():
    assert [Distribution(channel=Channel.SMS, kind=k).sms_method for k in Kind] == [
        "Invite", "Interactive", "Reminder", "ThankYou"]


def test_drafts_only_need_a_consistent_shape():
    assert problems(email(survey_id="", subject="", from_email="", send_at=None, mailing_list_id="",
                          library_id="", message_id=""), for_draft=True) == {}
    # A contradiction is still reported on a draft.
    assert "message_text" in problems(email(message_text="x"), for_draft=True)


def test_transaction_batch_alone_is_a_valid_target():
    assert problems(email(mailing_list_id="", transaction_batch_id="BT_12345")) == {}
    assert problems(sms(mailing_list_id="", transaction_batch_id="BT_12345")) == {}


def test_list_with_one_narrowing_is_valid():
    assert problems(email(contact_lookup_id=CONTACT)) == {}
    assert problems(email(sample_id="SMP_1")) == {}
    assert problems(sms(transaction_id="CTR_123")) == {}


class TestSmsLength:
    def test_gsm7_single_and_multi_part(self):
        assert (sms_length("a" * 160).segments, sms_length("a" * 161).segments) == (1, 2)
        assert sms_length("a" * 306).segments == 2
        assert sms_length("a" * 307).segments == 3
        assert sms_length("a" * 160).encoding == "GSM-7"

    def test_extension_characters_count_twice_and_are_not_split(self):
        assert sms_length("€" * 80).units == 160
        assert sms_length("€" * 80).segments == 1
        assert sms_length("€" * 81).segments == 2
        # 152 plain characters then one two-unit character: it does not fit part one, so it opens part two.
        assert sms_length("a" * 152 + "€" + "a" * 10).segments == 2

    def test_ucs2_single_and_multi_part(self):
        assert sms_length("é" * 160).encoding == "GSM-7"  # é is in the GSM alphabet
        text = "ł" * 70
        assert (sms_length(text).encoding, sms_length(text).segments) == ("UCS-2", 1)
        assert sms_length("ł" * 71).segments == 2
        assert sms_length("ł" * 134).segments == 2
        assert sms_length("ł" * 135).segments == 3
        assert sms_length("Hi ł").non_gsm_characters == ("ł",)

    def test_emoji_take_two_units_and_stay_whole(self):
        assert sms_length("😀" * 35).units == 70
        assert sms_length("😀" * 35).segments == 1
        assert sms_length("a" * 66 + "😀").segments == 1
        assert sms_length("a" * 66 + "😀" + "a" * 4).segments == 2

    def test_empty(self):
        assert sms_length("").segments == 0
        assert sms_length("").describe() == "Empty message"


class TestEmbeddedDataInput:
    def test_lines_and_json(self):
        assert parse_embedded_data("Campaign = spring\nTier=gold") == {"Campaign": "spring", "Tier": "gold"}
        assert parse_embedded_data('{"A": 1}') == {"A": 1}
        assert parse_embedded_data("  ") == {}

    @pytest.mark.parametrize(("text", "message"), [
        ("Campaign spring", "Line 1: write it as name = value."),
        ("A = 1\n= 2", "Line 2: the field has no name."),
        ("A = 1\nA = 2", "Line 2: “A” is given twice."),
        ("[1, 2]", "Line 1: write it as name = value."),
        ('{"A": }', "That is not valid JSON: Expecting value (line 1)."),
        ('{"A": 1', "That is not valid JSON: Expecting ',' delimiter (line 1)."),
    ])
    def test_clear_messages(self, text, message):
        from django import forms

        with pytest.raises(forms.ValidationError) as caught:
            parse_embedded_data(text)
        assert caught.value.messages == [message]


@pytest.mark.django_db
class TestForms:
    """The forms put each rule's message beside its own field."""

    @pytest.fixture
    def connection(self):
        return make_connection(make_user("owner"))

    def email_data(self, **overrides):
        data = {"name": "x", "survey_id": SURVEY, "from_email": "noreply@qualtrics.com", "from_name": "Acme",
                "subject": "Hello", "library_id": LIBRARY, "message_id": MESSAGE, "mailing_list_id": LIST,
                "link_type": "Individual",
                "send_at": timezone.localtime(timezone.now() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
        data.update(overrides)
        return data

    def test_a_valid_email_form(self, connection):
        form = EmailDistributionForm(self.email_data(), connection=connection)
        assert form.check_rules(), form.errors

    def test_errors_land_on_their_fields(self, connection):
        form = EmailDistributionForm(self.email_data(message_text="Both", transaction_batch_id="BT_1"),
                                     connection=connection)
        assert not form.check_rules()
        assert form.errors["message_text"] == [
            "Use either a library message or your own text, not both: clear one of them."]
        assert form.errors["transaction_batch_id"] == [
            "Send either to a mailing list or to a transaction batch, not both: clear one of them."]

    def test_bad_embedded_data_is_a_field_error(self, connection):
        form = EmailDistributionForm(self.email_data(embedded_data="oops"), connection=connection)
        assert not form.check_rules()
        assert form.errors["embedded_data"] == ["Line 1: write it as name = value."]

    def test_send_now_sets_the_time(self, connection):
        form = EmailDistributionForm(self.email_data(send_at="", send_now="on"), connection=connection)
        assert form.check_rules(), form.errors
        assert abs((form.cleaned_data["send_at"] - timezone.now()).total_seconds()) < 5

    def test_sms_reminder_needs_a_parent_and_no_recipients(self, connection):
        data = {"kind": "reminder", "name": "Nudge", "message_text": "Hi", "mailing_list_id": LIST,
                "send_at": timezone.localtime(timezone.now() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
        form = SmsDistributionForm(data, connection=connection, kind=Kind.INVITE)
        assert not form.check_rules()
        assert form.errors["parent"] == ["A reminder follows a distribution that was sent: choose it."]
        assert "A reminder goes to the recipients of its parent" in form.errors["mailing_list_id"][0]

    def test_sms_invite_with_a_parent_is_refused(self, connection):
        parent = Distribution.objects.create(connection=connection, channel=Channel.SMS, state=State.SENT,
                                             qualtrics_id="SMSD_aaaaaaaaaaaaaaa", survey_id=SURVEY,
                                             send_at=timezone.now(), sent_at=timezone.now())
        data = {"kind": "invite", "name": "x", "survey_id": SURVEY, "message_text": "Hi", "mailing_list_id": LIST,
                "parent": parent.pk,
                "send_at": timezone.localtime(timezone.now() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
        form = SmsDistributionForm(data, connection=connection)
        assert not form.check_rules()
        assert form.errors["parent"] == [
            "Only reminders and thank-yous have a parent: clear it, or change the method."]

    def test_sms_interactive_takes_no_message(self, connection):
        data = {"kind": "interactive", "name": "x", "survey_id": SURVEY, "message_text": "Hi",
                "mailing_list_id": LIST, "send_now": "on"}
        form = SmsDistributionForm(data, connection=connection)
        assert not form.check_rules()
        assert form.errors["message_text"][0].startswith("An interactive SMS asks the survey's questions")
