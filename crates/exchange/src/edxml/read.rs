//! Reading packages in either layout: the axis's (root `edXML`, see [`super::axis`]) and
//! motcua's earlier one (root `edXMLEnvelope`, see [`super::legacy`]), so partner servers
//! that have not upgraded still deliver. Elements are matched by local name; what neither
//! layout needs is skipped.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use motcua_domain::OrgCode;

use super::axis::parse_time;
use super::tree::{Node, bad, parse_tree};
use super::unzip::unpacked;
use super::{
    BusinessType, DocumentPackage, MessageHeader, Organ, PackageAttachment, PackageKind, Priority, ResponseFor, Shape,
    SignerInfo, StatusCode, StatusPackage, Trace, parse_date,
};
use crate::ExchangeError;

/// The whole tree and which layout it is in.
pub(super) struct Package<'a> {
    root: Node,
    pub(super) shape: Shape,
    bytes: &'a [u8],
}

impl<'a> Package<'a> {
    pub(super) fn read(bytes: &'a [u8]) -> Result<Self, ExchangeError> {
        let root = parse_tree(bytes)?;
        let shape = match root.name.as_str() {
            "edXML" => Shape::Axis,
            "edXMLEnvelope" => Shape::Motcua,
            other => return Err(bad(format!("phần tử gốc phải là edXML (hoặc edXMLEnvelope), không phải {other}"))),
        };
        let package = Self { root, shape, bytes };
        package.envelope()?;
        Ok(package)
    }
    pub(super) fn envelope(&self) -> Result<&Node, ExchangeError> {
        match self.shape {
            Shape::Axis => self.root.child("edXMLEnvelope"),
            Shape::Motcua => Ok(&self.root),
        }
    }
    fn header(&self) -> Result<&Node, ExchangeError> {
        self.envelope()?.child("edXMLHeader")
    }
    /// A status package's body: `Status` (or `MessageStatus`, as some integrations name it).
    fn status_node(&self) -> Result<Option<&Node>, ExchangeError> {
        let header = self.header()?;
        Ok(header.opt_child("Status").or_else(|| header.opt_child("MessageStatus")))
    }
    pub(super) fn kind(&self) -> Result<PackageKind, ExchangeError> {
        if self.status_node()?.is_some() {
            Ok(PackageKind::Status)
        } else if self.header()?.opt_child("MessageHeader").is_some() {
            Ok(PackageKind::Document)
        } else {
            Err(bad("edXMLHeader không có MessageHeader hay Status".into()))
        }
    }
    /// The signature as the package carries it: in the axis's layout the XML-DSig
    /// `Signature` element's bytes (in `DigitalSignature`, or straight in the header as the
    /// axis's SDK sample has it); in motcua's earlier layout the detached CMS in `Signature`.
    fn signature(&self) -> Result<Option<Vec<u8>>, ExchangeError> {
        let header = self.header()?;
        match self.shape {
            Shape::Axis => {
                let element = header
                    .opt_child("DigitalSignature")
                    .and_then(|d| d.opt_child("Signature"))
                    .or_else(|| header.opt_child("Signature"));
                Ok(element.and_then(|s| self.bytes.get(s.span.0..s.span.1)).map(<[u8]>::to_vec))
            }
            Shape::Motcua => header
                .opt_child("Signature")
                .filter(|n| n.children.is_empty() && !n.text.trim().is_empty())
                .map(|n| decode_b64(&n.text))
                .transpose(),
        }
    }
    /// Each referenced attachment: (reference, the element holding its base64).
    pub(super) fn attachments(&self) -> Result<Vec<(&Node, &str)>, ExchangeError> {
        let body = self.envelope()?.child("edXMLBody")?;
        let references: Vec<&Node> = body.child("edXMLManifest")?.children_named("Reference").collect();
        let (holders, data_name): (Vec<&Node>, &str) = match self.shape {
            Shape::Axis => (
                self.root
                    .opt_child("AttachmentEncoded")
                    .map(|a| a.children_named("Attachment").collect())
                    .unwrap_or_default(),
                "ContentTransferEncoded",
            ),
            Shape::Motcua => (body.children_named("Attachment").collect(), "Data"),
        };
        if holders.len() != references.len() {
            return Err(bad("số tệp đính kèm không khớp danh mục (edXMLManifest)".into()));
        }
        let mut out = Vec::with_capacity(references.len());
        for (i, r) in references.into_iter().enumerate() {
            let id = reference_id(r)?;
            if self.shape == Shape::Motcua && id != format!("att{}", i + 1) {
                return Err(bad(format!("ContentId phải là att1, att2, …: {id}")));
            }
            let holder = holders
                .iter()
                .find(|a| a.opt_text("ContentId").map(strip_cid) == Some(id))
                .ok_or_else(|| bad(format!("thiếu nội dung tệp đính kèm {id}")))?;
            out.push((r, holder.text_of(data_name)?));
        }
        Ok(out)
    }
}

