#!/usr/bin/env python3
"""An independent check of a paper's signed QR code (a motcua seal), written against the
standards and not motcua's code: `MC1:` + Base45 (RFC 9285) of a COSE_Sign1 message
(RFC 9052) holding a CBOR Web Token (RFC 8392), the signer's certificate in x5chain
(RFC 9360, label 33). Uses pycose, cbor2, base45 and cryptography from PyPI.

    python3 verify_seal.py TEXT CA.pem

Exit 0 and the claims as JSON when the signature verifies, the certificate was issued by
the CA and is valid now, and it names the organisation the token says issued the paper
(its UID); exit 1 and the reason otherwise.
"""
import datetime
import json
import sys

import base45
import cbor2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pycose.keys.ec2 import EC2Key
from pycose.keys.rsa import RSAKey
from pycose.messages import Sign1Message


def refuse(why):
    print(f"refused: {why}")
    sys.exit(1)


def main():
    text, ca_path = sys.argv[1].strip(), sys.argv[2]
    if not text.startswith("MC1:"):
        refuse("no MC1: prefix")
    try:
        raw = base45.b45decode(text[4:])
        outer = cbor2.loads(raw)
    except Exception as e:  # noqa: BLE001 - any decoding failure is a refusal
        refuse(f"not Base45/CBOR: {e}")
    if isinstance(outer, cbor2.CBORTag):
        if outer.tag != 18:
            refuse(f"tag {outer.tag}, not COSE_Sign1")
        outer = outer.value
    if not isinstance(outer, (list, tuple)) or len(outer) != 4:
        refuse("not a COSE_Sign1 array")
    protected = cbor2.loads(outer[0]) if outer[0] else {}
    chain = outer[1].get(33) or protected.get(33)
    if isinstance(chain, (list, tuple)):
        chain = chain[0]
    if not isinstance(chain, bytes):
        refuse("no x5chain certificate")
    cert = x509.load_der_x509_certificate(chain)
    with open(ca_path, "rb") as f:
        cas = x509.load_pem_x509_certificates(f.read())
    now = datetime.datetime.now(datetime.timezone.utc)
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        refuse(f"certificate not valid now ({cert.not_valid_before_utc} .. {cert.not_valid_after_utc})")
    issued_by_ca = False
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
            issued_by_ca = ca.not_valid_before_utc <= now <= ca.not_valid_after_utc
        except Exception:  # noqa: BLE001 - not this CA
            continue
        if issued_by_ca:
            break
    if not issued_by_ca:
        refuse("certificate not issued by the CA")

    public = cert.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        key = EC2Key(crv="P_256", x=numbers.x.to_bytes(32, "big"), y=numbers.y.to_bytes(32, "big"))
    elif isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        key = RSAKey(n=numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"), e=numbers.e.to_bytes(3, "big"))
    else:
        refuse("unsupported key")
    message = Sign1Message.decode(raw)
    message.key = key
    try:
        good = message.verify_signature()
    except Exception as e:  # noqa: BLE001 - a malformed signature is a refusal
        refuse(f"signature: {e}")
    if not good:
        refuse("bad signature")

    claims = cbor2.loads(outer[2])
    uid = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.USER_ID)]
    if uid != [claims.get(1)]:
        refuse(f"certificate of {uid} does not belong to the issuer {claims.get(1)}")
    shown = {str(k): (v.hex() if isinstance(v, bytes) else v) for k, v in claims.items()}
    print(json.dumps(shown, ensure_ascii=False))


if __name__ == "__main__":
    main()
