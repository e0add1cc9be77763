//! The layout the national document axis and the provinces' platforms (LGSP) write and read,
//! as the axis's SDK sample (`edoc_new.edxml`) and the public integrations built on it have it:
//!
//! ```text
//! <edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
//!   <edXML:edXMLEnvelope xmlns:edXML="…same…">
//!     <edXML:edXMLHeader>
//!       <edXML:MessageHeader> From, To…, Code, PromulgationInfo, DocumentType, Subject,
//!         Content, SignerInfo, DueDate, ToPlaces, OtherInfo, SteeringType, DocumentId
//!       <edXML:TraceHeaderList id version mustUnderstand actor> TraceHeader…, Bussiness
//!       <edXML:DigitalSignature>
//!     <edXML:edXMLBody><edXML:edXMLManifest version="1.0">
//!       <edXML:Reference xlink:href="cid:att1" …> ContentId, ContentType, Description, AttachmentName
//!   <AttachmentEncoded><Attachment> ContentId, AttachmentName, Description, ContentType,
//!     ContentTransferEncoded (base64)
//! ```
//!
//! A status package keeps the root and envelope and carries `Status` (ResponseFor, From,
//! StatusCode, Description, Timestamp, StaffInfo) in the header instead of `MessageHeader`.
//! motcua adds one element of its own, `Revision` (in `Bussiness` and in `Status`), which
//! readers that do not know it skip.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use super::{DocumentPackage, NAMESPACE, Organ, StatusPackage, Writer};
use crate::ExchangeError;

const XLINK: &str = "http://www.w3.org/1999/xlink";
const SOAP_ACTOR: &str = "http://schemas.xmlsoap.org/soap/actor/next";

/// Times in packages are Vietnam's wall clock (UTC+7), to the second.
fn vietnam() -> TimeZone {
    TimeZone::fixed(Offset::constant(7))
}

/// `yyyy/MM/dd HH:mm:ss`, as in `TraceHeader/Timestamp`.
pub(super) fn fmt_trace_time(t: Timestamp) -> String {
    t.to_zoned(vietnam()).strftime("%Y/%m/%d %H:%M:%S").to_string()
}

/// `dd/MM/yyyy HH:mm:ss`, as status packages give their time.
pub(super) fn fmt_status_time(t: Timestamp) -> String {
    t.to_zoned(vietnam()).strftime("%d/%m/%Y %H:%M:%S").to_string()
}

/// Reads a time in any of the forms packages carry: `yyyy/MM/dd HH:mm:ss`,
/// `dd/MM/yyyy HH:mm:ss` (both Vietnam time) or RFC 3339 (motcua's earlier layout).
pub(super) fn parse_time(s: &str) -> Result<Timestamp, ExchangeError> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let format = if s.as_bytes().get(4) == Some(&b'/') { "%Y/%m/%d %H:%M:%S" } else { "%d/%m/%Y %H:%M:%S" };
    DateTime::strptime(format, s)
        .ok()
        .and_then(|dt| dt.to_zoned(vietnam()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| super::tree::bad(format!("thời điểm không hợp lệ: {s}")))
}

