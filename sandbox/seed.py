"""Reproducible starting worlds.

`demo`: brand `acme` (iad1) with an XM Directory of 500 contacts, five mailing lists, 20 users, 5 groups,
3 surveys (blocks, a block randomizer, NPS, matrix, single and multi-select and text questions, display
logic, required questions; complete, partial and in-progress responses; quotas and saved filters on the
first), a user library and a group library with messages, and a sent invitation with its reminder; brand
`globex` (fra1), small. `empty`: the same brands, users with tokens and directories,
nothing else. Each brand's core (token users, user types, directory) comes from its own fixed random
source, so tokens and directory IDs are the same under both seeds and across restarts.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from . import contacts, definitions, questions, responses, sending
from .ids import IdFactory
from .records import (
    ADMIN_USER_TYPE,
    Brand,
    Condition,
    Directory,
    Distribution,
    Group,
    MailingList,
    Membership,
    Message,
    Quota,
    QuotaCombination,
    Sample,
    SavedFilter,
    Survey,
    Transaction,
    TransactionBatch,
    User,
)

SEEDS = ("demo", "empty")
PRIMARY_BRAND = "acme"
EPOCH = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

FIRST_NAMES = ("Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo", "Amelia",
               "Levi", "Harper", "Ethan", "Evelyn", "Aiden", "Chloe", "Jonas", "Lena", "Hugo", "Ines", "Kenji",
               "Priya", "Omar", "Fatima", "Diego", "Zara", "Felix", "Nora", "Ravi")
LAST_NAMES = ("Smith", "Johnson", "Garcia", "Miller", "Davis", "Martinez", "Lopez", "Wilson", "Anderson",
              "Taylor", "Moore", "Jackson", "Martin", "Lee", "Walker", "Hall", "Young", "King", "Wright",
              "Schneider", "Dubois", "Rossi", "Tanaka", "Khan", "Novak", "Silva", "Okafor", "Berg")
DEPARTMENTS = ("Sales", "Support", "Engineering", "Marketing", "Finance", "Operations")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
TIERS = ("Gold", "Silver", "Bronze")
LANGUAGES = ("en", "en", "en", "en", "de", "fr", "es")
DOMAINS = ("example.com", "example.org", "example.net")


def build(name: str) -> dict[str, Brand]:
    acme, acme_ids = _acme_core()
    globex, globex_ids = _globex_core()
    if name == "demo":
        _acme_demo(acme, acme_ids)
        _globex_demo(globex, globex_ids)
    return {acme.id: acme, globex.id: globex}


# --- cores ------------------------------------------------------------------------------------------
def _user(ids: IdFactory, brand: Brand, first: str, last: str, user_type: str, created: datetime,
          **extra: Any) -> User:
    user = User(
        id=ids.make("UR"), username=f"{first}.{last}@{brand.id}.example".lower(), first_name=first,
        last_name=last, email=f"{first}.{last}@{brand.id}.example".lower(), user_type=user_type, created=created,
        password_changed=created, last_login=created + timedelta(days=30), **extra,
    )
    brand.users[user.id] = user
    return user


def _acme_core() -> tuple[Brand, IdFactory]:
    ids = IdFactory(random.Random("acme-core"))
    brand = Brand(id="acme", name="Acme Corporation", datacenter="iad1")
    brand.user_types = {ADMIN_USER_TYPE: "Brand Administrator", ids.make("UT"): "Standard User",
                        ids.make("UT"): "Survey Creator", ids.make("UT"): "Participant"}
    brand.group_types = {ids.make("GT"): "Team", ids.make("GT"): "Division Group"}
    brand.divisions = {ids.make("DV"): "Customer Experience", ids.make("DV"): "Research"}
    standard = list(brand.user_types)[1]
    admin = _user(ids, brand, "Dana", "Whitfield", ADMIN_USER_TYPE, EPOCH - timedelta(days=700))
    admin.api_token = ids.token()
    member = _user(ids, brand, "Sam", "Ortiz", standard, EPOCH - timedelta(days=400))
    member.api_token = ids.token()
    directory = Directory(id=ids.make("POOL"), name="Default Directory", is_default=True,
                          dedup={"email": True, "firstName": False, "lastName": False, "phone": False,
                                 "externalDataReference": False})
    brand.directories[directory.id] = directory
    return brand, ids


def _globex_core() -> tuple[Brand, IdFactory]:
    ids = IdFactory(random.Random("globex-core"))
    brand = Brand(id="globex", name="Globex GmbH", datacenter="fra1")
    brand.user_types = {ADMIN_USER_TYPE: "Brand Administrator", ids.make("UT"): "Standard User"}
    brand.group_types = {ids.make("GT"): "Team"}
    admin = _user(ids, brand, "Greta", "Hoffmann", ADMIN_USER_TYPE, EPOCH - timedelta(days=500),
                  language="de", time_zone="Europe/Berlin")
    admin.api_token = ids.token()
    directory = Directory(id=ids.make("POOL"), name="Default Directory", is_default=True,
                          dedup={"email": True, "firstName": False, "lastName": False, "phone": False,
                                 "externalDataReference": True})
    brand.directories[directory.id] = directory
    return brand, ids


# --- demo content -----------------------------------------------------------------------------------
def _acme_demo(brand: Brand, core_ids: IdFactory) -> None:
    rng = random.Random("acme-demo")
    ids = IdFactory(rng)
    admin, member = list(brand.users.values())[:2]
    types = list(brand.user_types)
    divisions = list(brand.divisions)
    people = [("Priya", "Raman"), ("Marcus", "Bell"), ("Elena", "Petrova"), ("Tom", "Becker"), ("Aisha", "Bello"),
              ("Jonas", "Lindqvist"), ("Chen", "Wei"), ("Laura", "Costa"), ("Ben", "Carter"), ("Yuki", "Mori"),
              ("Nadia", "Haddad"), ("Oscar", "Nilsen"), ("Grace", "Kim"), ("Pablo", "Ruiz"), ("Hanna", "Virtanen"),
              ("Leo", "Fischer"), ("Maya", "Cohen"), ("Ivan", "Horvat")]
    for index, (first, last) in enumerate(people):
        user_type = ADMIN_USER_TYPE if index == 0 else types[1 + index % (len(types) - 1)]
        _user(ids, brand, first, last, user_type, EPOCH - timedelta(days=rng.randint(30, 600)),
              division_id=divisions[index % 2] if index % 3 else None,
              account_status="disabled" if index in (6, 13, 16) else "active",
              time_zone=rng.choice(("America/New_York", "Europe/London", "Europe/Berlin", "Asia/Tokyo")))
    user_ids = list(brand.users)

    group_types = list(brand.group_types)
    group_specs = (("CX Team", [member.id, *user_ids[2:6]]), ("Research Ops", user_ids[5:9]),
                   ("Regional Managers EMEA", user_ids[9:13]), ("Support Leads", [member.id, *user_ids[13:16]]),
                   ("Marketing Analytics", user_ids[16:20]))
    for number, (name, members) in enumerate(group_specs):
        group = Group(id=ids.make("GR"), name=name, type=group_types[number % 2],
                      created=EPOCH - timedelta(days=200 - number * 10), division_id=divisions[number % 2],
                      members=list(members))
        brand.groups[group.id] = group
    cx_team = next(iter(brand.groups.values()))

    directory = brand.default_directory()
    assert directory is not None
    _demo_contacts(directory, ids, rng, 500)
    everyone = list(directory.contacts.values())
    by_tier = [c for c in everyone if c.embedded["CustomerTier"] == "Gold"]
    emea = [c for c in everyone if c.embedded["Region"] == "EMEA"]
    list_specs = (
        ("Newsletter subscribers", admin.id, rng.sample(everyone, 200)),
        ("Gold customers", admin.id, by_tier[:120]),
        ("EMEA pilot", cx_team.id, emea[:80]),
        ("Support follow-up", member.id, rng.sample(everyone, 50)),
        ("Beta testers", admin.id, rng.sample(everyone, 20)),
    )
    lists = []
    for number, (name, owner, chosen) in enumerate(list_specs):
        created = EPOCH - timedelta(days=120 - number * 15)
        mailing_list = MailingList(id=ids.make("CG"), name=name, owner_id=owner, created=created, modified=created)
        for contact in chosen:
            membership = Membership(lookup_id=ids.make("CGC"), contact_id=contact.id, added=created)
            roll = rng.random()
            if roll < 0.03:
                membership.unsubscribed = True
                membership.unsubscribe_date = created + timedelta(days=rng.randint(1, 60))
            elif roll < 0.05:
                membership.bounced = True
                membership.bounce_date = created + timedelta(days=rng.randint(1, 60))
            mailing_list.members[contact.id] = membership
        directory.lists[mailing_list.id] = mailing_list
        lists.append(mailing_list)

    _demo_libraries(brand, ids, admin, cx_team)
    surveys = _demo_surveys(brand, ids, rng, admin, member)
    _demo_distributions(brand, ids, admin, surveys[0], lists[4])
    _demo_transactions(directory, lists[0], lists[1])


def _demo_transactions(directory: Directory, newsletter: MailingList, gold: MailingList) -> None:
    """Two samples and a batch of purchases, drawn with their own generator so the rest of the seed stays as
    it was."""
    rng = random.Random("acme-transactions")
    ids = IdFactory(rng)
    for name, mailing_list, size in (("Newsletter: one in ten", newsletter, 20), ("Gold: pilot group", gold, 15)):
        chosen = rng.sample(sorted(mailing_list.members), size)
        sample = Sample(id=ids.make("CG"), name=name, mailing_list_id=mailing_list.id,
                        created=EPOCH - timedelta(days=10), contact_ids=chosen)
        directory.samples[sample.id] = sample
    batch = TransactionBatch(id=ids.make("BT"), created=EPOCH - timedelta(days=2))
    for number, contact_id in enumerate(rng.sample(sorted(gold.members), 12)):
        transaction = Transaction(
            id=ids.make("CTR"), contact_id=contact_id, mailing_list_id=gold.id,
            date=EPOCH - timedelta(days=3, hours=number),
            data={"OrderId": f"ORD-{5000 + number}", "Amount": f"{rng.randint(20, 400)}.00", "Store": "Online"},
        )
        directory.transactions[transaction.id] = transaction
        batch.transaction_ids.append(transaction.id)
    directory.batches[batch.id] = batch


def _demo_contacts(directory: Directory, ids: IdFactory, rng: random.Random, count: int) -> None:
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = EPOCH - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
        body: dict[str, Any] = {
            "firstName": first,
            "lastName": last,
            "extRef": f"CRM-{100000 + number}",
            "language": rng.choice(LANGUAGES),
            "embeddedData": {
                "Department": rng.choice(DEPARTMENTS),
                "Region": rng.choice(REGIONS),
                "CustomerTier": rng.choices(TIERS, weights=(2, 3, 5))[0],
                "SignupYear": str(created.year),
            },
        }
        if rng.random() > 0.04:
            body["email"] = f"{first}.{last}{number}@{rng.choice(DOMAINS)}".lower()
        if rng.random() > 0.3:
            body["phone"] = f"+1555{rng.randint(1000000, 9999999)}"
        contact = contacts.create(directory, ids, body, created)
        if rng.random() < 0.03:
            contact.unsubscribed = True
            contact.unsubscribe_date = created + timedelta(days=rng.randint(1, 90))


def _demo_libraries(brand: Brand, ids: IdFactory, admin: User, group: Group) -> None:
    def add(library: str, category: str, description: str, english: str, german: str | None = None) -> None:
        texts = {"en": english}
        if german:
            texts["de"] = german
        message = Message(id=ids.make("MS"), category=category, description=description, messages=texts)
        brand.library_messages.setdefault(library, {})[message.id] = message

    add(admin.id, "invite", "Customer satisfaction invitation",
        "<p>Hello ${m://FirstName},</p><p>How did we do? ${l://SurveyLink?d=Take the survey}</p>",
        "<p>Hallo ${m://FirstName},</p><p>Wie war es? ${l://SurveyLink?d=Zur Umfrage}</p>")
    add(admin.id, "invite", "Onboarding pulse invitation",
        "<p>Welcome aboard! Two minutes of feedback: ${l://SurveyLink?d=Start}</p>")
    add(admin.id, "reminder", "Friendly reminder",
        "<p>Just a reminder: your feedback matters. ${l://SurveyLink?d=Take the survey}</p>")
    add(admin.id, "thankYou", "Thank you for your feedback", "<p>Thank you for taking the time to answer.</p>")
    add(admin.id, "emailSubject", "Subject: satisfaction survey", "How did we do, ${m://FirstName}?")
    add(admin.id, "emailSubject", "Subject: reminder", "Reminder: we would love your feedback")
    add(admin.id, "smsInvite", "SMS invitation", "Acme: tell us how we did: ${l://SurveyLink}")
    add(admin.id, "smsReminder", "SMS reminder", "Acme: a quick reminder to share your feedback ${l://SurveyLink}")
    add(admin.id, "smsThankYou", "SMS thank you", "Acme: thanks for your feedback!")
    add(group.id, "invite", "CX Team invitation", "<p>The CX team would like your view: ${l://SurveyLink}</p>")
    add(group.id, "reminder", "CX Team reminder", "<p>Still time to answer: ${l://SurveyLink}</p>")
    add(group.id, "emailSubject", "CX Team subject", "A minute for the Acme CX team?")
    add(group.id, "smsInvite", "CX Team SMS invitation", "Acme CX: 1 minute survey ${l://SurveyLink}")


SATISFACTION = ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")
AGREEMENT = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")


def _survey(ids: IdFactory, *, name: str, owner: User, active: bool, created: datetime,
            blocks: list[tuple[str, list[dict[str, Any]]]], embedded: tuple[str, ...] = (),
            randomized: tuple[int, int] | None = None) -> Survey:
    """A survey with these blocks in flow order; `randomized` = (first, end) block indexes shown in random order."""
    survey = definitions.blank(ids, name=name, owner_id=owner.id, now=created)
    survey.is_active = active
    survey.modified = created + timedelta(days=5)
    survey.last_activated = created + timedelta(days=5) if active else None
    survey.flow, survey.flow_count = [], 1
    if embedded:
        survey.flow.append({
            "Type": "EmbeddedData", "FlowID": definitions.next_flow_id(survey),
            "EmbeddedData": [{"Description": field, "Type": "Recipient", "Field": field, "VariableType": "String",
                              "DataVisibility": [], "AnalyzeText": False} for field in embedded],
        })
    elements = []
    for index, (description, block_questions) in enumerate(blocks):
        block_id = definitions.default_block_id(survey) if index == 0 else ids.make("BL")
        assert block_id is not None
        block = survey.blocks.get(block_id) or {
            "Type": "Standard", "SubType": "", "ID": block_id,
            "Options": {"BlockLocking": "false", "RandomizeQuestions": "false", "BlockVisibility": "Expanded"}}
        block["Description"] = description
        block["BlockElements"] = [{"Type": "Question", "QuestionID": q["QuestionID"]} for q in block_questions]
        survey.blocks[block_id] = block
        for question in block_questions:
            survey.questions[question["QuestionID"]] = question
        elements.append({"ID": block_id, "Type": "Block", "FlowID": definitions.next_flow_id(survey)})
    if randomized is not None:
        first, end = randomized
        randomizer = {"Type": "BlockRandomizer", "FlowID": definitions.next_flow_id(survey),
                      "SubSet": end - first, "EvenPresentation": True, "Flow": elements[first:end]}
        elements[first:end] = [randomizer]
    survey.flow.extend(elements)
    return survey


def _respond(survey: Survey, ids: IdFactory, rng: random.Random, created: datetime, complete: int,
             partial: int = 0, in_progress: int = 0) -> None:
    def moment() -> datetime:
        return created + timedelta(days=rng.randint(6, 200), minutes=rng.randint(0, 1440))

    for _ in range(partial):
        responses.record(survey, ids, finished=moment(), rng=rng, complete=False)
    for _ in range(complete):
        responses.record(survey, ids, finished=moment(), rng=rng)
    for _ in range(in_progress):
        session = responses.generate(survey, ids, finished=moment(), rng=rng, in_progress=True)
        survey.in_progress[session.id] = session


def _demo_surveys(brand: Brand, ids: IdFactory, rng: random.Random, admin: User, member: User) -> list[Survey]:
    created = EPOCH - timedelta(days=300)
    csat = _survey(ids, name="Customer Satisfaction 2025", owner=admin, active=True, created=created, blocks=[
        ("Recommendation", [
            questions.net_promoter("QID1", "Q1", "How likely are you to recommend Acme to a friend or colleague?"),
            questions.text_entry("QID2", "Q2", "What is the main reason for your score?",
                                 shown_if_selected=("QID1", [str(n) for n in range(9)])),
        ]),
        ("Satisfaction", [
            questions.multiple_choice("QID3", "Q3", "Overall, how satisfied are you with Acme?", SATISFACTION,
                                      required=True),
            questions.matrix("QID4", "Q4", "How much do you agree with the following statements?",
                             ("Support resolved my issue quickly", "The product is easy to use",
                              "Pricing is fair for what we get"), AGREEMENT),
        ]),
        ("Contact channels", [
            questions.multiple_choice("QID5", "Q5", "Which channels have you used to contact us?",
                                      ("Email", "Phone", "Live chat", "Help center", "In person"), multi=True,
                                      randomize=True),
        ]),
        ("Final thoughts", [questions.text_entry("QID6", "Q6", "What could we do better?")]),
    ], embedded=("Region", "CustomerTier"), randomized=(1, 3))
    very_satisfied = Condition("QID3", "Selected", 5)
    for name, occurrences, conditions in (("Very satisfied customers", 50, [very_satisfied]),
                                          ("Gold tier", 40, [Condition("CustomerTier", "EqualTo", "Gold",
                                                                       "embedded")])):
        quota = Quota(id=ids.make("QO"), name=name, occurrences=occurrences, logic_type="Simple",
                      conditions=conditions)
        csat.quotas[quota.id] = quota
    regions = Quota(id=ids.make("QO"), name="Responses per region", occurrences=80, logic_type="Cross",
                    combinations=[QuotaCombination(f"Region is {region}", 20,
                                                   [Condition("Region", "EqualTo", region, "embedded")])
                                  for region in ("NA", "EMEA", "APAC", "LATAM")])
    csat.quotas[regions.id] = regions
    for name, conditions in (
        ("Promoters", [Condition("QID1", "GreaterThanOrEqual", 9)]),
        ("Detractors", [Condition("QID1", "LessThanOrEqual", 6)]),
        ("E-mail invitations", [Condition("distributionChannel", "EqualTo", "email", "metadata")]),
        ("Gold customers", [Condition("CustomerTier", "EqualTo", "Gold", "embedded")]),
    ):
        saved = SavedFilter(id=ids.uuid(), name=name, conditions=conditions, created=created + timedelta(days=30))
        csat.filters[saved.id] = saved

    created = EPOCH - timedelta(days=240)
    onboarding = _survey(ids, name="Onboarding Pulse", owner=member, active=True, created=created, blocks=[
        ("Getting started", [
            questions.multiple_choice("QID1", "Q1", "How easy was it to get started?",
                                      ("Very hard", "Hard", "Neither", "Easy", "Very easy"), required=True),
            questions.multiple_choice("QID2", "Q2", "Which resources did you use during onboarding?",
                                      ("Welcome call", "Video tutorials", "Help center articles", "Community forum"),
                                      multi=True),
        ]),
        ("Suggestions", [questions.text_entry("QID3", "Q3", "Anything we should change in onboarding?")]),
    ], embedded=("Department",))
    saved = SavedFilter(id=ids.uuid(), name="Finished responses",
                        conditions=[Condition("finished", "EqualTo", 1, "metadata")], created=created)
    onboarding.filters[saved.id] = saved

    created = EPOCH - timedelta(days=180)
    archived = _survey(ids, name="Product Feedback (archived)", owner=admin, active=False, created=created, blocks=[
        ("Product", [
            questions.multiple_choice("QID1", "Q1", "How satisfied are you with the product?", SATISFACTION,
                                      required=True),
            questions.matrix("QID2", "Q2", "How would you rate these features?", ("Reports", "Integrations",
                                                                                  "Mobile app"),
                             ("Poor", "Fair", "Good", "Very good", "Excellent")),
        ]),
        ("Ideas", [questions.text_entry("QID3", "Q3", "Which feature would you add?", selector="SL")]),
    ])
    surveys = [csat, onboarding, archived]
    for survey in surveys:
        brand.surveys[survey.id] = survey
    _respond(csat, ids, rng, EPOCH - timedelta(days=300), 25, partial=3, in_progress=2)
    _respond(onboarding, ids, rng, EPOCH - timedelta(days=240), 12, in_progress=1)
    _respond(archived, ids, rng, EPOCH - timedelta(days=180), 30, partial=2)
    return surveys


def _demo_distributions(brand: Brand, ids: IdFactory, admin: User, survey: Survey,
                        mailing_list: MailingList) -> None:
    library = brand.library_messages[admin.id]
    by_category = {m.category: m for m in reversed(library.values())}
    header = {"fromEmail": "noreply@qemailserver.com", "replyToEmail": "cx@acme.example", "fromName": "Acme CX"}
    sent = EPOCH - timedelta(days=20)
    invite = Distribution(
        id=ids.make("EMD"), channel="email", request_type="Invite", owner_id=admin.id, survey_id=survey.id,
        send_date=sent, created=sent - timedelta(hours=2), modified=sent,
        headers={**header, "subject": "How did we do?"},
        recipients={"mailingListId": mailing_list.id, "contactId": None, "sampleId": None,
                    "transactionBatchId": None},
        message={"libraryId": admin.id, "messageId": by_category["invite"].id,
                 "messageText": by_category["invite"].messages["en"], "messageType": "Library"},
        survey_link={"surveyId": survey.id, "expirationDate": None, "linkType": "Individual"},
        embedded={"Campaign": "beta-2025-q1"}, message_text=by_category["invite"].messages["en"],
    )
    brand.distributions[invite.id] = invite
    sending.deliver(brand, invite, ids, True)
    reminder_at = sent + timedelta(days=3)
    reminder = Distribution(
        id=ids.make("EMD"), channel="email", request_type="Reminder", owner_id=admin.id, survey_id=survey.id,
        send_date=reminder_at, created=reminder_at - timedelta(hours=1), modified=reminder_at,
        parent_id=invite.id, headers={**header, "subject": "Reminder: how did we do?"},
        recipients=dict(invite.recipients),
        message={"libraryId": admin.id, "messageId": by_category["reminder"].id,
                 "messageText": by_category["reminder"].messages["en"], "messageType": "Library"},
        survey_link=dict(invite.survey_link or {}), message_text=by_category["reminder"].messages["en"],
    )
    brand.distributions[reminder.id] = reminder
    sending.deliver(brand, reminder, ids, True)


def _globex_demo(brand: Brand, core_ids: IdFactory) -> None:
    rng = random.Random("globex-demo")
    ids = IdFactory(rng)
    admin = next(iter(brand.users.values()))
    standard = list(brand.user_types)[1]
    for first, last in (("Jan", "Kowalski"), ("Sofia", "Brandt")):
        _user(ids, brand, first, last, standard, EPOCH - timedelta(days=rng.randint(30, 300)),
              language="de", time_zone="Europe/Berlin")
    directory = brand.default_directory()
    assert directory is not None
    _demo_contacts(directory, ids, rng, 12)
    created = EPOCH - timedelta(days=40)
    mailing_list = MailingList(id=ids.make("CG"), name="Partner contacts", owner_id=admin.id, created=created,
                               modified=created)
    for contact in list(directory.contacts.values())[:8]:
        mailing_list.members[contact.id] = Membership(lookup_id=ids.make("CGC"), contact_id=contact.id,
                                                      added=created)
    directory.lists[mailing_list.id] = mailing_list
    survey = _survey(ids, name="Partner Satisfaction", owner=admin, active=True, created=created, blocks=[
        ("Partnership", [
            questions.multiple_choice("QID1", "Q1", "How satisfied are you with Globex?", SATISFACTION,
                                      required=True),
            questions.text_entry("QID2", "Q2", "What should we improve in our partnership?"),
        ]),
    ])
    brand.surveys[survey.id] = survey
    for _ in range(5):
        responses.record(survey, ids, finished=created + timedelta(days=rng.randint(1, 30)), rng=rng)
