#!/usr/bin/env python3
"""Prometheus text format (0.0.4), read strictly, for the tests.

  promtext.py parse FILE            check FILE; print its samples as JSON:
                                    {"samples": {KEY: value}, "types": {family: type}}
                                    (KEY is name{label="value",...}, labels sorted; name alone without labels)
  promtext.py get SCRAPE.json KEY   print the value of one sample ("" if absent)
  promtext.py sum SCRAPE.json NAME [LABEL=VALUE...]
                                    the sum of NAME's samples with those labels
  promtext.py monotone OLD.json NEW.json
                                    print every counter (and histogram bucket,
                                    sum and count) of OLD that is lower, or
                                    gone, in NEW; nothing if none

parse exits 1 with one line per problem on stderr: a line that is not a
sample, a comment or empty; a bad escape in a label value; a sample without
a TYPE, or whose family's samples are not together; a TYPE given twice or
after its samples; a duplicate sample; a counter whose name does not end in
_total, or a negative counter; a histogram whose buckets are not cumulative,
lack +Inf, or whose +Inf is not its _count.
"""
import json
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"


def parse_labels(text, errors, n):
    """name="value",... (escapes \\\\, \\", \\n only) into a dict."""
    labels, i = {}, 0
    while i < len(text):
        m = re.compile(LABEL + "=\"").match(text, i)
        if not m:
            errors.append("line %d: bad label at %r" % (n, text[i:]))
            return None
        name = text[i:m.end() - 2]
        i, value = m.end(), []
        while i < len(text) and text[i] != '"':
            if text[i] == "\\":
                if i + 1 >= len(text) or text[i + 1] not in '\\"n':
                    errors.append("line %d: bad escape in label %s" % (n, name))
                    return None
                value.append({"\\": "\\", '"': '"', "n": "\n"}[text[i + 1]])
                i += 2
            else:
                value.append(text[i])
                i += 1
        if i >= len(text):
            errors.append("line %d: unterminated label %s" % (n, name))
            return None
        if name in labels:
            errors.append("line %d: label %s twice" % (n, name))
        labels[name] = "".join(value)
        i += 1
        if i < len(text):
            if text[i] != ",":
                errors.append("line %d: junk after label %s" % (n, name))
                return None
            i += 1
    return labels


def key(name, labels):
    if not labels:
        return name
    return name + "{" + ",".join(
        '%s="%s"' % (k, labels[k].replace("\\", "\\\\").replace('"', '\\"')
                     .replace("\n", "\\n"))
        for k in sorted(labels)) + "}"


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
            return name[:-len(suffix)]
    return name


