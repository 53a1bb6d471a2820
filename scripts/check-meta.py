#!/usr/bin/env python3
"""Check a release tree's META.json against the PGXN meta spec 1.0.0 (the
parts PGXN Manager rejects a distribution for) and against the tree itself:
  python3 scripts/check-meta.py [TREE]"""
import json, os, re, sys

tree = sys.argv[1] if len(sys.argv) > 1 else "."
meta = json.load(open(os.path.join(tree, "META.json")))
errors = []
semver = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z]+)?$")
for key in ("name", "abstract", "maintainer", "license", "provides", "meta-spec", "version"):
    if key not in meta:
        errors.append("missing required key %r" % key)
if not semver.match(meta.get("version", "")):
    errors.append("version %r is not a semantic version" % meta.get("version"))
if meta.get("meta-spec", {}).get("version") != "1.0.0":
    errors.append("meta-spec version must be 1.0.0")
if meta.get("license") not in ("postgresql", "mit", "bsd", "apache_2_0", "gpl_3"):
    errors.append("unexpected license %r" % meta.get("license"))
for ext, p in meta.get("provides", {}).items():
    if not semver.match(p.get("version", "")):
        errors.append("provides.%s.version is not a semantic version" % ext)
    for f in ("file", "docfile"):
        if f in p and not os.path.exists(os.path.join(tree, p[f])):
            errors.append("provides.%s.%s %s is not in the tree" % (ext, f, p[f]))
    control = os.path.join(tree, ext + ".control")
    if not os.path.exists(control):
        errors.append("%s.control is not in the tree" % ext)
if not os.path.exists(os.path.join(tree, "LICENSE")):
    errors.append("no LICENSE in the tree")
if os.path.isdir(os.path.join(tree, "debian")):
    errors.append("debian/ should not be in the release tree")
for e in errors:
    print("META.json: " + e, file=sys.stderr)
if errors:
    sys.exit(1)
print("META.json: %s %s ok" % (meta["name"], meta["version"]))
