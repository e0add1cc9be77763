#!/usr/bin/env python3
"""An independent reader and writer of edXML packages in the national document axis's layout
(QCVN 102:2016 as the axis's SDK sample `edoc_new.edxml` and the public integrations have it),
written from that layout alone, not from motcua's code. The tests use it to check that what
motcua exports is what an outside system reads, and that what an outside system writes,
motcua reads.

    python3 e2e/edxml_axis.py read PACKAGE.xml   -> JSON of every header field and, per
                                                    attachment, its name, type and bytes
                                                    (base64) and SHA-256
    python3 e2e/edxml_axis.py write < SPEC.json  -> the package, on standard output

The layout (namespace N = http://www.mic.gov.vn/TBT/QCVN_102_2016):

    <edXML xmlns=N>
      <edXML:edXMLEnvelope xmlns:edXML=N>
        <edXML:edXMLHeader>
          <edXML:MessageHeader> From, To..., Code, PromulgationInfo, DocumentType, Subject,
                                Content, SignerInfo, DueDate, ToPlaces, OtherInfo,
                                SteeringType, DocumentId
          <edXML:TraceHeaderList id version mustUnderstand actor>
            <edXML:TraceHeader> OrganId, Timestamp (yyyy/MM/dd HH:mm:ss)
            <edXML:Bussiness> BussinessDocType, BussinessDocReason, Paper
          <edXML:DigitalSignature>
        <edXML:edXMLBody><edXML:edXMLManifest version="1.0">
          <edXML:Reference xlink:href="cid:X"> ContentId, ContentType, Description, AttachmentName
      <AttachmentEncoded>                         (outside the envelope)
        <Attachment> ContentId, AttachmentName, Description, ContentType, ContentTransferEncoded
"""
import base64
import hashlib
import json
import sys

from lxml import etree

N = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK = "http://www.w3.org/1999/xlink"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def q(name):
    return "{%s}%s" % (N, name)


def one(parent, name):
    found = parent.findall(q(name))
    if len(found) != 1:
        raise SystemExit("expected one %s in %s, found %d" % (name, parent.tag, len(found)))
    return found[0]


def text(parent, name):
    el = parent.find(q(name))
    return None if el is None else (el.text or "")


def organ(el):
    return {
        "id": text(el, "OrganId"),
        "name": text(el, "OrganName"),
        "in_charge": text(el, "OrganizationInCharge"),
    }


def strip_cid(s):
    s = (s or "").strip()
    return s[4:] if s.startswith("cid:") else s


def read(path):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.parse(path, parser).getroot()
    if root.tag != q("edXML"):
        raise SystemExit("root is %s, not edXML" % root.tag)
    envelope = one(root, "edXMLEnvelope")
    header = one(envelope, "edXMLHeader")
    mh = one(header, "MessageHeader")
    code = one(mh, "Code")
    info = one(mh, "PromulgationInfo")
    dtype = one(mh, "DocumentType")
    signer = one(mh, "SignerInfo")
    other = mh.find(q("OtherInfo"))
    places = mh.find(q("ToPlaces"))
    traces = one(header, "TraceHeaderList")
    business = one(traces, "Bussiness")
    out = {
        "root_nsmap": {k or "": v for k, v in root.nsmap.items()},
        "from": organ(one(mh, "From")),
        "to": [organ(t) for t in mh.findall(q("To"))],
        "code_number": text(code, "CodeNumber"),
        "code_notation": text(code, "CodeNotation"),
        "place": text(info, "Place"),
        "promulgation_date": text(info, "PromulgationDate"),
        "type": text(dtype, "Type"),
        "type_name": text(dtype, "TypeName"),
        "subject": text(mh, "Subject"),
        "content": text(mh, "Content"),
        "signer": {
            "competence": text(signer, "Competence"),
            "position": text(signer, "Position"),
            "full_name": text(signer, "FullName"),
        },
        "due_date": text(mh, "DueDate"),
        "to_places": [p.text or "" for p in places.findall(q("Place"))] if places is not None else [],
        "priority": text(other, "Priority") if other is not None else None,
        "document_id": text(mh, "DocumentId"),
        "trace_list": dict(traces.attrib),
        "traces": [
            {"organ_id": text(t, "OrganId"), "timestamp": text(t, "Timestamp")}
            for t in traces.findall(q("TraceHeader"))
        ],
        "business": {
            "type": text(business, "BussinessDocType"),
            "reason": text(business, "BussinessDocReason"),
        },
        "bussiness_in_message_header": mh.find(q("Bussiness")) is not None,
        "digital_signature": header.find(q("DigitalSignature")) is not None,
        "attachments": [],
    }
    body = one(envelope, "edXMLBody")
    manifest = one(body, "edXMLManifest")
    encoded = root.find(q("AttachmentEncoded"))
    holders = {}
    if encoded is not None:
        for a in encoded.findall(q("Attachment")):
            holders[strip_cid(text(a, "ContentId"))] = a
    if body.find(q("Attachment")) is not None or envelope.find(".//" + q("AttachmentEncoded")) is not None:
        raise SystemExit("attachments must sit outside the envelope")
    for ref in manifest.findall(q("Reference")):
        cid = strip_cid(ref.get("{%s}href" % XLINK))
        if not cid:
            raise SystemExit("a Reference without xlink:href")
        holder = holders.pop(cid)
        data = base64.b64decode("".join((text(holder, "ContentTransferEncoded") or "").split()), validate=True)
        out["attachments"].append({
            "content_id": cid,
            "name": text(ref, "AttachmentName"),
            "content_type": text(ref, "ContentType"),
            "description": text(ref, "Description"),
            "name_in_attachment": text(holder, "AttachmentName"),
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "base64": base64.b64encode(data).decode(),
        })
    if holders:
        raise SystemExit("attachments no Reference points at: %s" % sorted(holders))
    print(json.dumps(out, ensure_ascii=False))