def parse(path):
    types, samples, errors, helps = {}, {}, [], set()
    done, current = set(), None
    rows = []  # (family, name, labels, value)
    sample = re.compile(r"^(" + NAME + r")(?:\{(.*)\})? (\S+)$")
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not re.fullmatch(NAME, parts[2]):
                    errors.append("line %d: bad name in %s" % (n, parts[1]))
                    continue
                if parts[1] == "TYPE":
                    kind = parts[3] if len(parts) > 3 else ""
                    if kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        errors.append("line %d: bad type %r" % (n, kind))
                    if parts[2] in types:
                        errors.append("line %d: TYPE of %s twice" % (n, parts[2]))
                    if parts[2] in done or parts[2] == current:
                        errors.append("line %d: TYPE of %s after its samples" % (n, parts[2]))
                    types[parts[2]] = kind
                else:
                    if parts[2] in helps:
                        errors.append("line %d: HELP of %s twice" % (n, parts[2]))
                    helps.add(parts[2])
            continue
        m = sample.match(line)
        if not m:
            errors.append("line %d: not a sample: %r" % (n, line))
            continue
        name, ltext, vtext = m.group(1), m.group(2) or "", m.group(3)
        labels = parse_labels(ltext, errors, n)
        if labels is None:
            continue
        try:
            value = float(vtext.replace("+Inf", "inf").replace("-Inf", "-inf"))
        except ValueError:
            errors.append("line %d: bad value %r" % (n, vtext))
            continue
        fam = family_of(name, types)
        if fam not in types:
            errors.append("line %d: %s has no TYPE" % (n, name))
        if fam != current:
            if fam in done:
                errors.append("line %d: samples of %s are not together" % (n, fam))
            if current is not None:
                done.add(current)
            current = fam
        k = key(name, labels)
        if k in samples:
            errors.append("line %d: duplicate sample %s" % (n, k))
        samples[k] = value
        rows.append((fam, name, labels, value))
    for fam, kind in types.items():
        if kind == "counter":
            if not fam.endswith("_total"):
                errors.append("counter %s does not end in _total" % fam)
    for fam, name, labels, value in rows:
        if types.get(fam) == "counter" and (value < 0 or math.isnan(value)):
            errors.append("counter %s is %r" % (key(name, labels), value))
    # Histograms: per label set (le aside), cumulative buckets up to +Inf.
    hist = {}
    for fam, name, labels, value in rows:
        if types.get(fam) != "histogram":
            continue
        rest = {k: v for k, v in labels.items() if k != "le"}
        h = hist.setdefault((fam, key("", rest)), {"buckets": [], "count": None})
        if name == fam + "_bucket":
            if "le" not in labels:
                errors.append("%s without le" % key(name, labels))
                continue
            h["buckets"].append((float(labels["le"].replace("+Inf", "inf")), value))
        elif name == fam + "_count":
            h["count"] = value
    for (fam, rest), h in hist.items():
        b = h["buckets"]
        if not b or b[-1][0] != math.inf:
            errors.append("histogram %s%s has no +Inf bucket last" % (fam, rest))
            continue
        for (le1, c1), (le2, c2) in zip(b, b[1:]):
            if le2 <= le1 or c2 < c1:
                errors.append("histogram %s%s: bucket %g (%g) then %g (%g)"
                              % (fam, rest, le1, c1, le2, c2))
        if h["count"] != b[-1][1]:
            errors.append("histogram %s%s: count %r, +Inf %r" % (fam, rest, h["count"], b[-1][1]))
    return {"samples": samples, "types": types}, errors


def monotone(old, new):
    bad = []
    for k, v in old["samples"].items():
        name = k.split("{", 1)[0]
        fam = family_of(name, old["types"])
        kind = old["types"].get(fam)
        if kind != "counter" and not (kind == "histogram" and name != fam):
            continue
        if k not in new["samples"]:
            bad.append("%s vanished (was %g)" % (k, v))
        elif new["samples"][k] < v:
            bad.append("%s went down: %g -> %g" % (k, v, new["samples"][k]))
    return bad


def fmt(v):
    if v == v and abs(v) < 1e15 and v == int(v):
        return str(int(v))
    return repr(v)


def main():
    cmd = sys.argv[1]
    if cmd == "parse":
        doc, errors = parse(sys.argv[2])
        for e in errors:
            print(e, file=sys.stderr)
        json.dump(doc, sys.stdout)
        return 1 if errors else 0
    doc = json.load(open(sys.argv[2]))
    if cmd == "get":
        v = doc["samples"].get(sys.argv[3])
        print("" if v is None else fmt(v))
    elif cmd == "sum":
        want = dict(a.split("=", 1) for a in sys.argv[4:])
        total = 0.0
        for k, v in doc["samples"].items():
            if k.split("{", 1)[0] != sys.argv[3]:
                continue
            labels = {}
            for m in re.finditer(r'(\w+)="((?:[^"\\]|\\.)*)"', k):
                labels[m.group(1)] = m.group(2)
            if all(labels.get(a) == b for a, b in want.items()):
                total += v
        print(fmt(total))
    elif cmd == "monotone":
        for line in monotone(doc, json.load(open(sys.argv[3]))):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
