# SPDX-License-Identifier: MIT
# sarif_check.py FILE [SRCROOT]: checks a `weft report --format=sarif`
# file: it validates against the SARIF 2.1.0 schema kept beside this
# script (schemas/), and holds what weft promises beyond the schema: a
# rule per kind with GitHub's precision and problem.severity, one result
# per group with occurrenceCount and a weft/v1 fingerprint, the merged
# thread flow first holding every step in execution order, thread flow
# ids unique, GitHub's limits kept, and file URIs either relative to
# %SRCROOT% (which SRCROOT, when given, must be) or absolute file:// URIs.
# Prints the document's summary as JSON lines for the shell to grep.
import json, os, re, sys, urllib.parse

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
schema = json.load(open(os.path.join(here, "schemas", "sarif-schema-2.1.0.json")))
doc = json.load(open(sys.argv[1], encoding="utf-8"))
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
assert not errors, "schema: %s at %s" % (errors[0].message, list(errors[0].path))

run = doc["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), ids
for r in rules:
    p = r.get("properties", {})
    if "fullDescription" in r:  # a catalogue kind
        assert p["precision"] in ("very-high", "medium"), r
        assert p["problem.severity"] in ("error", "warning"), r
        assert r["defaultConfiguration"]["level"] == p["problem.severity"], r
        assert r["help"]["text"] and r["shortDescription"]["text"], r

base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
assert base.startswith("file:///") and base.endswith("/"), base
if len(sys.argv) > 2:
    want = "file://" + urllib.parse.quote(os.path.realpath(sys.argv[2]).rstrip("/") + "/")
    assert base == want, (base, want)

def uris(o):
    if isinstance(o, dict):
        if "artifactLocation" in o:
            yield o["artifactLocation"]
        for v in o.values():
            yield from uris(v)
    elif isinstance(o, list):
        for v in o:
            yield from uris(v)

for a in uris(run["results"]):
    u = a["uri"]
    assert re.fullmatch(r"[A-Za-z0-9._~/%:-]+", u), u  # percent-encoded
    if a.get("uriBaseId") == "%SRCROOT%":
        assert not u.startswith("/") and "://" not in u, u
    else:
        assert "uriBaseId" not in a and u.startswith("file:///"), a

for res in run["results"]:
    assert res["occurrenceCount"] >= 1
    if res.get("baselineState") != "absent":  # GitHub: "expected at least one location"
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], res
    fp = res["partialFingerprints"]["weft/v1"]
    assert re.fullmatch(r"[0-9a-f]{16}", fp), fp
    if "ruleIndex" in res:
        assert ids[res["ruleIndex"]] == res["ruleId"], res["ruleId"]
    nloc = len(res.get("locations", [])) + len(res.get("relatedLocations", []))
    assert nloc <= 100, nloc
    # every location object of the result (stack frames too): GitHub
    # rejects a result with more than 1,000
    def nlocs(o):
        if isinstance(o, dict):
            return ("physicalLocation" in o or "logicalLocations" in o) + sum(map(nlocs, o.values()))
        return sum(map(nlocs, o)) if isinstance(o, list) else 0
    assert nlocs(res) <= 1000, nlocs(res)
    rel = [l["id"] for l in res.get("relatedLocations", [])]
    assert len(rel) == len(set(rel)), rel
    # embedded links [text](id) point at related locations; the program's
    # own brackets are escaped (SARIF 3.11.6)
    text = res["message"]["text"]
    links = re.findall(r"(?<!\\)\[((?:[^\]\\]|\\.)*)\]\((\d+)\)", text)
    assert all(int(i) in rel for _, i in links), (links, rel)
    bare = re.sub(r"(?<!\\)\[((?:[^\]\\]|\\.)*)\]\((\d+)\)", "", text)
    assert not re.search(r"(?<!\\)[\[\]]", bare), text
    if res.get("baselineState") == "absent":
        assert "codeFlows" not in res
        continue
    steps = 0
    for cf in res.get("codeFlows", []):
        tfs = cf["threadFlows"]
        assert tfs[0]["id"] == "all", tfs[0]["id"]
        tids = [t["id"] for t in tfs]
        assert len(tids) == len(set(tids)), tids
        merged = [l["executionOrder"] for l in tfs[0]["locations"]]
        assert merged == list(range(1, len(merged) + 1)), merged
        per = sorted(l["executionOrder"] for t in tfs[1:] for l in t["locations"])
        assert per == merged, (per, merged)
        for t in tfs[1:]:
            order = [l["executionOrder"] for l in t["locations"]]
            assert order == sorted(order), order
            assert all(l["properties"]["thread"] == t["id"] for l in t["locations"]), t["id"]
        ts = [l["properties"]["ts"] for l in tfs[0]["locations"]]
        assert ts == sorted(ts), ts
        steps += sum(len(t["locations"]) for t in tfs)
    assert steps <= 1000, steps

for res in run["results"]:
    out = {k: res.get(k) for k in ("ruleId", "level", "occurrenceCount", "baselineState")}
    out["fp"] = res["partialFingerprints"]["weft/v1"]
    loc = res.get("locations", [{}])[0].get("physicalLocation")
    if loc:
        out["site"] = "%s:%s" % (loc["artifactLocation"]["uri"], loc.get("region", {}).get("startLine"))
        out["base"] = loc["artifactLocation"].get("uriBaseId")
    for cf in res.get("codeFlows", []):
        out["flows"] = [t["id"] for t in cf["threadFlows"]]
        out["steps"] = [l["location"]["message"]["text"] for l in cf["threadFlows"][0]["locations"]]
    print(json.dumps(out, sort_keys=True))
print(json.dumps({"results": len(run["results"]), "rules": len(rules),
                  "left_out": run["properties"]["resultsLeftOut"]}))
