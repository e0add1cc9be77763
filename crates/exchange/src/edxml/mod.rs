//! edXML packages (QCVN 102:2016/BTTTT): an official document with its header, trace and
//! signature and base64 attachments, and the status package that answers it.
//!
//! Writing is deterministic, so the bytes a signature covers can be rebuilt from a parsed
//! package: the *canonical* form is the package written without its `TraceHeaderList`
//! (hops add to it) and without its `Signature`. Reading refuses document type
//! declarations (hence external and custom entities), packages over
//! [`MAX_PACKAGE_BYTES`], nesting deeper than 16 and more than 20,000 elements.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::OrgCode;
use serde::{Deserialize, Serialize};

use crate::ExchangeError;

mod manifest;
mod tree;
pub use manifest::AttachmentSummary;
pub use tree::MAX_PACKAGE_BYTES;
use tree::{Node, bad, parse_tree};

/// The namespace of QCVN 102:2016 packages.
pub const NAMESPACE: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";
/// Longest subject (QCVN 102: at most 500 characters).
pub const MAX_SUBJECT_CHARS: usize = 500;

/// An organisation as packages name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organ {
    pub id: OrgCode,
    pub name: String,
}

/// Business type of a document package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BusinessType {
    /// 0: a new document.
    #[default]
    New,
    /// 1: the sender recalls it.
    Recall,
    /// 2: the sender updates it (same number).
    Update,
    /// 3: the sender replaces it.
    Replace,
}

impl BusinessType {
    pub fn code(self) -> u8 {
        match self {
            Self::New => 0,
            Self::Recall => 1,
            Self::Update => 2,
            Self::Replace => 3,
        }
    }
    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => Self::New,
            1 => Self::Recall,
            2 => Self::Update,
            3 => Self::Replace,
            _ => return None,
        })
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::New => "Văn bản mới",
            Self::Recall => "Thu hồi",
            Self::Update => "Cập nhật",
            Self::Replace => "Thay thế",
        }
    }
}

/// Who signed the document on paper terms: "TM. UBND", "Chủ tịch", the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SignerInfo {
    pub competence: String,
    pub position: String,
    pub full_name: String,
}

/// Priority (độ khẩn): 0 normal, 1 urgent (khẩn), 2 very urgent (thượng khẩn), 3 express
/// (hỏa tốc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Priority(pub u8);

impl Priority {
    pub fn parse(n: u8) -> Option<Self> {
        (n <= 3).then_some(Self(n))
    }
    pub fn label_vi(self) -> &'static str {
        match self.0 {
            1 => "Khẩn",
            2 => "Thượng khẩn",
            3 => "Hỏa tốc",
            _ => "Thường",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self.0 {
            1 => "Urgent",
            2 => "Very urgent",
            3 => "Express",
            _ => "Normal",
        }
    }
}

/// The header of a document package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHeader {
    pub from: Organ,
    pub to: Vec<Organ>,
    /// Number in the sender's outgoing register for the year.
    pub code_number: u32,
    /// Notation after the number, e.g. `UBND-VP` in `267/UBND-VP`.
    pub code_notation: String,
    pub place: String,
    pub promulgation_date: Date,
    /// Document type (Công văn, Quyết định, Thông báo, …).
    pub document_type: String,
    pub subject: String,
    pub content: String,
    pub signer: SignerInfo,
    pub due_date: Option<Date>,
    pub to_places: Vec<String>,
    pub priority: Priority,
    pub business: BusinessType,
    pub business_reason: String,
    /// 0 for the first package of a document, then 1, 2, … for each recall, update or
    /// replacement of it; receivers use (DocumentId, revision) to drop repeats.
    pub revision: u32,
}

