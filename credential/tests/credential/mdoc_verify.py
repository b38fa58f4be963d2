"""Verifies mdoc credentials with pymdoccbor, an implementation this project did not write.

Reads JSON on stdin: {"doc_type", "iaca_pem", "now", "documents": [{"credential"
(base64url IssuerSigned), "holder_jwk", "elements"}]}. For each document it checks, with
pymdoccbor and pycose/cbor2 only: issuerAuth's signature with the key of the x5chain
certificate, that certificate against the IACA root, every item digest, that every
namespace has digests, the docType, the validity period, and that deviceKey is the holder
key. It also checks that pymdoccbor notices a flipped byte in an item and in the signature,
so a passing run means the verifier really looked. Prints a JSON summary; exits non-zero
with a message on the first failure.
"""

import base64
import json
import sys
from datetime import datetime, timezone

import cbor2
from cryptography import x509
from pycose.keys import CoseKey
from pymdoccbor.mdoc.verifier import MobileDocument


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def thaw(obj):
    """cbor2 >= 6 decodes to immutable types; pymdoccbor wants plain lists and dicts."""
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, thaw(obj.value))
    if isinstance(obj, dict) or hasattr(obj, "items"):
        return {thaw(k): thaw(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [thaw(item) for item in obj]
    return obj


def verify(issuer_signed, doc_type, roots):
    document = MobileDocument(docType=doc_type, issuerSigned=issuer_signed)
    valid = document.verify(trusted_root_certs=roots, verify_hashes=True)
    return document, valid


def check_device_key(device_key, jwk):
    key = CoseKey.from_dict(device_key)
    if jwk["kty"] == "EC":
        expected_curve = {"P-256": "P_256", "P-384": "P_384", "P-521": "P_521"}[jwk["crv"]]
        if key.crv.fullname != expected_curve:
            fail(f"deviceKey curve {key.crv.fullname} is not {expected_curve}")
        if key.x != b64url(jwk["x"]) or key.y != b64url(jwk["y"]):
            fail("deviceKey coordinates differ from the proof key")
    elif jwk["kty"] == "OKP":
        if key.crv.fullname != "ED25519" or key.x != b64url(jwk["x"]):
            fail("deviceKey differs from the Ed25519 proof key")
    else:
        fail(f"unexpected holder key type {jwk['kty']}")
    return type(key).__name__


def check_document(entry, doc_type, roots, now):
    raw = b64url(entry["credential"])
    issuer_signed = thaw(cbor2.loads(raw))
    if set(issuer_signed) != {"nameSpaces", "issuerAuth"}:
        fail(f"IssuerSigned has members {sorted(issuer_signed)}")
    if not isinstance(issuer_signed["issuerAuth"], list):
        fail("issuerAuth is not an untagged COSE_Sign1 array")

    document, valid = verify(issuer_signed, doc_type, roots)
    hashes = document.hash_verification or {}
    if not valid:
        fail(f"pymdoccbor rejects the document: {hashes}")
    if hashes.get("failed") or hashes.get("verified") != entry["elements"]:
        fail(f"item digests: {hashes}, expected {entry['elements']} verified")

    mso = document.issuersigned.issuer_auth.payload_as_dict
    if mso.get("version") != "1.0" or mso.get("digestAlgorithm") != "SHA-256":
        fail(f"MSO version/digestAlgorithm: {mso.get('version')} {mso.get('digestAlgorithm')}")
    if mso.get("docType") != doc_type:
        fail(f"docType {mso.get('docType')!r} is not {doc_type!r}")
    if set(issuer_signed["nameSpaces"]) - set(mso["valueDigests"]):
        fail("a namespace has no digests in the MSO")
    validity = mso["validityInfo"]
    signed, valid_from, valid_until = (
        validity["signed"], validity["validFrom"], validity["validUntil"]
    )
    if not all(isinstance(t, datetime) for t in (signed, valid_from, valid_until)):
        fail(f"validityInfo values are not tdates: {validity}")
    if not (signed <= valid_from <= now < valid_until):
        fail(f"validity does not hold at {now}: {validity}")
    key_type = check_device_key(thaw(mso["deviceKeyInfo"]["deviceKey"]), entry["holder_jwk"])

    salts = []
    for items in issuer_signed["nameSpaces"].values():
        for item in items:
            inner = cbor2.loads(item.value)
            salts.append(inner["random"])
    if len(set(salts)) != len(salts) or min(len(s) for s in salts) < 16:
        fail("salts are not distinct or shorter than 16 bytes")

    # The verifier must notice tampering: an item byte, then a signature byte.
    tampered = thaw(cbor2.loads(raw))
    first_namespace = next(iter(tampered["nameSpaces"]))
    item = tampered["nameSpaces"][first_namespace][0]
    changed = bytearray(item.value)
    changed[-1] ^= 0x01
    tampered["nameSpaces"][first_namespace][0] = cbor2.CBORTag(24, bytes(changed))
    if verify(tampered, doc_type, roots)[1]:
        fail("pymdoccbor accepted a tampered item")
    tampered = thaw(cbor2.loads(raw))
    signature = bytearray(tampered["issuerAuth"][3])
    signature[0] ^= 0x01
    tampered["issuerAuth"][3] = bytes(signature)
    try:
        accepted = verify(tampered, doc_type, roots)[1]
    except Exception:
        accepted = False
    if accepted:
        fail("pymdoccbor accepted a tampered signature")

    return {
        "verified_items": hashes["verified"],
        "device_key": key_type,
        "valid_until": valid_until.isoformat(),
    }


def main():
    request = json.load(sys.stdin)
    roots = [x509.load_pem_x509_certificate(request["iaca_pem"].encode())]
    now = datetime.fromtimestamp(request["now"], tz=timezone.utc)
    results = [
        check_document(entry, request["doc_type"], roots, now)
        for entry in request["documents"]
    ]
    print(json.dumps({"ok": True, "documents": results}))


main()