/// `cid:att1` and `att1` name the same attachment.
fn strip_cid(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix("cid:").unwrap_or(s)
}

/// The content id a manifest reference points at: its `xlink:href`, else its `ContentId`;
/// when both are given they must agree.
fn reference_id(r: &Node) -> Result<&str, ExchangeError> {
    let href = r.attr("href").map(strip_cid);
    let content_id = r.opt_text("ContentId").map(strip_cid);
    match (href, content_id) {
        (Some(h), Some(c)) if h != c => Err(bad(format!("xlink:href cid:{h} không khớp ContentId {c}"))),
        (Some(id), _) | (None, Some(id)) if !id.is_empty() => Ok(id),
        _ => Err(bad("tham chiếu tệp đính kèm không có ContentId".into())),
    }
}

pub(super) fn decode_b64(s: &str) -> Result<Vec<u8>, ExchangeError> {
    let invalid = || bad("dữ liệu base64 không hợp lệ".into());
    // Base64 as this crate writes it has no line breaks; only wrapped text is compacted first.
    if !s.bytes().any(|b| b.is_ascii_whitespace()) {
        return B64.decode(s.as_bytes()).map_err(|_| invalid());
    }
    let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    B64.decode(&compact).map_err(|_| invalid())
}

fn org(s: &str) -> Result<OrgCode, ExchangeError> {
    OrgCode::parse(s.trim()).map_err(|_| bad(format!("mã định danh cơ quan không hợp lệ: {s}")))
}

fn organ(e: &Node) -> Result<Organ, ExchangeError> {
    let name = e.opt_text("OrganName").filter(|n| !n.trim().is_empty()).or_else(|| e.opt_text("OrganizationInCharge"));
    Ok(Organ { id: org(e.text_of("OrganId")?)?, name: name.unwrap_or_default().to_owned() })
}

fn small_number<T: std::str::FromStr>(text: Option<&str>, what: &str) -> Result<Option<T>, ExchangeError> {
    text.map(|t| t.trim().parse::<T>().map_err(|_| bad(format!("{what} không hợp lệ: {t}")))).transpose()
}

