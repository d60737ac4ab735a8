#!/usr/bin/env python3
"""Reference PII scrubber for bench/bench_scrub: the same patterns and validators as
src/privacy/scrub_detect.cpp, written the plain way with Python's `re` (stdlib only), one line at a time.

It exists to give the C++ scrubber a fair baseline (throughput) and a cross-check (same output on the
benchmark corpus). Mask mode only, no term lists.

    python3 scrub_reference.py --input corpus.txt --output out.txt [--types email,phone,...]
"""
import argparse
import re
import sys
import time

A = re.ASCII

RULES = [
    ("email", r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    ("url", r"\b(?:(?i:https?|ftp)://|(?i:www)\.[A-Za-z0-9\-]+\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"),
    ("rrn", r"\b\d{6}[- ]?\d{7}\b"),
    ("card", r"\b\d{4}[- ]?\d{3,6}[- ]?\d{3,6}(?:[- ]?\d{1,6})?(?:[- ]?\d{3,4})?\b"),
    ("mobile", r"\b01[016789][-. ]?\d{3,4}[-. ]?\d{4}\b"),
    ("plus82", r"\+82[- ]?(?:\(0\)[- ]?|0)?(?:1[016789]|2|[3-6][1-5]|70)[-. ]?\d{3,4}[-. ]?\d{4}\b"),
    ("landline", r"(?:\(0(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)\) ?|\b0(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70)(?:\) ?|[-. ]))\d{3,4}[-. ]\d{4}\b"),
    ("intl", r"\+[1-9]\d{0,3}(?:[-. ]?(?:\(\d{1,4}\)|\d{1,4})){2,6}\b"),
    ("nanp", r"\(\d{3}\) ?\d{3}[-. ]\d{4}\b"),
    ("ipv4", r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
    ("ipv6", r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}\.\d{1,3}\.\d{1,3})?"),
]
TYPE_OF = {"email": "email", "url": "url", "rrn": "rrn", "card": "card", "mobile": "phone", "plus82": "phone",
           "landline": "phone", "intl": "phone", "nanp": "phone", "ipv4": "ip", "ipv6": "ip"}
TAG = {"email": "[EMAIL]", "phone": "[PHONE]", "rrn": "[RRN]", "frn": "[FRN]", "card": "[CARD]", "ip": "[IP]",
       "url": "[URL]"}
VERSION_WORDS_KO = ("버전", "버젼", "빌드", "릴리스", "릴리즈", "펌웨어", "업데이트", "패치")
VERSION_WORDS_EN = ("version", "ver", "v", "build", "release", "rev", "revision", "firmware", "update", "patch")


def isalnum(c):
    return c.isascii() and c.isalnum()


def isdigit(c):
    return "0" <= c <= "9"


def numeric_context_ok(t, b, e):
    p = t[b - 1] if b > 0 else ""
    if p and isalnum(p):
        return False
    if p in ("-", ".", "/") and b >= 2 and isdigit(t[b - 2]):
        return False
    n = t[e] if e < len(t) else ""
    if n and isalnum(n):
        return False
    if n in ("-", ".", "/") and e + 1 < len(t) and isdigit(t[e + 1]):
        return False
    return True


def bracketed_context_ok(t, b, e):
    p = t[b - 1] if b > 0 else ""
    if p and (isalnum(p) or p == "+"):
        return False
    n = t[e] if e < len(t) else ""
    if n and isalnum(n):
        return False
    if n in ("-", ".", "/") and e + 1 < len(t) and isdigit(t[e + 1]):
        return False
    return True


def luhn(d):
    s, dbl = 0, False
    for c in reversed(d):
        x = ord(c) - 48
        if dbl:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        s += x
        dbl = not dbl
    return s % 10 == 0


def rrn_check(d12, foreigner):
    w = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    s = sum((ord(c) - 48) * k for c, k in zip(d12, w))
    return (13 - s % 11) % 10 if foreigner else (11 - s % 11) % 10


def plausible(yy, mm, dd, g):
    century = {1: 1900, 2: 1900, 5: 1900, 6: 1900, 3: 2000, 4: 2000, 7: 2000, 8: 2000}.get(g)
    if century is None or not 1 <= mm <= 12 or dd < 1:
        return False
    y = century + yy
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mm - 1]
    if mm == 2 and (y % 4 == 0 and y % 100 != 0 or y % 400 == 0):
        days = 29
    return dd <= days