impl MessageHeader {
    /// `number/notation`, e.g. `267/UBND-VP`.
    pub fn code(&self) -> String {
        format!("{}/{}", self.code_number, self.code_notation)
    }
    /// `senderOrganId,YYYY/MM/DD,number/notation`.
    pub fn document_id(&self) -> String {
        format!("{},{},{}", self.from.id, fmt_date(self.promulgation_date), self.code())
    }
    /// Checks what QCVN 102 requires of a header.
    pub fn validate(&self) -> Result<(), ExchangeError> {
        let subject_len = self.subject.chars().count();
        if self.subject.trim().is_empty() {
            return Err(ExchangeError::Invalid("trích yếu (Subject) là bắt buộc".into()));
        }
        if subject_len > MAX_SUBJECT_CHARS {
            return Err(ExchangeError::Invalid(format!(
                "trích yếu dài {subject_len} ký tự, tối đa {MAX_SUBJECT_CHARS}"
            )));
        }
        if self.to.is_empty() {
            return Err(ExchangeError::Invalid("văn bản phải có ít nhất một nơi nhận".into()));
        }
        if self.code_number == 0 {
            return Err(ExchangeError::Invalid("số văn bản phải lớn hơn 0".into()));
        }
        if !valid_notation(&self.code_notation) {
            return Err(ExchangeError::Invalid(format!("ký hiệu văn bản không hợp lệ: {}", self.code_notation)));
        }
        if self.document_type.trim().is_empty() {
            return Err(ExchangeError::Invalid("loại văn bản là bắt buộc".into()));
        }
        Ok(())
    }
}

/// A notation such as `UBND-VP` or `QĐ-UBND`: letters, digits and `-`, at most 30.
pub fn valid_notation(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 30
        && s.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// One hop a package passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub organ_id: OrgCode,
    pub timestamp: Timestamp,
}

/// A file carried in the package.
#[derive(Clone, PartialEq, Eq)]
pub struct PackageAttachment {
    pub name: String,
    pub content_type: String,
    pub description: String,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for PackageAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageAttachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// A document package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPackage {
    pub header: MessageHeader,
    pub traces: Vec<Trace>,
    /// DER of the detached CMS signature over [`DocumentPackage::canonical`].
    pub signature: Option<Vec<u8>>,
    pub attachments: Vec<PackageAttachment>,
}

/// Status codes of QCVN 102 status packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusCode {
    Arrived,
    Rejected,
    Accepted,
    Assigned,
    InProcess,
    Completed,
    Recalled,
    BusinessAccepted,
    BusinessRefused,
}

impl StatusCode {
    pub const ALL: [StatusCode; 9] = [
        Self::Arrived,
        Self::Rejected,
        Self::Accepted,
        Self::Assigned,
        Self::InProcess,
        Self::Completed,
        Self::Recalled,
        Self::BusinessAccepted,
        Self::BusinessRefused,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::Arrived => "01",
            Self::Rejected => "02",
            Self::Accepted => "03",
            Self::Assigned => "04",
            Self::InProcess => "05",
            Self::Completed => "06",
            Self::Recalled => "13",
            Self::BusinessAccepted => "15",
            Self::BusinessRefused => "16",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Arrived => "Đã đến",
            Self::Rejected => "Từ chối tiếp nhận",
            Self::Accepted => "Đã tiếp nhận",
            Self::Assigned => "Đã phân công",
            Self::InProcess => "Đang xử lý",
            Self::Completed => "Hoàn thành",
            Self::Recalled => "Đã thu hồi",
            Self::BusinessAccepted => "Đồng ý thu hồi/cập nhật",
            Self::BusinessRefused => "Từ chối thu hồi/cập nhật",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Arrived => "Arrived",
            Self::Rejected => "Rejected",
            Self::Accepted => "Accepted",
            Self::Assigned => "Assigned",
            Self::InProcess => "In process",
            Self::Completed => "Completed",
            Self::Recalled => "Recalled",
            Self::BusinessAccepted => "Recall/update accepted",
            Self::BusinessRefused => "Recall/update refused",
        }
    }
}

/// Which document a status answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseFor {
    pub organ_id: OrgCode,
    pub code: String,
    pub promulgation_date: Date,
    pub document_id: String,
}

/// A status package: a recipient tells the sender what became of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPackage {
    pub response_for: ResponseFor,
    pub from: Organ,
    pub status: StatusCode,
    pub description: String,
    pub department: String,
    pub staff: String,
    pub timestamp: Timestamp,
    /// The revision of the document this status answers (for 15/16: the recall/update).
    pub revision: u32,
    pub signature: Option<Vec<u8>>,
}

