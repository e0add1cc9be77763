//! The layout motcua wrote before the national axis's (root `edXMLEnvelope`, `Bussiness` in
//! `MessageHeader`, attachments inside the body as `Attachment/Data`, a detached CMS signature
//! in `Signature`). Still written for packages read in this layout, so their signatures, made
//! over this canonical form, keep verifying; new packages use [`super::axis`].

use super::{DocumentPackage, StatusPackage, Writer};

pub(super) fn document(p: &DocumentPackage, full: bool) -> String {
    let h = &p.header;
    // Sized for the attachments' base64 up front, so a large one is not copied as the
    // text grows.
    let attachments: usize = p.attachments.iter().map(|a| a.data.len().div_ceil(3) * 4 + 256).sum();
    let mut w = Writer::with_capacity(8192 + attachments);
    w.envelope_open();
    w.open("edXMLHeader");
    w.out.push('\n');
    w.open("MessageHeader");
    w.out.push('\n');
    w.organ("From", &h.from);
    for to in &h.to {
        w.organ("To", to);
    }
    w.leaf("DocumentId", &h.document_id());
    w.code_and_promulgation(h);
    w.open("DocumentType");
    w.leaf("TypeName", &h.document_type);
    w.close("DocumentType");
    w.subject_to_places(h);
    w.open("OtherInfo");
    w.leaf("Priority", &h.priority.0.to_string());
    w.close("OtherInfo");
    // QCVN 102 spells it "Bussiness".
    w.open("Bussiness");
    w.leaf("BussinessDocType", &h.business.code().to_string());
    w.leaf("BussinessDocReason", &h.business_reason);
    w.leaf("Revision", &h.revision.to_string());
    w.close("Bussiness");
    w.close("MessageHeader");
    if full {
        w.open("TraceHeaderList");
        w.out.push('\n');
        for t in &p.traces {
            w.open("TraceHeader");
            w.leaf("OrganId", t.organ_id.as_str());
            w.leaf("Timestamp", &t.timestamp.to_string());
            w.close("TraceHeader");
        }
        w.close("TraceHeaderList");
        if let Some(sig) = &p.signature {
            w.leaf_b64("Signature", sig);
        }
    }
    w.close("edXMLHeader");
    w.open("edXMLBody");
    w.out.push('\n');
    w.open("edXMLManifest");
    w.out.push('\n');
    for (i, a) in p.attachments.iter().enumerate() {
        w.open("Reference");
        w.leaf("ContentId", &format!("att{}", i + 1));
        w.leaf("AttachmentName", &a.name);
        w.leaf("ContentType", &a.content_type);
        w.leaf("Description", &a.description);
        w.close("Reference");
    }
    w.close("edXMLManifest");
    for (i, a) in p.attachments.iter().enumerate() {
        w.open("Attachment");
        w.leaf("ContentId", &format!("att{}", i + 1));
        w.leaf_b64("Data", &a.data);
        w.close("Attachment");
    }
    w.close("edXMLBody");
    w.out.push_str("</edXML:edXMLEnvelope>\n");
    w.out
}

pub(super) fn status(s: &StatusPackage, full: bool) -> String {
    let mut w = Writer::new();
    w.envelope_open();
    w.open("edXMLHeader");
    w.out.push('\n');
    w.open("Status");
    w.out.push('\n');
    w.response_for(&s.response_for);
    w.organ("From", &s.from);
    w.leaf("Timestamp", &s.timestamp.to_string());
    w.leaf("StatusCode", s.status.code());
    w.leaf("Description", &s.description);
    w.open("StaffInfo");
    w.leaf("Department", &s.department);
    w.leaf("Staff", &s.staff);
    w.close("StaffInfo");
    w.leaf("Revision", &s.revision.to_string());
    w.close("Status");
    if full && let Some(sig) = &s.signature {
        w.leaf_b64("Signature", sig);
    }
    w.close("edXMLHeader");
    w.out.push_str("</edXML:edXMLEnvelope>\n");
    w.out
}