def groups_of(s):
    return re.findall(r"\d+", s), re.findall(r"[^\d]", s)


def v_email(t, b, e, on):
    if b > 0 and (isalnum(t[b - 1]) or t[b - 1] in "._%+-"):
        return None
    while b < e and t[b] in ".-+":
        b += 1
    at = t.find("@", b, e)
    if at <= b:
        return None
    local = t[b:at]
    if local.endswith(".") or ".." in local:
        return None
    labels = t[at + 1:e].split(".")
    while labels and not (len(labels[-1]) >= 2 and labels[-1].isascii() and labels[-1].isalpha()):
        labels.pop()
    if len(labels) < 2 or any(not l or len(l) > 63 or l[0] == "-" or l[-1] == "-" for l in labels):
        return None
    return b, at + 1 + len(".".join(labels)), "email"


def v_url(t, b, e, on):
    if b > 0 and (isalnum(t[b - 1]) or t[b - 1] == "@"):
        return None
    while e > b:
        c = t[e - 1]
        if c in ".,;:!?'\"*":
            e -= 1
            continue
        if c in ")]":
            o = "(" if c == ")" else "["
            if t[b:e].count(o) < t[b:e].count(c):
                e -= 1
                continue
        break
    s = t[b:e]
    h = s.find("://")
    h = 0 if h < 0 else h + 3
    if h >= len(s) or not isalnum(s[h]):
        return None
    return b, e, "url"


def v_rrn(t, b, e, on):
    if not numeric_context_ok(t, b, e):
        return None
    s = t[b:e]
    d = "".join(c for c in s if isdigit(c))
    g = int(d[6])
    if not 1 <= g <= 8 or not plausible(int(d[0:2]), int(d[2:4]), int(d[4:6]), g):
        return None
    typ = "frn" if g >= 5 else "rrn"
    if typ not in on:
        return None
    ok = rrn_check(d[:12], g >= 5) == int(d[12])
    if len(s) == 13 and not ok:
        return None
    return b, e, typ


def v_card(t, b, e, on):
    s = t[b:e]
    gs = [(m.start(), m.end()) for m in re.finditer(r"\d+", s)]
    seps = [s[gs[i][1]] for i in range(len(gs) - 1)]
    for k in range(len(gs), 0, -1):
        lens = [gs[i][1] - gs[i][0] for i in range(k)]
        n = sum(lens)
        if not 13 <= n <= 19:
            continue
        if k > 1:
            if any(seps[i] != seps[0] for i in range(k - 1)) or lens[0] != 4 or any(not 3 <= x <= 6 for x in lens[1:]):
                continue
        end = b + gs[k - 1][1]
        if not numeric_context_ok(t, b, end):
            continue
        d = "".join(s[x:y] for x, y in gs[:k])
        if luhn(d):
            return b, end, "card"
    return None


def v_mobile(t, b, e, on):
    if not numeric_context_ok(t, b, e):
        return None
    g = re.findall(r"\d+", t[b:e])
    if len(g) == 1:
        return (b, e, "phone") if len(g[0]) in (10, 11) else None
    return (b, e, "phone") if len(g) == 3 else None


def v_plus(t, b, e, on):
    if not bracketed_context_ok(t, b, e):
        return None
    s = t[b:e]
    if s.count("(") != s.count(")"):
        return None
    n = sum(1 for c in s if isdigit(c))
    return (b, e, "phone") if 8 <= n <= 15 else None


def v_landline(t, b, e, on):
    s = t[b:e]
    op = s[0] == "("
    if op and ")" not in s:
        return None
    if not (bracketed_context_ok(t, b, e) if op else numeric_context_ok(t, b, e)):
        return None
    return (b, e, "phone") if len(re.findall(r"\d+", s)) == 3 else None


def v_nanp(t, b, e, on):
    if not bracketed_context_ok(t, b, e) or not "2" <= t[b + 1] <= "9":
        return None
    return b, e, "phone"


