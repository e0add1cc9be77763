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

mod axis;
mod legacy;
mod manifest;
mod read;
mod tree;
mod unzip;
pub use manifest::AttachmentSummary;
pub use tree::MAX_PACKAGE_BYTES;
use tree::bad;

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

/// Which layout a package is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// The national document axis's (root `edXML`, attachments in `AttachmentEncoded`): what
    /// this server writes.
    #[default]
    Axis,
    /// motcua's earlier layout (root `edXMLEnvelope`), read from partner servers not yet
    /// upgraded and written again only for them.
    Motcua,
}

/// A document package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPackage {
    pub header: MessageHeader,
    pub traces: Vec<Trace>,
    /// In the axis's layout, the XML-DSig `Signature` element (over the whole package); in
    /// motcua's earlier layout, DER of the detached CMS signature over
    /// [`DocumentPackage::canonical`].
    pub signature: Option<Vec<u8>>,
    pub attachments: Vec<PackageAttachment>,
    /// The layout it was read in, and is written in.
    pub shape: Shape,
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
    pub shape: Shape,
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
    /// Code and PromulgationInfo, the same in both layouts.
    fn code_and_promulgation(&mut self, h: &MessageHeader) {
        self.open("Code");
        self.leaf("CodeNumber", &h.code_number.to_string());
        self.leaf("CodeNotation", &h.code_notation);
        self.close("Code");
        self.open("PromulgationInfo");
        self.leaf("Place", &h.place);
        self.leaf("PromulgationDate", &fmt_date(h.promulgation_date));
        self.close("PromulgationInfo");
    }
    /// Subject through ToPlaces after DocumentType, the same in both layouts.
    fn subject_to_places(&mut self, h: &MessageHeader) {
        self.leaf("Subject", &h.subject);
        self.leaf("Content", &h.content);
        self.open("SignerInfo");
        self.leaf("Competence", &h.signer.competence);
        self.leaf("Position", &h.signer.position);
        self.leaf("FullName", &h.signer.full_name);
        self.close("SignerInfo");
        if let Some(d) = h.due_date {
            self.leaf("DueDate", &fmt_date(d));
        }
        self.open("ToPlaces");
        for place in &h.to_places {
            self.leaf("Place", place);
        }
        self.close("ToPlaces");
    }
    /// Which document a status answers, the same in both layouts.
    fn response_for(&mut self, r: &ResponseFor) {
        self.open("ResponseFor");
        self.leaf("OrganId", r.organ_id.as_str());
        self.leaf("Code", &r.code);
        self.leaf("PromulgationDate", &fmt_date(r.promulgation_date));
        self.leaf("DocumentId", &r.document_id);
        self.close("ResponseFor");
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
    /// The package without its signature. In the axis's layout that is what the XML-DSig
    /// signature covers (after canonicalisation); in motcua's earlier layout, the exact bytes
    /// the detached CMS signature covers (trace hops left out too).
    pub fn canonical(&self) -> Vec<u8> {
        self.write(false).into_bytes()
    }

    /// The package as sent: header, trace, signature, attachments.
    pub fn to_xml(&self) -> String {
        self.write(true)
    }

    fn write(&self, full: bool) -> String {
        match self.shape {
            Shape::Axis => axis::document(self, full),
            Shape::Motcua => legacy::document(self, full),
        }
    }

    /// Reads a package in either layout (see the module's limits).
    pub fn parse(bytes: &[u8]) -> Result<Self, ExchangeError> {
        read::document(bytes)
    }
}

impl StatusPackage {
    pub fn canonical(&self) -> Vec<u8> {
        self.write(false).into_bytes()
    }
    pub fn to_xml(&self) -> String {
        self.write(true)
    }
    fn write(&self, full: bool) -> String {
        match self.shape {
            Shape::Axis => axis::status(self, full),
            Shape::Motcua => legacy::status(self, full),
        }
    }
    pub fn parse(bytes: &[u8]) -> Result<Self, ExchangeError> {
        read::status(bytes)
    }
}

/// What kind of package some bytes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageKind {
    Document,
    Status,
}

/// The layout of a package, from its root element alone (no more of it is read).
pub fn shape_of(bytes: &[u8]) -> Option<Shape> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                return match e.local_name().as_ref() {
                    b"edXML" => Some(Shape::Axis),
                    b"edXMLEnvelope" => Some(Shape::Motcua),
                    _ => None,
                };
            }
            quick_xml::events::Event::Eof | quick_xml::events::Event::DocType(_) => return None,
            _ => {}
        }
        buf.clear();
    }
}

pub fn package_kind(bytes: &[u8]) -> Result<PackageKind, ExchangeError> {
    read::Package::read(bytes)?.kind()
}

/// The document types of Decree 30/2020/NĐ-CP (Article 7) in its order, which gives the
/// numeric `DocumentType/Type` packages carry (Công văn is 18).
const DOCUMENT_TYPES: [&str; 29] = [
    "Nghị quyết",
    "Quyết định",
    "Chỉ thị",
    "Quy chế",
    "Quy định",
    "Thông cáo",
    "Thông báo",
    "Hướng dẫn",
    "Chương trình",
    "Kế hoạch",
    "Phương án",
    "Đề án",
    "Dự án",
    "Báo cáo",
    "Biên bản",
    "Tờ trình",
    "Hợp đồng",
    "Công văn",
    "Công điện",
    "Bản ghi nhớ",
    "Bản thỏa thuận",
    "Giấy ủy quyền",
    "Giấy mời",
    "Giấy giới thiệu",
    "Giấy nghỉ phép",
    "Phiếu gửi",
    "Phiếu chuyển",
    "Phiếu báo",
    "Thư công",
];

/// The numeric type of a document type's name, if it is one of the decree's.
pub fn document_type_code(name: &str) -> Option<u8> {
    let name = name.trim().to_lowercase();
    DOCUMENT_TYPES.iter().position(|t| t.to_lowercase() == name).and_then(|i| u8::try_from(i + 1).ok())
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
        assert_eq!(super::read::decode_b64(&encoded).unwrap(), data);
        let wrapped: String =
            encoded.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n ");
        assert_eq!(super::read::decode_b64(&wrapped).unwrap(), data);
        assert!(super::read::decode_b64("QUJD!").is_err());
        assert!(super::read::decode_b64("QUJ D!").is_err());
    }
}
