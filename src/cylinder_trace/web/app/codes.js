// The cylinder code on the phone: the same ISO/IEC 7064 MOD 37,36 check character as
// src/cylinder_trace/domain/codes.py, so a misread label or a typo is caught before anything
// is sent. Pure functions; tests/browser/test_phone_app.py checks them against the Python ones.
export const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SERIAL_LENGTH = 8;

export function checkChar(body) {
  let p = 36;
  for (const ch of body) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return null;
    const s = (p + v) % 36 || 36;
    p = (s * 2) % 37;
  }
  return ALPHABET[(37 - p) % 36];
}

const SHAPE = new RegExp(`^[A-Z]{1,4}[0-9A-Z]{${SERIAL_LENGTH + 1}}$`);

function hasShape(code) {
  if (!SHAPE.test(code)) return false;
  return /^[A-Z]+$/.test(code.slice(0, code.length - SERIAL_LENGTH - 1));
}

// What a scan or a typed entry names: {code} for one of our codes (the label's URL, CODE/SIG,
// or the bare code), {error} when it looks like ours but the check character is wrong, or
// {other: text} for anything else (another issuer's code: the service decides).
export function readScan(raw) {
  const text = String(raw || "").trim();
  if (!text) return { error: "EMPTY" };
  let candidate = text.toUpperCase();
  const url = candidate.match(/^HTTPS?:\/\/[^/]+\/C\/([0-9A-Z]+)(?:\/([0-9A-Z]+))?\/?$/);
  if (url) candidate = url[1];
  else if (/^[0-9A-Z]+\/[0-9A-Z]+$/.test(candidate)) candidate = candidate.split("/")[0];
  if (hasShape(candidate)) {
    if (checkChar(candidate.slice(0, -1)) === candidate.slice(-1)) return { code: candidate };
    return { error: "BAD_CHECK_CHARACTER", code: candidate };
  }
  if (url) return { error: "BAD_CHECK_CHARACTER", code: candidate };
  return { other: text };
}
