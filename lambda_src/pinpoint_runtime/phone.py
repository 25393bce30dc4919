"""Phone numbers: the runtime's one E.164 rule, normalisation to E.164 and masking for logs.

* :data:`E164_PATTERN` / :func:`is_e164`: ``+``, a first digit 1-9, at most 15 digits in all (ITU-T E.164), ASCII
  digits only, the whole string (no trailing newline). Every check of "is this an E.164 number" uses it.
* :func:`parse_phone_number`: phonenumbers' answer, the E.164 form of a *valid* number in ``default_country``
  (national numbers) or a :class:`PhoneNumberError` naming the problem.
* :func:`normalise_phone` / :data:`e164_or_problem`: the same answers (property-tested) through fast paths for
  bulk work: strings already in E.164 and NANPA spellings (when the default country uses +1) are checked against
  one precompiled pattern per calling code (:func:`main_region_valid`), and answers are cached.
* :func:`mask_phone_number`: the form a number may take in a log line.

phonenumbers (``phonenumberslite``) is imported only when a number needs it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

E164_PATTERN = re.compile(r"\+[1-9][0-9]{1,14}")
"""E.164: ``+`` then 2-15 ASCII digits, the first not 0. Use it with ``fullmatch`` (or :func:`is_e164`)."""

NANPA_PUNCTUATION = str.maketrans("", "", " ()-.")
"""What a NANPA national spelling may hold besides digits (``(202) 555-0191``, ``202.555.0191``)."""

_FAST_PATH_MIN_LENGTH = 8
"""The fast path takes E.164 strings of 7 digits or more; shorter ones go to phonenumbers, which tells "not a
phone number" (too short to parse) from "not a valid phone number"."""


