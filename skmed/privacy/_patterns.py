"""Patterns behind :func:`skmed.privacy.scan_identifiers`: column-name hints and value tests.

Each identifier *kind* has a regular expression for column names (matched against the name in
lower case with every run of non-alphanumeric characters replaced by ``_``) and, for most
kinds, a test of sampled values. The scan reports evidence as counts and pattern names only;
it never quotes a value, so its output can go into logs and reports.

These are heuristics: they find the usual spellings of direct identifiers in English-language
clinical exports. They do not replace a review of the data dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# ---------------------------------------------------------------------- kinds

#: Human-readable description of every kind the scan reports.
KIND_DESCRIPTIONS: dict[str, str] = {
    "name": "person name",
    "phone": "phone or fax number",
    "email": "e-mail address",
    "national_id": "national identification number (e.g. SSN, NHS number)",
    "record_number": "medical record number or patient identifier",
    "date_of_birth": "full date of birth",
    "date": "full date (day precision) of a patient event",
    "street_address": "street address",
    "postal_code": "postal or ZIP code",
    "ip_address": "IP address",
}

# ---------------------------------------------------------------------- column names

_NAME_HINTS: dict[str, str] = {
    "name": (
        r"^(?:(?:patient|pt|person|subject|client|member|full|first|last|given|family|middle|"
        r"maiden|birth|sur|fore|nick|mother|father|parent|guardian|next_of_kin|nok|contact|"
        r"emergency_contact|doctor|physician|gp)_?)name(?:_\w+)?$"
        r"|^(?:name|names|surname|surnames|forename|forenames|fname|lname|given_names?)$"
        r"|^name_(?:first|last|full|given|family)$"
    ),
    "phone": (
        r"(?:^|_)(?:phone|phones|telephone|tel|tel_no|mobile|cell|cellphone|fax|"
        r"phone_?number|contact_?number|home_phone|work_phone)(?:_|$)"
    ),
    "email": r"(?:^|_)(?:e_?mail|email_?address|mail_?address)(?:_|$)",
    "national_id": (
        r"(?:^|_)(?:ssn|social_security(?:_number|_no)?|sin|nin|national_(?:id|insurance|"
        r"number|identifier)|nhs(?:_?(?:number|no|id))?|chi(?:_?number)?|bsn|personnummer|"
        r"medicare(?:_?(?:number|no|id))?|medicaid(?:_?(?:number|no|id))?|passport(?:_\w+)?|"
        r"driver_?s?_?licen[cs]e|insurance_?(?:number|no|id)|policy_?(?:number|no))(?:_|$)"
    ),
    "record_number": (
        r"(?:^|_)(?:mrn|mrns|emrn|medical_?record(?:_?(?:number|no|num|id))?|"
        r"record_?(?:number|no|num)|patient_?(?:id|number|no|num|key|identifier)|pid|"
        r"hospital_?(?:number|no|id)|chart_?(?:number|no|id)|case_?(?:number|no)|"
        r"encounter_?(?:id|number)|admission_?(?:id|number)|visit_?(?:id|number)|"
        r"account_?(?:number|no)|health_?card(?:_?number)?|subject_?id|person_?id|"
        r"member_?id|accession_?(?:number|no))(?:_|$)|^(?:id|uid|uuid|guid)$"
    ),
    "date_of_birth": (
        r"(?:^|_)(?:dob|d_o_b|date_?of_?birth|birth_?date|birth_?day|birthday|birth_?dt|"
        r"born(?:_on)?|geburtsdatum)(?:_|$)"
    ),
    "date": (
        r"(?:^|_)(?:date|dt|datetime|timestamp|admission|admit|admitted|discharge|discharged|"
        r"death|died|deceased|dod|visit_date|procedure_date|surgery_date)(?:_|$)"
    ),
    "street_address": (
        r"(?:^|_)(?:address|addr|street|street_?address|address_?line_?\d?|home_?address|"
        r"residence|domicile)(?:_|$)"
    ),
    "postal_code": r"(?:^|_)(?:zip|zipcode|zip_?code|postcode|post_?code|postal_?code|plz)(?:_|$)",
    "ip_address": r"(?:^|_)(?:ip|ip_?address|ipv4|ipv6)(?:_|$)",
}

NAME_HINTS: dict[str, re.Pattern[str]] = {k: re.compile(v) for k, v in _NAME_HINTS.items()}


def normalize_column_name(name: object) -> str:
    """Lower-case ``name`` and replace every run of other characters by ``_``.

    CamelCase is split first, so ``PatientName`` becomes ``patient_name``.
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def name_kinds(name: object) -> list[str]:
    """The kinds whose column-name pattern ``name`` matches, most specific first."""
    normalized = normalize_column_name(name)
    kinds = [kind for kind, pattern in NAME_HINTS.items() if pattern.search(normalized)]
    if "date_of_birth" in kinds and "date" in kinds:
        kinds.remove("date")
    return kinds


