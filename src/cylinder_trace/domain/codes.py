"""The cylinder code: format, check character, signature, and parsing every accepted scan form.

Our code is an issuer prefix (1-4 letters), a serial of 8 base-36 characters and an ISO/IEC 7064
MOD 37,36 check character, e.g. ``CT0000001ZK``. The check character catches every single wrong
character and every swap of two neighbours before any database look-up.

The QR label carries ``{PUBLIC_BASE_URL}/C/{code}/{signature}`` upper-cased, so the whole text
stays in QR's alphanumeric mode (fewer modules, decodes from farther away). The signature is the
signing key's id plus 40 bits of HMAC-SHA256 over the code: a label printed by someone else does
not verify, and keys can rotate (every listed key verifies, the first one signs).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
SERIAL_LENGTH = 8
MAX_SCAN_LENGTH = 512
SIGNATURE_LENGTH = 9  # key id + 8 base32 characters (40 bits)


# --- check character -------------------------------------------------------------------------

def check_char(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system) check character over ALPHABET."""
    p = 36
    for ch in body:
        s = (p + _VALUE[ch]) % 36 or 36
        p = (s * 2) % 37
    return ALPHABET[(37 - p) % 36]


def _to_base36(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out or "0"


def make_code(prefix: str, serial: int) -> str:
    """A new code: prefix + serial in base 36 (8 characters) + check character."""
    if not re.fullmatch(r"[A-Z]{1,4}", prefix):
        raise ValueError("the code prefix is 1-4 upper-case letters")
    if not 0 < serial < 36**SERIAL_LENGTH:
        raise ValueError("serial out of range")
    body = prefix + _to_base36(serial).rjust(SERIAL_LENGTH, "0")
    return body + check_char(body)


_CODE_SHAPE = re.compile(rf"[A-Z]{{1,4}}[0-9A-Z]{{{SERIAL_LENGTH + 1}}}")


def _has_code_shape(text: str) -> bool:
    if not _CODE_SHAPE.fullmatch(text):
        return False
    prefix_len = len(text) - SERIAL_LENGTH - 1
    return text[:prefix_len].isalpha()


def is_valid_code(text: str) -> bool:
    code = text.strip().upper()
    return _has_code_shape(code) and check_char(code[:-1]) == code[-1]


# --- signature ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    key_id: str  # one character of ALPHABET, carried in the signature
    secret: bytes


def signing_keys(spec: str, fallback_secret: str) -> list[SigningKey]:
    """Keys from ``"ID:SECRET,ID:SECRET"`` (first signs, all verify), else one derived key."""
    keys: list[SigningKey] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, secret = part.partition(":")
        key_id = key_id.strip().upper()
        if not sep or len(key_id) != 1 or key_id not in _VALUE or not secret:
            raise ValueError("code signing keys are 'ID:SECRET' with a one-character id")
        keys.append(SigningKey(key_id, secret.encode()))
    if not keys:
        derived = hashlib.sha256(b"cylinder-trace code signing:" + fallback_secret.encode())
        keys.append(SigningKey("1", derived.digest()))
    return keys


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648's alphabet
_BASE32_PAIRS = [_BASE32[i >> 5] + _BASE32[i & 31] for i in range(1024)]  # 10 bits: 2 letters


def sign(code: str, key: SigningKey) -> str:
    """The key's id and the first 40 bits of HMAC-SHA256(code) in base32 (RFC 4648: 40 bits
    are eight characters, no padding), two letters at a time: base64.b32encode is pure Python,
    three times slower, and runs once per fill authorization."""
    bits = int.from_bytes(hmac.digest(key.secret, code.encode(), "sha256")[:5])
    pairs = _BASE32_PAIRS
    return (key.key_id + pairs[bits >> 30] + pairs[(bits >> 20) & 1023]
            + pairs[(bits >> 10) & 1023] + pairs[bits & 1023])


def verify(code: str, signature: str, keys: Sequence[SigningKey]) -> bool:
    signature = signature.upper()
    for key in keys:
        if signature[:1] == key.key_id and hmac.compare_digest(sign(code, key), signature):
            return True
    return False


def qr_text(public_base_url: str, code: str, key: SigningKey) -> str:
    return f"{public_base_url.rstrip('/')}/C/{code}/{sign(code, key)}".upper()


# --- parsing scans -----------------------------------------------------------------------------

class ScanForm(StrEnum):
    CODE = "code"  # our raw code, optionally "CODE/SIGNATURE"
    URL = "url"  # our label's URL
    GRAI = "grai"  # GS1 element string (8003)…
    DIGITAL_LINK = "digital_link"  # https://id.gs1.org/8003/…
    EPC_GRAI96 = "epc_grai96"  # a UHF tag's EPC (hex) or EPC pure-identity URI
    GBT36051 = "gbt36051"  # another issuer's traceability code (GB/T 36051)


class ScanError(StrEnum):
    EMPTY = "EMPTY"
    TOO_LONG = "TOO_LONG"
    UNPRINTABLE = "UNPRINTABLE"
    UNKNOWN_FORMAT = "UNKNOWN_FORMAT"
    BAD_CHECK_CHARACTER = "BAD_CHECK_CHARACTER"
    FOREIGN_HOST = "FOREIGN_HOST"
    SIGNATURE_MISSING = "SIGNATURE_MISSING"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    BAD_GRAI_CHECK_DIGIT = "BAD_GRAI_CHECK_DIGIT"
    BAD_GRAI = "BAD_GRAI"  # not a zero first, serial too long or outside CSET 82
    BAD_EPC = "BAD_EPC"


@dataclass(frozen=True)
class ParsedScan:
    form: ScanForm | None
    code: str | None  # our code, when the scan names one
    signed: bool  # a signature was present and verified
    external: str | None  # normal form of another scheme's identifier (cylinder.external_code)
    error: ScanError | None
    detail: str

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(error: ScanError, detail: str, **kw: object) -> ParsedScan:
    values: dict[str, object] = {"form": None, "code": None, "signed": False, "external": None}
    values.update(kw)
    return ParsedScan(error=error, detail=detail, **values)  # type: ignore[arg-type]


_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_OUR_URL = re.compile(r"^https?://([^/?#\s]+)/c/([0-9a-z]+)(?:/([0-9a-z]*))?/?$", re.IGNORECASE)
_RAW_SIGNED = re.compile(r"^([0-9A-Za-z]+)/([0-9A-Za-z]+)$")
# AI 8003 (GS1 General Specifications, GRAI; Syntax Dictionary `8003 N1,zero N13,csum [X..16]`):
# the raw form (FNC1 sent as GS 0x1D ends it when another AI follows) and the human-readable
# one, where the next AI starts with "(nn)" (zxing-cpp's text of a GS1 QR).
_GRAI_RAW = re.compile(r"^8003(\d{14})([^\x1d]*)(?:\x1d.*)?$", re.DOTALL)
_GRAI_HRI = re.compile(r"^\(8003\)(\d{14})(.*?)(?:\(\d{2,4}\).*)?$", re.DOTALL)
_DIGITAL_LINK = re.compile(r"^https?://[^/?#\s]+/(?:[^?#]*/)?8003/(\d{14})([^/?#]*)(?:[?#].*)?$",
                           re.IGNORECASE)
_EPC_URI = re.compile(r"^urn:epc:id:grai:(\d{6,12})\.(\d*)\.([!-~]*)$", re.IGNORECASE)
_PERCENT_OK = re.compile(r"^(?:[^%]|%[0-9A-Fa-f]{2})*$")
_HEX24 = re.compile(r"^[0-9A-Fa-f]{24}$")
_OTHER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{7,63}$")

# GS1 General Specifications, CSET 82 (figure 7.11-1): the characters a GRAI serial may use.
CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                   "abcdefghijklmnopqrstuvwxyz")
GRAI_SERIAL_MAX = 16