class PhoneNumberError(ValueError):
    """An address that is not a (valid) phone number; ``problem`` is a short fixed text without the number."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def is_e164(value: object) -> bool:
    """Whether ``value`` is a string in E.164 form (syntax only: no carrier or numbering-plan check)."""
    return isinstance(value, str) and E164_PATTERN.fullmatch(value) is not None


def mask_phone_number(number: object) -> str:
    """Mask a phone number for logs: keep a leading ``+`` and the last 2 characters (``"+*********01"``).

    Anything that is not a non-empty string becomes ``"<none>"``; strings of 3 characters or fewer are fully
    masked. The result reveals the length of the number, never more than its last two digits.
    """
    if not isinstance(number, str) or not number:
        return "<none>"
    prefix = "+" if number.startswith("+") else ""
    rest = number[len(prefix) :]
    if len(rest) <= 3:
        return prefix + "*" * len(rest)
    return prefix + "*" * (len(rest) - 2) + rest[-2:]


def parse_phone_number(address: str, default_country: str = "US") -> str:
    """The E.164 form of ``address`` when phonenumbers parses it (national numbers in ``default_country``) and
    finds it valid; :class:`PhoneNumberError` ("is not a phone number" / "is not a valid phone number") otherwise."""
    import phonenumbers  # noqa: PLC0415

    try:
        number = phonenumbers.parse(address, default_country)
    except phonenumbers.NumberParseException:
        raise PhoneNumberError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _e164_or_problem(address: str, default_country: str, nanpa: bool) -> tuple[str | None, str]:
    """(E.164, "") or (None, problem): the answers of :func:`parse_phone_number` (property-tested), through the
    fast paths of the module docstring."""
    candidate = None
    if len(address) >= _FAST_PATH_MIN_LENGTH and E164_PATTERN.fullmatch(address):
        candidate = address
    elif nanpa:
        digits = address.translate(NANPA_PUNCTUATION)
        if digits.isdigit() and digits.isascii():
            if len(digits) == 10:
                candidate = "+1" + digits
            elif len(digits) == 11 and digits[0] == "1":
                candidate = "+" + digits
    if candidate is not None:
        digits = candidate[1:]
        for size in (1, 2, 3):  # calling codes are prefix-free: at most one of these is one
            info = CALLING_CODES.get(digits[:size])
            if info is None:
                info = calling_code_info(digits[:size])
            if info:
                rest = digits[size:]
                if not rest or rest[0] == "0":
                    break  # leading zeros (Italian numbers): let parse handle it
                pattern = info[1]
                if pattern is not None and pattern.fullmatch(rest):
                    return candidate, ""
                import phonenumbers  # noqa: PLC0415

                if phonenumbers.is_valid_number(
                    phonenumbers.PhoneNumber(country_code=info[0], national_number=int(rest))
                ):
                    return candidate, ""
                return None, "is not a valid phone number"
    try:
        return parse_phone_number(address, default_country), ""
    except PhoneNumberError as error:
        return None, error.problem


e164_or_problem = lru_cache(maxsize=16_384)(_e164_or_problem)
"""``(E.164, "")`` or ``(None, problem)`` for an SMS/VOICE address, cached (``nanpa``: the default country uses +1)."""

#: 1-3 digit prefix -> (calling code, main-region pattern or None), or False when the prefix is no calling code
CALLING_CODES: dict[str, Any] = {}


def calling_code_info(prefix: str) -> Any:
    """``(calling code, main-region pattern or None)`` for a 1-3 digit prefix, or ``False`` when it is no calling
    code."""
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE  # noqa: PLC0415

    code = int(prefix)
    info = (code, _compile_main_region(code)) if code in COUNTRY_CODE_TO_REGION_CODE else False
    CALLING_CODES[prefix] = info
    return info


def main_region_valid(country_code: int, nsn: str) -> bool:
    """True only when ``phonenumbers.is_valid_number`` is True: the number is valid for the first (main) region
    of its calling code, which ``region_code_for_number`` tries first when that region has no leading-digits
    rule. Replicates ``_number_type_helper != UNKNOWN`` (general description, then any number type, each with
    its possible lengths) with one precompiled pattern per calling code. False means "ask phonenumbers"."""
    info = CALLING_CODES.get(str(country_code))
    if info is None:
        info = calling_code_info(str(country_code))
    return bool(info) and info[1] is not None and info[1].fullmatch(nsn) is not None


def _compile_main_region(country_code: int) -> Any:
    """One pattern whose fullmatch(nsn) is: for the nsn's length, the general pattern and any type pattern
    (each only for the lengths it allows) match the whole nsn; None when the main region has no shortcut."""
    from phonenumbers import PhoneMetadata  # noqa: PLC0415
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE  # noqa: PLC0415

    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code) or ()
    metadata = PhoneMetadata.metadata_for_region(regions[0].upper(), None) if regions else None
    if metadata is None or metadata.leading_digits is not None or metadata.general_desc is None:
        return None
    # validity only needs ANY type to match, so the common types go first (phonenumbers' order decides the type)
    descs = [
        metadata.fixed_line,
        metadata.mobile,
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
    ]
    general = metadata.general_desc
    if not general.national_number_pattern:
        return None
    lengths = set(general.possible_length) - {-1}
    for desc in descs:
        if desc is not None:
            lengths |= set(desc.possible_length) - {-1}
    alternatives = []
    for length in sorted(lengths):
        if len(general.possible_length) > 0 and length not in general.possible_length:
            continue
        types = list(
            dict.fromkeys(  # in order, without repeats (US fixed-line and mobile are one pattern)
                d.national_number_pattern
                for d in descs
                if d is not None
                and d.national_number_pattern
                and not (len(d.possible_length) > 0 and length not in d.possible_length)
            )
        )
        if types:
            alternatives.append(
                f"(?=[0-9]{{{length}}}\\Z)(?=(?:{general.national_number_pattern})\\Z)"
                f"(?:{'|'.join(f'(?:{t})' for t in types)})"
            )
    return re.compile("|".join(f"(?:{a})" for a in alternatives)) if alternatives else None


def country_code(region: str) -> int:
    """The calling code of a region (``US`` -> 1); 0 for an unknown region."""
    import phonenumbers  # noqa: PLC0415

    return phonenumbers.country_code_for_region(region)


def normalise_phone(address: str, default_country: str = "US") -> str:
    """E.164 for an SMS/VOICE address, exactly as :func:`parse_phone_number` answers (property-tested) but through
    the fast paths and the cache; raises :class:`PhoneNumberError`. For paths that normalise one number at a time
    (the Adobe bridge) as well as imports."""
    e164, problem = e164_or_problem(address, default_country, country_code(default_country) == 1)
    if e164 is None:
        raise PhoneNumberError(problem)
    return e164