def version_before(t, b):
    i = b
    while i > 0 and t[i - 1] in " :.(-=":
        i -= 1
    head = t[:i]
    for p in ("은", "는", "이", "가", "을", "를", "도", "의"):
        if head.endswith(p) and head[: -len(p)].endswith(VERSION_WORDS_KO):
            return True
    if head.endswith(VERSION_WORDS_KO):
        return True
    low = head.lower()
    for w in VERSION_WORDS_EN:
        if low.endswith(w):
            j = len(head) - len(w)
            if j == 0 or not (head[j - 1].isascii() and head[j - 1].isalpha()):
                return True
    return False


def v_ipv4(t, b, e, on):
    p = t[b - 1] if b > 0 else ""
    if p and (isalnum(p) or p == "."):
        return None
    n = t[e] if e < len(t) else ""
    if n and isalnum(n):
        return None
    if n == "." and e + 1 < len(t) and isdigit(t[e + 1]):
        return None
    for g in t[b:e].split("."):
        if len(g) > 1 and g[0] == "0" or int(g) > 255:
            return None
    if version_before(t, b) or t[e:e + 1] in ("절", "장", "항", "조"):
        return None
    return b, e, "ip"


def ipv4_text_ok(s):
    g = s.split(".")
    return len(g) == 4 and all(x.isdigit() and len(x) <= 3 and not (len(x) > 1 and x[0] == "0") and int(x) <= 255
                               for x in g)


def v_ipv6(t, b, e, on):
    p = t[b - 1] if b > 0 else ""
    if p and (isalnum(p) or p in ":."):
        return None
    n = t[e] if e < len(t) else ""
    if n and (isalnum(n) or n == ":"):
        return None
    s = t[b:e]
    dc = s.count("::")
    if dc > 1 or ":::" in s:
        return None
    parts = s.split(":")
    groups = nonempty = 0
    for k, g in enumerate(parts):
        if not g:
            if dc == 0:
                return None
            continue
        if k + 1 == len(parts) and "." in g:
            if not ipv4_text_ok(g):
                return None
            groups += 2
            nonempty += 2
            continue
        if len(g) > 4 or any(c not in "0123456789abcdefABCDEF" for c in g):
            return None
        groups += 1
        nonempty += 1
    if (groups != 8) if dc == 0 else (groups > 7):
        return None
    return (b, e, "ip") if nonempty >= 3 else None


VALIDATORS = {"email": v_email, "url": v_url, "rrn": v_rrn, "card": v_card, "mobile": v_mobile, "plus82": v_plus,
              "landline": v_landline, "intl": v_plus, "nanp": v_nanp, "ipv4": v_ipv4, "ipv6": v_ipv6}


def build(types):
    rules = [(name, pat) for name, pat in RULES if TYPE_OF[name] in types or (name == "rrn" and "frn" in types)]
    combined = re.compile("|".join("(?:%s)" % p for _, p in rules), A)
    anchored = [(name, re.compile(p, A)) for name, p in rules]
    return combined, anchored


def scrub_line(line, combined, anchored, on, counts):
    out, pos, last = [], 0, 0
    n = len(line)
    while pos < n:
        m = combined.search(line, pos)
        if not m:
            break
        s = m.start()
        hit = None
        for name, rx in anchored:
            am = rx.match(line, s)
            if am:
                hit = VALIDATORS[name](line, s, am.end(), on)
                if hit:
                    break
        if hit:
            b, e, typ = hit
            out.append(line[last:b])
            out.append(TAG[typ])
            counts[typ] = counts.get(typ, 0) + 1
            last = pos = e
        else:
            pos = s + 1
    out.append(line[last:])
    return "".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--types", default="email,phone,rrn,frn,card,ip")
    args = ap.parse_args()
    on = set(args.types.split(","))
    combined, anchored = build(on)
    counts = {}
    t0 = time.perf_counter()
    nbytes = 0
    with open(args.input, encoding="utf-8", newline="\n") as fin, open(args.output, "w", encoding="utf-8") as fout:
        for line in fin:
            nbytes += len(line.encode("utf-8"))
            fout.write(scrub_line(line.rstrip("\n"), combined, anchored, on, counts) + "\n")
    dt = time.perf_counter() - t0
    print("reference: %d bytes in %.3f s (%.2f MB/s) %s" % (nbytes, dt, nbytes / 1e6 / dt, counts), file=sys.stderr)


if __name__ == "__main__":
    main()
