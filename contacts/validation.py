"""Rules for contact fields, checked before anything is sent to Qualtrics.

Shared by the contact and member forms and by the CSV import, so a row of a file and a form get the
same answer. Each function returns the value Qualtrics should receive or raises ValidationError with
a sentence the user can act on.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email

EMBEDDED_NAME_MAX = 200
EMBEDDED_VALUE_MAX = 1024
FIELD_MAX = 200

# The contact fields Qualtrics keeps, in the order screens show them.
CONTACT_FIELDS = ("firstName", "lastName", "email", "phone", "extRef", "language", "unsubscribed")
FIELD_LABELS = {
    "firstName": "First name",
    "lastName": "Last name",
    "email": "E-mail",
    "phone": "Phone",
    "extRef": "External reference",
    "language": "Language",
    "unsubscribed": "Unsubscribed",
}
# What identifies a contact for de-duplication and lookups, best first.
IDENTIFIERS = ("extRef", "email", "phone")

# Embedded-data names Qualtrics reserves (contact fields under other spellings, and "Points"), compared
# case-insensitively. "Q_" names are Qualtrics' own.
RESERVED_EMBEDDED_NAMES = frozenset(
    name.lower()
    for name in (
        *CONTACT_FIELDS,
        "contactId",
        "externalDataReference",
        "ExternalReference",
        "RecipientEmail",
        "RecipientFirstName",
        "RecipientLastName",
        "RecipientPhone",
        "Points",
        "ResponseID",
        "SurveyID",
        "DistributionID",
        "ContactLookupId",
    )
)
RESERVED_EMBEDDED_PREFIXES = ("q_",)

# Qualtrics' language codes (the codes its translations and contacts use).
LANGUAGE_CODES = {
    "AR": "Arabic", "ASM": "Assamese", "AZ-AZ": "Azerbaijani", "BEL": "Belarusian", "BG": "Bulgarian",
    "BN": "Bengali", "BS": "Bosnian", "CA": "Catalan", "CEB": "Cebuano", "CKB": "Kurdish (Sorani)",
    "CS": "Czech", "CY": "Welsh", "DA": "Danish", "DE": "German", "EL": "Greek", "EN": "English",
    "EN-GB": "English (UK)", "EN-US": "English (US)", "EO": "Esperanto", "ES": "Spanish (Latin America)",
    "ES-ES": "Spanish (Spain)", "ET": "Estonian", "FA": "Persian", "FI": "Finnish", "FR": "French",
    "FR-CA": "French (Canada)", "GU": "Gujarati", "HE": "Hebrew", "HI": "Hindi", "HR": "Croatian",
    "HU": "Hungarian", "HYE": "Armenian", "ID": "Indonesian", "IS": "Icelandic", "IT": "Italian",
    "JA": "Japanese", "KAN": "Kannada", "KAT": "Georgian", "KAZ": "Kazakh", "KM": "Khmer", "KO": "Korean",
    "LT": "Lithuanian", "LV": "Latvian", "MAL": "Malayalam", "MAR": "Marathi", "MK": "Macedonian",
    "MN": "Mongolian", "MS": "Malay", "MY": "Burmese", "NE": "Nepali", "NL": "Dutch", "NO": "Norwegian",
    "ORI": "Odia", "PA-IN": "Punjabi", "PL": "Polish", "PT": "Portuguese", "PT-BR": "Portuguese (Brazil)",
    "RO": "Romanian", "RU": "Russian", "SIN": "Sinhala", "SK": "Slovak", "SL": "Slovenian", "SQI": "Albanian",
    "SR": "Serbian", "SR-ME": "Montenegrin", "SV": "Swedish", "SW": "Swahili", "TA": "Tamil", "TEL": "Telugu",
    "TGL": "Tagalog", "TH": "Thai", "TR": "Turkish", "UK": "Ukrainian", "UR": "Urdu", "VI": "Vietnamese",
    "ZH-S": "Chinese (Simplified)", "ZH-T": "Chinese (Traditional)",
}
LANGUAGE_ALIASES = {"ZH-CN": "ZH-S", "ZH-HANS": "ZH-S", "ZH-TW": "ZH-T", "ZH-HANT": "ZH-T", "NB": "NO"}

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t", "x", "unsubscribed", "opted out"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "f", "subscribed"})


def default_phone_region() -> str:
    return settings.CONTACTS_PHONE_REGION


def clean_email(value: str) -> str:
    """A syntactically valid address (domain lower-cased); DNS is not consulted."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"“{value[:80]}” is not a valid e-mail address: {exc}") from None


def clean_phone(value: str, region: str | None = None) -> str:
    """The number in E.164 (+442079460018). Numbers without a + are read in `region`, in the national
    formats people write ("(555) 201-3344", "555.201.3344", "020 7946 0018")."""
    value = (value or "").strip()
    if not value:
        return ""
    region = (region or default_phone_region()).upper()
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            f"“{value[:40]}” is not a phone number. Use the international form, e.g. +44 20 7946 0018."
        ) from None
    # A number of a full length for its country is kept even when its range is not known to be in service,
    # as the fictional 555 numbers of test and demo data are.
    if not phonenumbers.is_valid_number(number) and \
            phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValidationError(
            f"“{value[:40]}” is not a valid phone number"
            f"{'' if value.startswith('+') else f' for region {region}'}; include the country code (+…)."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_language(value: str) -> str:
    """A Qualtrics language code, compared without case: "en" and "EN-GB" stay as typed ("_" becomes
    "-"); common aliases become Qualtrics' code (zh_CN -> ZH-S)."""
    value = (value or "").strip().replace("_", "-")
    if not value:
        return ""
    code = value.upper()
    if code in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[code]
    if code not in LANGUAGE_CODES:
        raise ValidationError(
            f"“{value[:20]}” is not a Qualtrics language code. "
            "Use codes such as EN, EN-GB, FR, DE, ES-ES, PT-BR or ZH-S."
        )
    return value


def clean_text(value: str, label: str, max_length: int = FIELD_MAX) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError(f"{label} is longer than {max_length} characters.")
    return value


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(f"“{str(value)[:20]}” is not yes or no (use true/false, yes/no or 1/0).")


def check_embedded_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("An embedded-data field needs a name.")
    if len(name) > EMBEDDED_NAME_MAX:
        raise ValidationError(f"Embedded-data names are at most {EMBEDDED_NAME_MAX} characters.")
    lowered = name.lower()
    if lowered in RESERVED_EMBEDDED_NAMES or lowered.startswith(RESERVED_EMBEDDED_PREFIXES):
        raise ValidationError(f"“{name[:60]}” is reserved by Qualtrics; choose another embedded-data name.")
    return name


def check_embedded_value(name: str, value: str) -> str:
    value = "" if value is None else str(value)
    if len(value) > EMBEDDED_VALUE_MAX:
        raise ValidationError(
            f"The value of “{name[:60]}” is {len(value):,} characters; Qualtrics keeps at most {EMBEDDED_VALUE_MAX:,}."
        )
    return value