fn header(p: &Package) -> Result<MessageHeader, ExchangeError> {
    let header = p.header()?;
    let mh = header.child("MessageHeader")?;
    let code = mh.child("Code")?;
    let code_number: u32 =
        code.text_of("CodeNumber")?.trim().parse().map_err(|_| bad("CodeNumber phải là số".into()))?;
    let info = mh.child("PromulgationInfo")?;
    let signer = mh.child("SignerInfo")?;
    let priority = match small_number::<u8>(mh.opt_child("OtherInfo").and_then(|o| o.opt_text("Priority")), "độ khẩn")?
    {
        Some(n) => Priority::parse(n).ok_or_else(|| bad(format!("độ khẩn không hợp lệ: {n}")))?,
        None => Priority::default(),
    };
    // On the axis `Bussiness` sits in the trace list; motcua's earlier layout had it in the
    // message header.
    let business = header
        .opt_child("TraceHeaderList")
        .and_then(|t| t.opt_child("Bussiness"))
        .or_else(|| mh.opt_child("Bussiness"));
    let business_type =
        match small_number::<u8>(business.and_then(|b| b.opt_text("BussinessDocType")), "BussinessDocType")? {
            Some(n) => BusinessType::from_code(n).ok_or_else(|| bad(format!("BussinessDocType không hợp lệ: {n}")))?,
            None => BusinessType::New,
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
        revision: small_number(business.and_then(|b| b.opt_text("Revision")), "Revision")?.unwrap_or(0),
    };
    h.validate().map_err(|e| bad(e.to_string()))?;
    // The DocumentId written must be the one the fields give.
    if let Some(id) = mh.opt_text("DocumentId")
        && id.trim() != h.document_id()
    {
        return Err(bad(format!("DocumentId {id} không khớp với cơ quan gửi, ngày và số ký hiệu")));
    }
    Ok(h)
}

pub(super) fn document(bytes: &[u8]) -> Result<DocumentPackage, ExchangeError> {
    let p = Package::read(bytes)?;
    let header = header(&p)?;
    let traces = match p.header()?.opt_child("TraceHeaderList") {
        Some(list) => list
            .children_named("TraceHeader")
            .map(|t| {
                Ok(Trace { organ_id: org(t.text_of("OrganId")?)?, timestamp: parse_time(t.text_of("Timestamp")?)? })
            })
            .collect::<Result<_, ExchangeError>>()?,
        None => Vec::new(),
    };
    let attachments = p
        .attachments()?
        .into_iter()
        .map(|(r, data)| {
            let name = r.text_of("AttachmentName")?.to_owned();
            let mut content_type = r.opt_text("ContentType").unwrap_or("application/octet-stream").to_owned();
            let mut data = decode_b64(data)?;
            if p.shape == Shape::Axis
                && let Some((file, file_type)) = unpacked(&name, &content_type, &data)?
            {
                (data, content_type) = (file, file_type);
            }
            Ok(PackageAttachment {
                name,
                content_type,
                description: r.opt_text("Description").unwrap_or_default().to_owned(),
                data,
            })
        })
        .collect::<Result<_, ExchangeError>>()?;
    Ok(DocumentPackage { header, traces, signature: p.signature()?, attachments, shape: p.shape })
}

pub(super) fn status(bytes: &[u8]) -> Result<StatusPackage, ExchangeError> {
    let p = Package::read(bytes)?;
    let st = p.status_node()?.ok_or_else(|| bad("thiếu phần tử Status trong edXMLHeader".into()))?;
    let rf = st.child("ResponseFor")?;
    let code = st.text_of("StatusCode")?;
    let staff = st.opt_child("StaffInfo");
    Ok(StatusPackage {
        response_for: ResponseFor {
            organ_id: org(rf.text_of("OrganId")?)?,
            code: rf.text_of("Code")?.to_owned(),
            promulgation_date: parse_date(rf.text_of("PromulgationDate")?)?,
            document_id: rf.text_of("DocumentId")?.to_owned(),
        },
        from: organ(st.child("From")?)?,
        status: StatusCode::parse(code.trim()).ok_or_else(|| bad(format!("mã trạng thái không hợp lệ: {code}")))?,
        description: st.opt_text("Description").unwrap_or_default().to_owned(),
        department: staff.and_then(|s| s.opt_text("Department")).unwrap_or_default().to_owned(),
        staff: staff.and_then(|s| s.opt_text("Staff")).unwrap_or_default().to_owned(),
        timestamp: parse_time(st.text_of("Timestamp")?)?,
        revision: small_number(st.opt_text("Revision"), "Revision")?.unwrap_or(0),
        signature: p.signature()?,
        shape: p.shape,
    })
}