// ---------------------------------------------------------------------------------------
// Writing

pub fn fmt_date(d: Date) -> String {
    format!("{:04}/{:02}/{:02}", d.year(), d.month(), d.day())
}

fn parse_date(s: &str) -> Result<Date, ExchangeError> {
    let mut parts = s.trim().split('/');
    let mut next = || parts.next().and_then(|p| p.parse::<i32>().ok());
    match (next(), next(), next()) {
        (Some(y), Some(m), Some(d)) => {
            let (m, d) = (i8::try_from(m).ok(), i8::try_from(d).ok());
            match (i16::try_from(y).ok(), m, d) {
                (Some(y), Some(m), Some(d)) => Date::new(y, m, d).map_err(|_| bad(format!("ngày không hợp lệ: {s}"))),
                _ => Err(bad(format!("ngày không hợp lệ: {s}"))),
            }
        }
        _ => Err(bad(format!("ngày phải có dạng YYYY/MM/DD: {s}"))),
    }
}

struct Writer {
    out: String,
}

impl Writer {
    fn new() -> Self {
        Self::with_capacity(4096)
    }
    fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        Self { out }
    }
    fn open(&mut self, name: &str) {
        self.out.push_str("<edXML:");
        self.out.push_str(name);
        self.out.push('>');
    }
    fn close(&mut self, name: &str) {
        self.out.push_str("</edXML:");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
    fn leaf(&mut self, name: &str, text: &str) {
        self.out.push_str("<edXML:");
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</edXML:");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }
    /// A leaf of base64: encoded straight into the output (its alphabet needs no escaping).
    fn leaf_b64(&mut self, name: &str, data: &[u8]) {
        self.open(name);
        B64.encode_string(data, &mut self.out);
        self.close(name);
    }
    fn organ(&mut self, name: &str, organ: &Organ) {
        self.open(name);
        self.leaf("OrganId", organ.id.as_str());
        self.leaf("OrganName", &organ.name);
        self.close(name);
    }
    fn envelope_open(&mut self) {
        self.out.push_str("<edXML:edXMLEnvelope xmlns:edXML=\"");
        self.out.push_str(NAMESPACE);
        self.out.push_str("\">\n");
    }
}

/// Escapes text; carriage returns and tabs as character references so they survive
/// line-ending normalisation.
fn escape_into(out: &mut String, text: &str) {
    // Runs of plain text (a 100 KB attachment's base64 is one) are copied whole.
    let mut rest = text;
    while let Some(i) = rest.find(['<', '>', '&', '"', '\r']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            _ => "&#13;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

impl DocumentPackage {
    /// The bytes the signature covers.
    pub fn canonical(&self) -> Vec<u8> {
        self.write(false).into_bytes()
    }

    /// The package as sent: header, trace, signature, attachments.
    pub fn to_xml(&self) -> String {
        self.write(true)
    }

    fn write(&self, full: bool) -> String {
        let h = &self.header;
        // Sized for the attachments' base64 up front, so a large one is not copied as the
        // text grows.
        let attachments: usize = self.attachments.iter().map(|a| a.data.len().div_ceil(3) * 4 + 256).sum();
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
        w.open("Code");
        w.leaf("CodeNumber", &h.code_number.to_string());
        w.leaf("CodeNotation", &h.code_notation);
        w.close("Code");
        w.open("PromulgationInfo");
        w.leaf("Place", &h.place);
        w.leaf("PromulgationDate", &fmt_date(h.promulgation_date));
        w.close("PromulgationInfo");
        w.open("DocumentType");
        w.leaf("TypeName", &h.document_type);
        w.close("DocumentType");
        w.leaf("Subject", &h.subject);
        w.leaf("Content", &h.content);
        w.open("SignerInfo");
        w.leaf("Competence", &h.signer.competence);
        w.leaf("Position", &h.signer.position);
        w.leaf("FullName", &h.signer.full_name);
        w.close("SignerInfo");
        if let Some(d) = h.due_date {
            w.leaf("DueDate", &fmt_date(d));
        }
        w.open("ToPlaces");
        for p in &h.to_places {
            w.leaf("Place", p);
        }
        w.close("ToPlaces");
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
            for t in &self.traces {
                w.open("TraceHeader");
                w.leaf("OrganId", t.organ_id.as_str());
                w.leaf("Timestamp", &t.timestamp.to_string());
                w.close("TraceHeader");
            }
            w.close("TraceHeaderList");
            if let Some(sig) = &self.signature {
                w.leaf_b64("Signature", sig);
            }
        }
        w.close("edXMLHeader");
        w.open("edXMLBody");
        w.out.push('\n');
        w.open("edXMLManifest");
        w.out.push('\n');
        for (i, a) in self.attachments.iter().enumerate() {
            w.open("Reference");
            w.leaf("ContentId", &format!("att{}", i + 1));
            w.leaf("AttachmentName", &a.name);
            w.leaf("ContentType", &a.content_type);
            w.leaf("Description", &a.description);
            w.close("Reference");
        }
        w.close("edXMLManifest");
        for (i, a) in self.attachments.iter().enumerate() {
            w.open("Attachment");
            w.leaf("ContentId", &format!("att{}", i + 1));
            w.leaf_b64("Data", &a.data);
            w.close("Attachment");
        }
        w.close("edXMLBody");
        w.out.push_str("</edXML:edXMLEnvelope>\n");
        w.out
    }

    /// Reads a package (see the module's limits).
    pub fn parse(bytes: &[u8]) -> Result<Self, ExchangeError> {
        let root = envelope(bytes)?;
        let header = root.child("edXMLHeader")?;
        let mh = header.child("MessageHeader")?;
        let organ = |e: &Node| -> Result<Organ, ExchangeError> {
            let id = e.text_of("OrganId")?;
            Ok(Organ {
                id: OrgCode::parse(id).map_err(|_| bad(format!("mã định danh cơ quan không hợp lệ: {id}")))?,
                name: e.opt_text("OrganName").unwrap_or_default().to_owned(),
            })
        };
        let code = mh.child("Code")?;
        let code_number: u32 =
            code.text_of("CodeNumber")?.trim().parse().map_err(|_| bad("CodeNumber phải là số".into()))?;
        let info = mh.child("PromulgationInfo")?;
        let signer = mh.child("SignerInfo")?;
        let other = mh.opt_child("OtherInfo");
        let priority = match other.and_then(|o| o.opt_text("Priority")) {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .and_then(Priority::parse)
                .ok_or_else(|| bad(format!("độ khẩn không hợp lệ: {p}")))?,
            None => Priority::default(),
        };
        let business = mh.opt_child("Bussiness");
        let business_type = match business.and_then(|b| b.opt_text("BussinessDocType")) {
            Some(t) => t
                .trim()
                .parse::<u8>()
                .ok()
                .and_then(BusinessType::from_code)
                .ok_or_else(|| bad(format!("BussinessDocType không hợp lệ: {t}")))?,
            None => BusinessType::New,
        };
        let revision = match business.and_then(|b| b.opt_text("Revision")) {
            Some(r) => r.trim().parse().map_err(|_| bad(format!("Revision không hợp lệ: {r}")))?,
            None => 0,
        };
        let h = MessageHeader {
            from: organ(mh.child("From")?)?,
            to: mh.children_named("To").map(organ).collect::<Result<_, _>>()?,
            code_number,
            code_notation: code.text_of("CodeNotation")?.to_owned(),
            place: info.opt_text("Place").unwrap_or_default().to_owned(),
            promulgation_date: parse_date(info.text_of("PromulgationDate")?)?,
            document_type: mh.child("DocumentType")?.text_of("TypeName")?.to_owned(),
            subject: mh.text_of("Subject")?.to_owned(),
            content: mh.opt_text("Content").unwrap_or_default().to_owned(),
            signer: SignerInfo {
                competence: signer.opt_text("Competence").unwrap_or_default().to_owned(),
                position: signer.opt_text("Position").unwrap_or_default().to_owned(),
                full_name: signer.opt_text("FullName").unwrap_or_default().to_owned(),
            },
            due_date: mh.opt_text("DueDate").filter(|s| !s.trim().is_empty()).map(parse_date).transpose()?,
            to_places: mh
                .opt_child("ToPlaces")
                .map(|p| p.children_named("Place").map(|e| e.text.clone()).collect())
                .unwrap_or_default(),
            priority,
            business: business_type,
            business_reason: business.and_then(|b| b.opt_text("BussinessDocReason")).unwrap_or_default().to_owned(),
            revision,
        };
        h.validate().map_err(|e| bad(e.to_string()))?;
        // The DocumentId written must be the one the fields give.
        if let Some(id) = mh.opt_text("DocumentId")
            && id != h.document_id()
        {
            return Err(bad(format!("DocumentId {id} không khớp với cơ quan gửi, ngày và số ký hiệu")));
        }
        let traces = match header.opt_child("TraceHeaderList") {
            Some(list) => list
                .children_named("TraceHeader")
                .map(|t| {
                    let id = t.text_of("OrganId")?;
                    Ok(Trace {
                        organ_id: OrgCode::parse(id).map_err(|_| bad(format!("mã cơ quan không hợp lệ: {id}")))?,
                        timestamp: t
                            .text_of("Timestamp")?
                            .trim()
                            .parse()
                            .map_err(|_| bad("thời điểm TraceHeader không hợp lệ".into()))?,
                    })
                })
                .collect::<Result<_, ExchangeError>>()?,
            None => Vec::new(),
        };
        let signature = header.opt_text("Signature").map(decode_b64).transpose()?;
        let body = root.child("edXMLBody")?;
        let manifest = body.child("edXMLManifest")?;
        let mut attachments = Vec::new();
        let data: Vec<&Node> = body.children_named("Attachment").collect();
        for (i, r) in manifest.children_named("Reference").enumerate() {
            let id = r.text_of("ContentId")?;
            let holder = data
                .iter()
                .find(|a| a.opt_text("ContentId") == Some(id))
                .ok_or_else(|| bad(format!("thiếu nội dung tệp đính kèm {id}")))?;
            if id != format!("att{}", i + 1) {
                return Err(bad(format!("ContentId phải là att1, att2, …: {id}")));
            }
            attachments.push(PackageAttachment {
                name: r.text_of("AttachmentName")?.to_owned(),
                content_type: r.opt_text("ContentType").unwrap_or("application/octet-stream").to_owned(),
                description: r.opt_text("Description").unwrap_or_default().to_owned(),
                data: decode_b64(holder.text_of("Data")?)?,
            });
        }
        if data.len() != attachments.len() {
            return Err(bad("số tệp đính kèm không khớp danh mục (edXMLManifest)".into()));
        }
        Ok(Self { header: h, traces, signature, attachments })
    }
}

fn decode_b64(s: &str) -> Result<Vec<u8>, ExchangeError> {
    let invalid = || bad("dữ liệu base64 không hợp lệ".into());
    // Base64 as this crate writes it has no line breaks; only wrapped text is compacted first.
    if !s.bytes().any(|b| b.is_ascii_whitespace()) {
        return B64.decode(s.as_bytes()).map_err(|_| invalid());
    }
    let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    B64.decode(&compact).map_err(|_| invalid())
}

impl StatusPackage {
    pub fn canonical(&self) -> Vec<u8> {
        self.write(false).into_bytes()
    }
    pub fn to_xml(&self) -> String {
        self.write(true)
    }
    fn write(&self, full: bool) -> String {
        let mut w = Writer::new();
        w.envelope_open();
        w.open("edXMLHeader");
        w.out.push('\n');
        w.open("Status");
        w.out.push('\n');
        w.open("ResponseFor");
        w.leaf("OrganId", self.response_for.organ_id.as_str());
        w.leaf("Code", &self.response_for.code);
        w.leaf("PromulgationDate", &fmt_date(self.response_for.promulgation_date));
        w.leaf("DocumentId", &self.response_for.document_id);
        w.close("ResponseFor");
        w.organ("From", &self.from);
        w.leaf("Timestamp", &self.timestamp.to_string());
        w.leaf("StatusCode", self.status.code());
        w.leaf("Description", &self.description);
        w.open("StaffInfo");
        w.leaf("Department", &self.department);
        w.leaf("Staff", &self.staff);
        w.close("StaffInfo");
        w.leaf("Revision", &self.revision.to_string());
        w.close("Status");
        if full && let Some(sig) = &self.signature {
            w.leaf_b64("Signature", sig);
        }
        w.close("edXMLHeader");
        w.out.push_str("</edXML:edXMLEnvelope>\n");
        w.out
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, ExchangeError> {
        let root = envelope(bytes)?;
        let header = root.child("edXMLHeader")?;
        let st = header.child("Status")?;
        let rf = st.child("ResponseFor")?;
        let from = st.child("From")?;
        let org = |s: &str| OrgCode::parse(s).map_err(|_| bad(format!("mã cơ quan không hợp lệ: {s}")));
        let code = st.text_of("StatusCode")?;
        Ok(Self {
            response_for: ResponseFor {
                organ_id: org(rf.text_of("OrganId")?)?,
                code: rf.text_of("Code")?.to_owned(),
                promulgation_date: parse_date(rf.text_of("PromulgationDate")?)?,
                document_id: rf.text_of("DocumentId")?.to_owned(),
            },
            from: Organ {
                id: org(from.text_of("OrganId")?)?,
                name: from.opt_text("OrganName").unwrap_or_default().to_owned(),
            },
            status: StatusCode::parse(code.trim()).ok_or_else(|| bad(format!("mã trạng thái không hợp lệ: {code}")))?,
            description: st.opt_text("Description").unwrap_or_default().to_owned(),
            department: st.opt_child("StaffInfo").and_then(|s| s.opt_text("Department")).unwrap_or_default().to_owned(),
            staff: st.opt_child("StaffInfo").and_then(|s| s.opt_text("Staff")).unwrap_or_default().to_owned(),
            timestamp: st.text_of("Timestamp")?.trim().parse().map_err(|_| bad("thời điểm không hợp lệ".into()))?,
            revision: match st.opt_text("Revision") {
                Some(r) => r.trim().parse().map_err(|_| bad(format!("Revision không hợp lệ: {r}")))?,
                None => 0,
            },
            signature: header.opt_text("Signature").map(decode_b64).transpose()?,
        })
    }
}

/// What kind of package some bytes hold, without reading it all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageKind {
    Document,
    Status,
}

/// The tree of a package whose root is the edXML envelope.
fn envelope(bytes: &[u8]) -> Result<Node, ExchangeError> {
    let root = parse_tree(bytes)?;
    if root.name != "edXMLEnvelope" {
        return Err(bad(format!("phần tử gốc phải là edXMLEnvelope, không phải {}", root.name)));
    }
    Ok(root)
}

pub fn package_kind(bytes: &[u8]) -> Result<PackageKind, ExchangeError> {
    let root = envelope(bytes)?;
    let header = root.child("edXMLHeader")?;
    if header.opt_child("Status").is_some() {
        Ok(PackageKind::Status)
    } else if header.opt_child("MessageHeader").is_some() {
        Ok(PackageKind::Document)
    } else {
        Err(bad("edXMLHeader không có MessageHeader hay Status".into()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped_between_plain_runs() {
        let mut out = String::from("x");
        super::escape_into(&mut out, "Công văn <số 1> & \"mật\"\r\nhết");
        assert_eq!(out, "xCông văn &lt;số 1&gt; &amp; &quot;mật&quot;&#13;\nhết");
        let mut plain = String::new();
        super::escape_into(&mut plain, "QUJD");
        assert_eq!(plain, "QUJD");
    }

    #[test]
    fn base64_is_read_with_or_without_line_breaks() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut w = super::Writer::with_capacity(0);
        w.leaf_b64("Data", &data);
        let encoded = w.out.split("<edXML:Data>").nth(1).and_then(|t| t.split('<').next()).unwrap().to_owned();
        assert!(!encoded.contains(char::is_whitespace), "written on one line");
        assert_eq!(super::decode_b64(&encoded).unwrap(), data);
        let wrapped: String =
            encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n ");
        assert_eq!(super::decode_b64(&wrapped).unwrap(), data);
        assert!(super::decode_b64("QUJD!").is_err());
        assert!(super::decode_b64("QUJ D!").is_err());
    }
}
