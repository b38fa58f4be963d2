"""Checks Status List Tokens we issued with implementations we did not write.

Input (stdin, JSON): {"jwk": <issuer public JWK>, "cases": [{"uri", "bits", "size",
"statuses": [[index, value], ...], "jwt", "cwt_hex"}]}. For each case: the JWT's ES256
signature (jwcrypto), the CWT's COSE_Sign1 ES256 signature (pycose), the headers and claims
the draft requires, and every entry of both lists (token-status-list's BitArray) against
the expected statuses. Prints one line per case; exits non-zero on the first mismatch.
"""

import base64
import json
import sys
import zlib

import cbor2
from jwcrypto import jwk, jws
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import CoseMessage
from token_status_list import BitArray


def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_entries(name, array, case):
    expected = dict((int(i), int(v)) for i, v in case["statuses"])
    if len(array) < case["size"]:
        raise AssertionError(f"{name}: {len(array)} entries, expected {case['size']}")
    for index in range(case["size"]):
        got = array.get(index)
        want = expected.get(index, 0)
        if got != want:
            raise AssertionError(f"{name}: status[{index}] = {got}, expected {want}")


def check_jwt(case, key):
    token = jws.JWS()
    token.deserialize(case["jwt"])
    token.verify(key, alg="ES256")
    header = token.jose_header
    assert header["typ"] == "statuslist+jwt", header
    assert header["alg"] == "ES256", header
    assert header["kid"] == key.key_id, header
    claims = json.loads(token.payload)
    assert claims["sub"] == case["uri"], claims
    assert isinstance(claims["iat"], int) and claims["exp"] > claims["iat"], claims
    assert claims["ttl"] > 0, claims
    assert claims["status_list"]["bits"] == case["bits"], claims
    check_entries("jwt", BitArray.load(claims["status_list"]), case)


def check_cwt(case, public):
    message = CoseMessage.decode(bytes.fromhex(case["cwt_hex"]))
    message.key = EC2Key(crv=P256, x=b64(public["x"]), y=b64(public["y"]))
    assert message.verify_signature(), "COSE_Sign1 signature"
    typ = [v for k, v in message.phdr.items() if k == 16 or getattr(k, "identifier", None) == 16]
    assert typ == ["application/statuslist+cwt"], message.phdr
    claims = cbor2.loads(message.payload)
    assert claims[2] == case["uri"], claims
    assert claims[4] > claims[6] and claims[65534] > 0, claims
    status_list = claims[65533]
    assert status_list["bits"] == case["bits"], status_list
    check_entries("cwt", BitArray(status_list["bits"], zlib.decompress(status_list["lst"])), case)


def main():
    request = json.load(sys.stdin)
    key = jwk.JWK(**request["jwk"])
    for case in request["cases"]:
        check_jwt(case, key)
        check_cwt(case, request["jwk"])
        print(f"ok: {case['bits']}-bit list of {case['size']} ({len(case['statuses'])} set)")


if __name__ == "__main__":
    main()
