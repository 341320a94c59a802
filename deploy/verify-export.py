#!/usr/bin/env python3
"""Checks a saved JSON chronology export offline, with the service's public key alone, independently of the API's code:
the checkpoint's signature (openssl), then each entry's RFC 9162 inclusion proof against the signed root. Its leaf is the
RFC 8785 JSON of the entry's at, by, caseId, hash, ruleIds, version and what.

Usage: verify-export.py EXPORT.json PUBLIC_KEY.pem   (exit 0: valid; 1: not, naming the first entry that fails)"""
import base64, hashlib, json, os, subprocess, sys, tempfile

def leaf(case_id, e):
    fields = {k: e[k] for k in ("at", "by", "hash", "ruleIds", "version", "what")} | {"caseId": case_id}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()

def root_from_proof(index, size, leaf_hash, proof):  # RFC 9162, 2.1.3.2
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None

def main(path, key):
    export = json.load(open(path, encoding="utf-8"))
    cp = export["checkpoint"]
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "note"), "wb").write(cp["note"].encode())
        open(os.path.join(d, "sig"), "wb").write(base64.b64decode(cp["signature"]))
        ok = subprocess.run(["openssl", "dgst", "-sha256", "-verify", key, "-signature", os.path.join(d, "sig"), os.path.join(d, "note")],
                            capture_output=True).returncode == 0
    if not ok:
        return print("INVALID: the checkpoint's signature does not verify") or 1
    origin, size, root, _ = cp["note"].split("\n")
    if origin != "safeguarding-cases/export/" + export["exportId"] or int(size) != len(export["entries"]):
        return print("INVALID: the signed note is not this export's, or entries were added or removed") or 1
    for i, e in enumerate(export["entries"]):
        h = hashlib.sha256(b"\x00" + leaf(export["caseId"], e)).digest()
        proof = [base64.b64decode(p) for p in e["inclusionProof"]]
        if e["leafIndex"] != i or root_from_proof(i, int(size), h, proof) != base64.b64decode(root):
            return print(f"INVALID: entry {i} (case version {e['version']}) fails") or 1
    print(f"VALID: {size} entries")
    return 0

if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