# EPC GRAI-96 partition table: (company prefix bits, digits, asset type bits, digits)
_GRAI_PARTITIONS = {
    0: (40, 12, 4, 0), 1: (37, 11, 7, 1), 2: (34, 10, 10, 2), 3: (30, 9, 14, 3),
    4: (27, 8, 17, 4), 5: (24, 7, 20, 5), 6: (20, 6, 24, 6),
}


def gs1_check_digit(digits: str) -> str:
    """GS1 mod-10 check digit over the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _grai(grai14: str, serial: str, form: ScanForm) -> ParsedScan:
    """A GRAI once its parts are cut out and decoded: the checks of AI 8003."""
    if grai14[0] != "0":
        return _fail(ScanError.BAD_GRAI, "a GRAI starts with the digit 0", form=form)
    if gs1_check_digit(grai14[:13]) != grai14[13]:
        return _fail(ScanError.BAD_GRAI_CHECK_DIGIT, "the GRAI's check digit is wrong", form=form)
    if len(serial) > GRAI_SERIAL_MAX:
        return _fail(ScanError.BAD_GRAI, "the GRAI's serial is longer than 16 characters",
                     form=form)
    if not set(serial) <= CSET82:
        return _fail(ScanError.BAD_GRAI, "the GRAI's serial has a character outside GS1 CSET 82",
                     form=form)
    return ParsedScan(form, None, False, f"GRAI:{grai14}{serial}", None, f"GRAI {grai14}{serial}")


def _decoded(encoded: str) -> str | None:
    """Percent-decoding as RFC 3986 has it ('+' stays '+'); None for a broken escape."""
    if not _PERCENT_OK.match(encoded):
        return None
    try:
        return unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        return None


def _epc_grai96(hex24: str) -> ParsedScan:
    n = int(hex24, 16)
    if n >> 88 != 0x33:
        return _fail(ScanError.BAD_EPC, "not a GRAI-96 EPC (header is not 0x33)",
                     form=ScanForm.EPC_GRAI96)
    partition = (n >> 82) & 0b111
    if partition not in _GRAI_PARTITIONS:
        return _fail(ScanError.BAD_EPC, "GRAI-96 partition value out of range",
                     form=ScanForm.EPC_GRAI96)
    cbits, cdigits, abits, adigits = _GRAI_PARTITIONS[partition]
    company = (n >> (38 + abits)) & ((1 << cbits) - 1)
    asset = (n >> 38) & ((1 << abits) - 1)
    serial = n & ((1 << 38) - 1)
    if company >= 10**cdigits or asset >= 10 ** max(adigits, 1):
        return _fail(ScanError.BAD_EPC, "GRAI-96 fields do not fit their digits",
                     form=ScanForm.EPC_GRAI96)
    asset_digits = str(asset).rjust(adigits, "0") if adigits else ""
    body = "0" + str(company).rjust(cdigits, "0") + asset_digits
    return _grai(body + gs1_check_digit(body), str(serial), ScanForm.EPC_GRAI96)


def _ours(code: str, signature: str | None, keys: Sequence[SigningKey], form: ScanForm,
          host_error: bool) -> ParsedScan:
    code = code.upper()
    if not _has_code_shape(code):
        return _fail(ScanError.UNKNOWN_FORMAT, "not a cylinder code", form=form)
    if check_char(code[:-1]) != code[-1]:
        return _fail(ScanError.BAD_CHECK_CHARACTER,
                     "the check character is wrong (a typo or a misread label)", form=form)
    if host_error:
        return ParsedScan(form, code, False, None, ScanError.FOREIGN_HOST,
                          "the URL's host is not one of this service's")
    if not signature:
        return ParsedScan(form, code, False, None, None, "code without a signature")
    signature = signature.upper()
    if not any(signature[:1] == k.key_id for k in keys):
        return ParsedScan(form, code, False, None, ScanError.UNKNOWN_KEY,
                          "the signature names no known key")
    if len(signature) != SIGNATURE_LENGTH or not verify(code, signature, keys):
        return ParsedScan(form, code, False, None, ScanError.BAD_SIGNATURE,
                          "the signature does not verify (a label not issued here)")
    return ParsedScan(form, code, True, None, None, "signed code")


def parse_scan(
    text: str, keys: Sequence[SigningKey], accepted_hosts: Collection[str]
) -> ParsedScan:
    """What a scan names and whether it is acceptable. Never raises."""
    if not isinstance(text, str):
        return _fail(ScanError.UNKNOWN_FORMAT, "not text")
    if len(text) > MAX_SCAN_LENGTH:
        return _fail(ScanError.TOO_LONG, f"longer than {MAX_SCAN_LENGTH} characters")
    text = _AIM.sub("", text.strip(" \t\r\n\x00"), count=1).strip()
    if not text:
        return _fail(ScanError.EMPTY, "nothing was read")
    if m := _GRAI_RAW.match(text):
        # checked before the control-character test: GS separates the GRAI from a next AI
        return _grai(m.group(1), m.group(2), ScanForm.GRAI)
    if not text.isprintable():
        return _fail(ScanError.UNPRINTABLE, "control characters in the scan")
    hosts = {h.lower() for h in accepted_hosts}

    if m := _OUR_URL.match(text):
        return _ours(m.group(2), m.group(3), keys, ScanForm.URL, m.group(1).lower() not in hosts)
    if m := _DIGITAL_LINK.match(text):
        serial = _decoded(m.group(2))
        if serial is None:
            return _fail(ScanError.BAD_GRAI, "a broken percent-escape in the Digital Link",
                         form=ScanForm.DIGITAL_LINK)
        return _grai(m.group(1), serial, ScanForm.DIGITAL_LINK)
    if m := _GRAI_HRI.match(text):
        return _grai(m.group(1), m.group(2), ScanForm.GRAI)
    if m := _EPC_URI.match(text):
        company, asset, encoded = m.groups()
        if len(company) + len(asset) != 12:
            return _fail(ScanError.BAD_EPC, "company prefix and asset type need 12 digits",
                         form=ScanForm.EPC_GRAI96)
        serial = _decoded(encoded)
        if not serial:  # EPC Tag Data Standard, GRAI pure identity: the serial is not empty
            return _fail(ScanError.BAD_EPC, "an EPC GRAI URI needs a serial",
                         form=ScanForm.EPC_GRAI96)
        body = "0" + company + asset
        return _grai(body + gs1_check_digit(body), serial, ScanForm.EPC_GRAI96)
    if _HEX24.match(text) and text[:2] == "33":
        return _epc_grai96(text)
    if m := _RAW_SIGNED.match(text):
        return _ours(m.group(1), m.group(2), keys, ScanForm.CODE, False)
    if _has_code_shape(text.upper()):
        return _ours(text, None, keys, ScanForm.CODE, False)
    if _OTHER_CODE.match(text):
        # GB/T 36051 (燃气气瓶和燃气瓶阀溯源二维码) leaves the code's content to the issuer: we
        # accept any such identifier as an external code and match it against the registry.
        normal = text.upper()
        return ParsedScan(ScanForm.GBT36051, None, False, f"GBT36051:{normal}", None,
                          "external traceability code")
    return _fail(ScanError.UNKNOWN_FORMAT, "not a code this service knows")


def normalize_external(text: str) -> str | None:
    """The normal form of a GRAI / Digital Link / EPC / GB/T 36051 code, for storing."""
    parsed = parse_scan(text, (), ())
    return parsed.external if parsed.ok else None


_TAG_SEPARATORS = re.compile(r"[\s:\-]")


def normalize_tag_id(text: str) -> str | None:
    """An RFID tag id (EPC or TID) as upper-case hex, or None if it is not one."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    tag = _TAG_SEPARATORS.sub("", text).upper()
    if not 8 <= len(tag) <= 64 or len(tag) % 2 or not re.fullmatch(r"[0-9A-F]+", tag):
        return None
    return tag
