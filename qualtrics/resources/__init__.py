"""One module per kind of thing in Qualtrics; each class is reached as an attribute of the client."""

from .contacts import Contacts
from .directories import Directories
from .distributions import Distributions
from .divisions import Divisions
from .event_subscriptions import EventSubscriptions
from .groups import GroupMembers, Groups
from .imports import ContactImports
from .libraries import Libraries, LibraryMessages
from .mailing_lists import MailingListMembers, MailingLists
from .responses import ResponseExports, Responses
from .samples import Samples
from .sms import SmsDistributions
from .survey_definitions import SurveyDefinitions
from .surveys import Surveys
from .transactions import TransactionBatches, Transactions
from .users import Users
from .workflows import Workflows

__all__ = [
    "ContactImports",
    "Contacts",
    "Directories",
    "Distributions",
    "Divisions",
    "EventSubscriptions",
    "GroupMembers",
    "Groups",
    "Libraries",
    "LibraryMessages",
    "MailingListMembers",
    "MailingLists",
    "ResponseExports",
    "Responses",
    "Samples",
    "SmsDistributions",
    "SurveyDefinitions",
    "Surveys",
    "TransactionBatches",
    "Transactions",
    "Users",
    "Workflows",
]
