"""Check characters of Chinese identifiers: GB 32100 credit codes, GB 11643 ID numbers, regions."""

from __future__ import annotations

import re
from datetime import date

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_REGION = re.compile(r"^[1-9]\d{5}$")


def credit_code_check(body17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """A unified social credit code (统一社会信用代码): 18 characters, check character correct.

    GB 32100-2015 (code structure): characters 3-8 are the registering authority's administrative
    division (GB/T 2260), six digits; a letter there is refused even with a right check."""
    code = code.upper()
    if len(code) != 18 or any(c not in _CREDIT_ALPHABET for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    return credit_code_check(code[:17]) == code[17]


def id_number_check(body17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(number: str) -> bool:
    """A resident identity card number (居民身份证号码): 17 digits and a correct check character.

    GB 11643-1999 (5.3, 出生日期码): characters 7-14 are the birth date YYYYMMDD, a real day."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_number_check(number[:17]) == number[17]


def is_valid_region_code(code: str) -> bool:
    """A six-digit administrative division code (行政区划代码, GB/T 2260)."""
    return bool(_REGION.match(code))


def region_prefix(code: str) -> str:
    """The prefix a region code covers: 330000 (province) → 33, 330100 (city) → 3301."""
    prefix = code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def region_covers(scope: str, region_code: str) -> bool:
    """Whether a regulator scoped to ``scope`` sees something in ``region_code``."""
    return region_code.startswith(region_prefix(scope))