def sub(parent, name, value=None, prefixed=True):
    el = etree.SubElement(parent, q(name))
    if value is not None:
        el.text = value
    return el


def signature_template(holder, algorithm):
    """An XML-DSig template for `xmlsec1 --sign` to fill: enveloped, over the whole
    document (URI=""), exclusive canonicalisation, SHA-256, the signer's certificate."""
    def ds(parent, name, **attrs):
        el = etree.SubElement(parent, "{%s}%s" % (DSIG, name), nsmap={None: DSIG} if parent is holder else None)
        for k, v in attrs.items():
            el.set(k, v)
        return el
    sig = ds(holder, "Signature")
    info = ds(sig, "SignedInfo")
    ds(info, "CanonicalizationMethod", Algorithm=EXC_C14N)
    ds(info, "SignatureMethod", Algorithm=algorithm)
    ref = ds(info, "Reference", URI="")
    transforms = ds(ref, "Transforms")
    ds(transforms, "Transform", Algorithm=DSIG + "enveloped-signature")
    ds(transforms, "Transform", Algorithm=EXC_C14N)
    ds(ref, "DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    ds(ref, "DigestValue")
    ds(sig, "SignatureValue")
    ds(ds(sig, "KeyInfo"), "X509Data")


def write(spec):
    """Writes a package from a JSON spec: from/to ({id, name}), number, notation, date
    (yyyy/MM/dd), type_name, subject, content, signer, place, trace_time, attachments
    ([{name, content_type, base64}]) and, to be signed by xmlsec1 afterwards,
    signature_algorithm (an XML-DSig SignatureMethod URI: a template goes in
    DigitalSignature)."""
    root = etree.Element(q("edXML"), nsmap={None: N})
    envelope = etree.SubElement(root, q("edXMLEnvelope"), nsmap={"edXML": N})
    header = sub(envelope, "edXMLHeader")
    mh = sub(header, "MessageHeader")
    for tag, org in [("From", spec["from"])] + [("To", t) for t in spec["to"]]:
        el = sub(mh, tag)
        sub(el, "OrganId", org["id"])
        sub(el, "OrganizationInCharge", org["name"])
        sub(el, "OrganName", org["name"])
    code = sub(mh, "Code")
    sub(code, "CodeNumber", str(spec["number"]))
    sub(code, "CodeNotation", spec["notation"])
    info = sub(mh, "PromulgationInfo")
    sub(info, "Place", spec.get("place", ""))
    sub(info, "PromulgationDate", spec["date"])
    dtype = sub(mh, "DocumentType")
    sub(dtype, "Type", "18")
    sub(dtype, "TypeName", spec["type_name"])
    sub(dtype, "TypeDetail", "0")
    sub(mh, "Subject", spec["subject"])
    sub(mh, "Content", spec.get("content", ""))
    signer = sub(mh, "SignerInfo")
    sub(signer, "Competence", spec["signer"]["competence"])
    sub(signer, "Position", spec["signer"]["position"])
    sub(signer, "FullName", spec["signer"]["full_name"])
    places = sub(mh, "ToPlaces")
    sub(places, "Place", "Như trên")
    other = sub(mh, "OtherInfo")
    sub(other, "Priority", "0")
    sub(mh, "SteeringType", "0")
    sub(mh, "DocumentId", "%s,%s,%s/%s" % (spec["from"]["id"], spec["date"], spec["number"], spec["notation"]))
    traces = sub(header, "TraceHeaderList")
    traces.set("id", "t1")
    traces.set("version", "1.0")
    traces.set("mustUnderstand", "1")
    traces.set("actor", "http://schemas.xmlsoap.org/soap/actor/next")
    trace = sub(traces, "TraceHeader")
    sub(trace, "OrganId", spec["from"]["id"])
    sub(trace, "Timestamp", spec["trace_time"])
    business = sub(traces, "Bussiness")
    sub(business, "BussinessDocType", "0")
    sub(business, "BussinessDocReason", "Văn bản điện tử mới")
    sub(business, "Paper", "0")
    holder = sub(header, "DigitalSignature")
    if spec.get("signature_algorithm"):
        signature_template(holder, spec["signature_algorithm"])
    body = sub(envelope, "edXMLBody")
    manifest = sub(body, "edXMLManifest")
    manifest.set("version", "1.0")
    encoded = etree.SubElement(root, q("AttachmentEncoded"))
    for i, a in enumerate(spec.get("attachments", [])):
        cid = "file-%d@outside" % (i + 1)
        ref = etree.SubElement(manifest, q("Reference"), nsmap={"xlink": XLINK})
        ref.set("{%s}href" % XLINK, "cid:" + cid)
        ref.set("{%s}type" % XLINK, "simple")
        sub(ref, "ContentId", "cid:" + cid)
        sub(ref, "ContentType", a["content_type"])
        sub(ref, "Description", a.get("description", ""))
        sub(ref, "AttachmentName", a["name"])
        att = sub(encoded, "Attachment")
        sub(att, "ContentId", cid)
        sub(att, "AttachmentName", a["name"])
        sub(att, "Description", a.get("description", ""))
        sub(att, "ContentType", a["content_type"])
        sub(att, "ContentTransferEncoded", a["base64"])
    sys.stdout.buffer.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "write":
        write(json.load(sys.stdin))
    else:
        raise SystemExit(__doc__)
