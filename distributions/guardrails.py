"""What the preview says before a distribution is scheduled: what cannot work (it blocks scheduling) and
what is probably a mistake (scheduling needs an explicit "send anyway").

The rules (rules.py) check the form's own values; these checks need what Qualtrics knows at preview time:
the survey's state, who the target resolves to. A link expiring before the send is a rule already, so it is
refused on the form before any preview.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from surveys.selectors import FactsError, SurveyFacts, survey_facts

from .models import Channel, Distribution, Kind
from .preview import Preview

# Above this many recipients a send is big enough that a slip (the wrong list, a test message) is costly.
LARGE_RECIPIENTS = 5_000
# Local hours (inclusive start, exclusive end) when an e-mail or SMS probably lands in the middle of the night.
NIGHT_STARTS, NIGHT_ENDS = 22, 6
# The piped-text forms Qualtrics replaces with the recipient's survey link.
LINK_PLACEHOLDERS = ("${l://SurveyLink", "${l://SurveyURL")


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    explanation: str


@dataclass
class Guardrails:
    blocks: list[Check] = field(default_factory=list)
    warnings: list[Check] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return not self.blocks and not self.warnings


def survey_of(d: Distribution, *, actor) -> SurveyFacts | FactsError | None:
    """The survey the distribution sends (a follow-up's is its parent's), read from Qualtrics."""
    if not d.survey_id:
        return None
    return survey_facts(connection=d.connection, actor=actor, survey_ids=[d.survey_id])[d.survey_id]


def guardrails(d: Distribution, preview: Preview, *, survey: SurveyFacts | FactsError | None,
               time_zone: datetime.tzinfo | None = None) -> Guardrails:
    found = Guardrails()
    _survey(d, survey, found)
    _recipients(d, preview, found)
    _link(d, preview, found)
    _night(d, time_zone or timezone.get_current_timezone(), found)
    return found


def _survey(d: Distribution, survey, found: Guardrails) -> None:
    if survey is None:
        return
    if isinstance(survey, FactsError):
        if survey.error.get("status") == 404:
            found.blocks.append(Check(
                "survey-deleted", "The survey no longer exists",
                f"Qualtrics has no survey {d.survey_id} for this connection any more (it was deleted, or belongs "
                "to another brand). Choose another survey."))
        else:
            found.warnings.append(Check(
                "survey-unknown", "The survey's state could not be checked",
                f"Qualtrics did not say whether the survey can be answered: {survey.error.get('title', '')}"))
        return
    name = survey.name or d.survey_id
    if not survey.is_active:
        found.blocks.append(Check(
            "survey-inactive", f"“{name}” is inactive",
            "Recipients would get a link to a survey they cannot answer. Activate the survey in Qualtrics (or "
            "on its page here) first, then preview again."))
    elif survey.ends is not None and d.send_at and survey.ends <= d.send_at:
        found.blocks.append(Check(
            "survey-closed", f"“{name}” closes before this is sent",
            f"Its response window ends {_local(survey.ends)}; recipients could not answer. Extend the window "
            "or send earlier."))
    elif survey.starts is not None and d.send_at and survey.starts > d.send_at:
        found.warnings.append(Check(
            "survey-not-open", f"“{name}” is not open yet when this is sent",
            f"Its response window opens {_local(survey.starts)}: recipients who answer at once will find it "
            "closed."))


def _recipients(d: Distribution, preview: Preview, found: Guardrails) -> None:
    if not preview.known:
        return
    reached = preview.reachable if preview.reachable is not None else preview.total
    if d.kind == Kind.REMINDER and not reached:
        found.warnings.append(Check(
            "reminder-finished", "Nobody is left to remind",
            "Every recipient of the invitation has finished the survey (or cannot be reached): this reminder "
            "would go to nobody."))
    elif d.kind == Kind.THANKYOU and not reached:
        found.warnings.append(Check(
            "thank-you-nobody", "Nobody has finished yet",
            "No recipient of the invitation has finished the survey so far: this thank-you would go to nobody. "
            "Schedule it later, once responses came in."))
    elif d.kind in (Kind.INVITE, Kind.INTERACTIVE) and not reached:
        why = []
        if preview.unsubscribed:
            why.append(f"{preview.unsubscribed} unsubscribed")
        if preview.missing_address:
            why.append(f"{preview.missing_address} without {preview.address_label}")
        found.blocks.append(Check(
            "no-recipients", "Nobody would receive it",
            "The chosen recipients resolve to nobody who can be reached"
            + (f" ({', '.join(why)})" if why else "") + ". Choose another list or contact."))
    if reached and (reached >= LARGE_RECIPIENTS or preview.truncated):
        count = f"{reached:,}" + (" or more" if preview.truncated else "")
        found.warnings.append(Check(
            "many-recipients", f"{count} recipients",
            "That is a large send: check that this is the list you meant and that the message is final, since "
            "a sent message cannot be called back."))


def _link(d: Distribution, preview: Preview, found: Guardrails) -> None:
    if d.kind not in (Kind.INVITE, Kind.REMINDER) or not preview.message_text:
        return
    if not any(placeholder in preview.message_text for placeholder in LINK_PLACEHOLDERS):
        what = "invitation" if d.kind == Kind.INVITE else "reminder"
        found.warnings.append(Check(
            "no-survey-link", "The message has no survey link",
            f"The {what} contains no ${{l://SurveyLink}} or ${{l://SurveyURL}}, so recipients get no way to "
            "open the survey. Add one where the link should be (for example ${l://SurveyLink?d=Take the survey})."))


def _night(d: Distribution, time_zone: datetime.tzinfo, found: Guardrails) -> None:
    if d.send_at is None:
        return
    local = d.send_at.astimezone(time_zone)
    if local.hour >= NIGHT_STARTS or local.hour < NIGHT_ENDS:
        name = getattr(time_zone, "key", None) or str(time_zone)
        word = "SMS" if d.channel == Channel.SMS else "e-mail"
        found.warnings.append(Check(
            "night-send", f"Sent at {local:%H:%M} at night",
            f"This {word} goes out at {local:%H:%M} in {name}. The portal does not know each recipient's time "
            "zone: if they live where you do, it arrives in the middle of their night, when fewer people answer "
            "and an SMS wakes them."))


def _local(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"on {local.day} {local:%b %Y at %H:%M}"