impl Writer {
    /// The root, the envelope and the header opened.
    fn header_open(&mut self) {
        self.out.push_str("<edXML xmlns=\"");
        self.out.push_str(NAMESPACE);
        self.out.push_str("\">\n");
        self.envelope_open();
        self.open("edXMLHeader");
        self.out.push('\n');
    }
    /// An organisation as the axis names one: code, the organisation in charge and the name.
    fn axis_organ(&mut self, name: &str, organ: &Organ) {
        self.open(name);
        self.leaf("OrganId", organ.id.as_str());
        self.leaf("OrganizationInCharge", &organ.name);
        self.leaf("OrganName", &organ.name);
        self.close(name);
    }
    /// `DigitalSignature`, holding the XML-DSig `Signature` element as it was made or read;
    /// empty while unsigned (what the signature's digest covers once it is taken out).
    fn signature_slot(&mut self, signature: Option<&[u8]>) {
        self.out.push_str("<edXML:DigitalSignature>");
        if let Some(sig) = signature {
            self.out.push_str(&String::from_utf8_lossy(sig));
        }
        self.out.push_str("</edXML:DigitalSignature>\n");
    }
    /// An element outside the envelope (the root's default namespace, no prefix).
    fn plain_leaf(&mut self, name: &str, text: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        super::escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
}

/// The cid an attachment is referenced by.
pub(super) fn content_id(index: usize) -> String {
    format!("att{}", index + 1)
}

/// The package in the axis's layout. Without `full`, without its signature: what the
/// XML-DSig signature covers (the whole package, trace included, the signature taken out).
pub(super) fn document(p: &DocumentPackage, full: bool) -> String {
    let h = &p.header;
    let attachments: usize = p.attachments.iter().map(|a| a.data.len().div_ceil(3) * 4 + 512).sum();
    let mut w = Writer::with_capacity(8192 + attachments);
    w.header_open();
    w.open("MessageHeader");
    w.out.push('\n');
    w.axis_organ("From", &h.from);
    for to in &h.to {
        w.axis_organ("To", to);
    }
    w.code_and_promulgation(h);
    w.open("DocumentType");
    if let Some(code) = super::document_type_code(&h.document_type) {
        w.leaf("Type", &code.to_string());
    }
    w.leaf("TypeName", &h.document_type);
    w.leaf("TypeDetail", "0");
    w.close("DocumentType");
    w.subject_to_places(h);
    w.open("OtherInfo");
    w.leaf("Priority", &h.priority.0.to_string());
    w.leaf("PromulgationAmount", "1");
    w.close("OtherInfo");
    w.leaf("SteeringType", "0");
    w.leaf("DocumentId", &h.document_id());
    w.close("MessageHeader");
    // The list's id is fixed so the signed form does not change between writings.
    w.out.push_str("<edXML:TraceHeaderList id=\"trace\" version=\"1.0\" mustUnderstand=\"1\" actor=\"");
    w.out.push_str(SOAP_ACTOR);
    w.out.push_str("\">\n");
    for t in &p.traces {
        w.open("TraceHeader");
        w.leaf("OrganId", t.organ_id.as_str());
        w.leaf("Timestamp", &fmt_trace_time(t.timestamp));
        w.close("TraceHeader");
    }
    // QCVN 102 spells it "Bussiness"; on the axis it sits in the trace list.
    w.open("Bussiness");
    w.leaf("BussinessDocType", &h.business.code().to_string());
    w.leaf("BussinessDocReason", &h.business_reason);
    w.leaf("Paper", "0");
    w.leaf("Revision", &h.revision.to_string());
    w.close("Bussiness");
    w.close("TraceHeaderList");
    w.signature_slot(p.signature.as_deref().filter(|_| full));
    w.close("edXMLHeader");
    w.open("edXMLBody");
    w.out.push_str("<edXML:edXMLManifest version=\"1.0\">\n");
    for (i, a) in p.attachments.iter().enumerate() {
        let cid = content_id(i);
        w.out.push_str("<edXML:Reference xmlns:xlink=\"");
        w.out.push_str(XLINK);
        w.out.push_str("\" xlink:href=\"cid:");
        w.out.push_str(&cid);
        w.out.push_str("\" xlink:type=\"simple\">");
        w.leaf("ContentId", &format!("cid:{cid}"));
        w.leaf("ContentType", &a.content_type);
        w.leaf("Description", &a.description);
        w.leaf("AttachmentName", &a.name);
        w.close("Reference");
    }
    w.close("edXMLManifest");
    w.close("edXMLBody");
    w.out.push_str("</edXML:edXMLEnvelope>\n");
    if !p.attachments.is_empty() {
        w.out.push_str("<AttachmentEncoded>\n");
        for (i, a) in p.attachments.iter().enumerate() {
            w.out.push_str("<Attachment>");
            w.plain_leaf("ContentId", &format!("cid:{}", content_id(i)));
            w.plain_leaf("AttachmentName", &a.name);
            w.plain_leaf("Description", &a.description);
            w.plain_leaf("ContentType", &a.content_type);
            w.out.push_str("<ContentTransferEncoded>");
            base64::Engine::encode_string(&base64::engine::general_purpose::STANDARD, &a.data, &mut w.out);
            w.out.push_str("</ContentTransferEncoded>\n");
            w.out.push_str("</Attachment>\n");
        }
        w.out.push_str("</AttachmentEncoded>\n");
    }
    w.out.push_str("</edXML>\n");
    w.out
}

/// A status package in the axis's layout (see the module's notes).
pub(super) fn status(s: &StatusPackage, full: bool) -> String {
    let mut w = Writer::new();
    w.header_open();
    w.open("Status");
    w.out.push('\n');
    w.response_for(&s.response_for);
    w.axis_organ("From", &s.from);
    w.leaf("StatusCode", s.status.code());
    w.leaf("Description", &s.description);
    w.leaf("Timestamp", &fmt_status_time(s.timestamp));
    w.open("StaffInfo");
    w.leaf("Department", &s.department);
    w.leaf("Staff", &s.staff);
    w.close("StaffInfo");
    w.leaf("Revision", &s.revision.to_string());
    w.close("Status");
    w.signature_slot(s.signature.as_deref().filter(|_| full));
    w.close("edXMLHeader");
    w.out.push_str("</edXML:edXMLEnvelope>\n</edXML>\n");
    w.out
}