# ---------------------------------------------------------------------- values

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# formatted phone numbers: digits with separators or a leading +; plain digit runs are
# ambiguous (record numbers look the same) and only count under a phone-like column name
_PHONE_FORMATTED = re.compile(
    r"^(?:\+|00)?[\d][\d\s().\-/]{5,22}\d(?:\s*(?:x|ext\.?)\s*\d{1,5})?$", re.IGNORECASE
)
_PHONE_SEPARATOR = re.compile(r"[\s().\-/+]")
_SSN = re.compile(r"^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$")
_NHS = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")
_RECORD = re.compile(r"^[A-Za-z]{0,5}[-_/ ]?\d{4,}(?:[-_/]?[A-Za-z0-9]{1,6})?$")
_FULL_DATE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])|"
    r"\d{1,2}[ -](?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?[ -,]*\d{2,4}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_STREET = re.compile(
    r"^\d+[A-Za-z]?(?:-\d+)?,?\s+(?:[A-Za-z0-9'.-]+\s+){0,5}"
    r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|"
    r"terrace|ter|close|crescent|cres|square|sq|highway|hwy|parkway|pkwy|circle|cir|trail|"
    r"row|gardens|grove|strasse|straße|weg|gasse|platz)\b\.?",
    re.IGNORECASE,
)
_US_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.IGNORECASE)
_IPV4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$")
_WORD = r"[A-Z](?:[a-z]+|['’][A-Z][a-z]+|[a-z]*[A-Z][a-z]+)"  # Smith, O'Neill, McDonald
_PARTICLE = r"(?:van|von|de|der|den|da|di|del|la|le|du|dos|bin|ibn|al|el)"
_PERSON_NAME = re.compile(
    rf"^(?:{_WORD}(?:-{_WORD})?,\s*{_WORD}(?:[ -](?:[A-Z]\.|{_WORD}))*"  # Last, First
    rf"|(?:(?i:dr|mr|mrs|ms|miss|prof)\.?\s+)?{_WORD}"
    rf"(?:[ -](?:[A-Z]\.|{_WORD}|{_PARTICLE})){{1,4}})$"
)


def _nhs_checksum(value: str) -> bool:
    digits = [int(c) for c in value if c.isdigit()]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def is_email(v: str) -> bool:
    return bool(_EMAIL.match(v))


def is_formatted_phone(v: str) -> bool:
    if not _PHONE_FORMATTED.match(v) or not _PHONE_SEPARATOR.search(v.strip()):
        return False
    if _FULL_DATE.match(v) or _SSN.match(v):
        return False
    n_digits = sum(c.isdigit() for c in v.split("x")[0].split("ext")[0])
    return 7 <= n_digits <= 15


def is_phone_digits(v: str) -> bool:
    return v.isdigit() and 7 <= len(v) <= 15


def is_national_id(v: str) -> bool:
    return bool(_SSN.match(v)) or (bool(_NHS.match(v)) and _nhs_checksum(v))


def is_record_code(v: str) -> bool:
    return bool(_RECORD.match(v)) and not _FULL_DATE.match(v)


def is_full_date(v: str) -> bool:
    return bool(_FULL_DATE.match(v))


def is_street_address(v: str) -> bool:
    return bool(_STREET.match(v))


def is_postal_code(v: str) -> bool:
    return bool(_US_ZIP.match(v) or _UK_POSTCODE.match(v))


def is_uk_postcode_or_zip4(v: str) -> bool:
    return bool(_UK_POSTCODE.match(v) or re.match(r"^\d{5}-\d{4}$", v))


def is_ip_address(v: str) -> bool:
    return bool(_IPV4.match(v))


def is_person_name(v: str) -> bool:
    return bool(_PERSON_NAME.match(v))


@dataclass(frozen=True)
class ValueTest:
    """A test of one sampled text value, and how it is described in the evidence."""

    kind: str
    test: Callable[[str], bool]
    description: str
    #: share of sampled values that must pass for the values alone to flag the column
    threshold: float = 0.8
    #: values must also be mostly distinct (identifiers are; category labels are not)
    min_distinct: float = 0.0
    #: whether the values alone (no column-name hint) may flag the column
    alone: bool = True


#: Value tests run on text columns (and on integers written as text), in order of precedence.
VALUE_TESTS: tuple[ValueTest, ...] = (
    ValueTest("email", is_email, "the e-mail pattern"),
    ValueTest("national_id", is_national_id, "the SSN / NHS-number pattern (NHS checksum valid)"),
    ValueTest("ip_address", is_ip_address, "the IPv4 pattern"),
    ValueTest("date", is_full_date, "a full-date pattern (day precision)"),
    ValueTest("phone", is_formatted_phone, "the phone-number pattern"),
    ValueTest("street_address", is_street_address, "the street-address pattern"),
    ValueTest("postal_code", is_uk_postcode_or_zip4, "the UK postcode / ZIP+4 pattern"),
    ValueTest("name", is_person_name, "the person-name pattern", min_distinct=0.3),
    ValueTest("record_number", is_record_code, "the record-number pattern", min_distinct=0.9),
)

#: Looser tests that only confirm a column-name hint (they are too ambiguous alone).
CONFIRM_TESTS: dict[str, tuple[Callable[[str], bool], str]] = {
    "phone": (lambda v: is_formatted_phone(v) or is_phone_digits(v), "a phone-number pattern"),
    "postal_code": (is_postal_code, "the postal-code pattern"),
    "date_of_birth": (is_full_date, "a full-date pattern (day precision)"),
    "name": (
        lambda v: bool(re.match(r"^[^\W\d_][^\d@]{0,60}$", v)),
        "a text pattern of letters",
    ),
}
