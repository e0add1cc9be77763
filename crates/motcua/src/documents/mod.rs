//! Official documents between agencies: how an entry of the register is seen (its state,
//! recipients, deliveries, signer), and the outgoing document built from what an officer
//! typed. Sending, receiving and receipts are `crate::documents::exchange`'s.

pub mod api;
pub mod exchange;
pub mod keys;
pub mod pages;
pub mod pki;
pub mod work;
pub mod work_figures;
mod work_reminders;

use motcua_domain::OrgCode;
use motcua_exchange::edxml::{MessageHeader, PackageAttachment, SignerInfo, StatusCode as DocStatusCode};
use motcua_exchange::{DocumentPackage, ExchangeError};
use motcua_store::documents::{
    Direction, DocStatus, DocumentEntry, DocumentFilter, DocumentRecord, DocumentStore, OutboxEntry, Peer,
};
use motcua_store::{CatalogStore, OrgFilter, Page, Paged};
use serde::{Deserialize, Serialize};

use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::source::display_vn;
use exchange::{ExchangeServiceError, Outgoing, can_view};

impl From<ExchangeServiceError> for AppError {
    fn from(e: ExchangeServiceError) -> Self {
        use ExchangeServiceError as E;
        let (status, code) = match &e {
            E::NoPassphrase | E::NoCa => (Kind::Unavailable, ErrorCode::KeysUnavailable),
            E::NoIdentity(_) => (Kind::Conflict, ErrorCode::NoSigningCertificate),
            E::UnknownRecipient(_) => (Kind::Unprocessable, ErrorCode::UnknownRecipient),
            E::Invalid(_) => (Kind::Unprocessable, ErrorCode::InvalidDocument),
            E::Quarantined { .. } => (Kind::Unprocessable, ErrorCode::PackageQuarantined),
            E::NotFound => return AppError::not_found("Không tìm thấy văn bản"),
            E::Forbidden => return AppError::forbidden(),
            E::Conflict(_) => (Kind::Conflict, ErrorCode::DocumentConflict),
            E::KeyReused => (Kind::Unprocessable, ErrorCode::IdempotencyKeyReused),
            E::Store(s) => {
                tracing::error!(error = %s, "document store");
                return AppError::internal();
            }
            E::Exchange(ExchangeError::Malformed(_) | ExchangeError::Forbidden(_) | ExchangeError::Invalid(_)) => {
                (Kind::Unprocessable, ErrorCode::InvalidPackage)
            }
            E::Exchange(ExchangeError::TooLarge { .. }) => (Kind::TooLarge, ErrorCode::PayloadTooLarge),
            E::Exchange(other) => {
                tracing::error!(error = %other, "exchange");
                return AppError::internal();
            }
        };
        let mut message = e.to_string();
        if let Some(first) = message.get(..1) {
            message = first.to_uppercase() + &message[1..];
        }
        AppError::new(status, code, message)
    }
}

/// A register entry as listed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentSummary {
    pub id: i64,
    /// Whose register.
    pub org: String,
    /// `out` (sổ đi) or `in` (sổ đến).
    pub direction: &'static str,
    pub year: i32,
    /// Number in the register.
    pub number: i64,
    pub document_id: String,
    /// `267/UBND-VP`
    pub code: String,
    pub from_org: String,
    pub from_name: String,
    pub subject: String,
    pub document_type: String,
    /// 0 normal … 3 express.
    pub priority: u8,
    /// Outgoing: `sent` or `recalled`; incoming: the last status code (`01` … `16`).
    pub state: String,
    pub state_label: String,
    /// A recall/update/replacement waits for the recipient's decision.
    pub pending: Option<String>,
    pub promulgation_date: String,
    pub registered_at: String,
}

/// One status in a recipient's timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub code: String,
    pub label: String,
    pub description: String,
    pub staff: String,
    pub at: String,
    pub revision: i64,
}

/// A recipient and what became of the document there.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecipientView {
    pub org: String,
    pub name: String,
    /// Last status code, or `pending` while not yet delivered.
    pub state: String,
    pub state_label: String,
    pub statuses: Vec<StatusView>,
}

/// A delivery attempt record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub target: String,
    pub kind: String,
    pub attempts: i64,
    pub delivered_at: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    pub index: usize,
    pub name: String,
    pub content_type: String,
    pub description: String,
    pub size: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    #[serde(flatten)]
    pub summary: DocumentSummary,
    pub content: String,
    pub signer: SignerView,
    pub place: String,
    pub due_date: Option<String>,
    pub to_places: Vec<String>,
    pub revision: i64,
    pub attachments: Vec<AttachmentInfo>,
    /// Incoming: how its digital signature was found (outgoing: none).
    pub signature: Option<SignatureView>,
    /// How the package is signed: `xmldsig` (an enveloped XML signature over the whole
    /// package, the national axis's layout) or `cms` (a detached CMS signature over the
    /// signed content, motcua's earlier layout).
    pub signature_format: &'static str,
    /// Outgoing: every recipient's status timeline. Incoming: this organisation's.
    pub recipients: Vec<RecipientView>,
    /// Outgoing: deliveries to this server and partner servers.
    pub deliveries: Vec<DeliveryView>,
    /// What the viewer may do now: status codes for incoming documents, `recall`,
    /// `update`, `replace` for outgoing ones, `accept_business`/`refuse_business`.
    pub allowed_actions: Vec<String>,
}

/// How an incoming document's digital signature was found.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignatureView {
    /// `verified`, or `unsigned` (came through the national document axis without one).
    pub state: &'static str,
    pub label: &'static str,
    pub label_en: &'static str,
    /// The signer's certificate subject, when verified and known.
    pub signer: Option<String>,
}

impl SignatureView {
    fn of(check: exchange::SignatureCheck) -> Self {
        match check {
            exchange::SignatureCheck::Verified { signer } => Self {
                state: "verified",
                label: "Chữ ký số hợp lệ",
                label_en: "Valid digital signature",
                signer: Some(signer).filter(|s| !s.is_empty()),
            },
            exchange::SignatureCheck::Unsigned => Self {
                state: "unsigned",
                label: "Không có chữ ký số (nhận qua trục liên thông, chưa xác thực được nơi gửi)",
                label_en: "No digital signature (came through the national axis; sender not authenticated)",
                signer: None,
            },
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignerView {
    pub competence: String,
    pub position: String,
    pub full_name: String,
}

pub(crate) fn state_label(direction: Direction, state: &str) -> String {
    match direction {
        Direction::Outgoing => match state {
            "recalled" => "Đã thu hồi".into(),
            _ => "Đã gửi".into(),
        },
        Direction::Incoming => {
            DocStatusCode::parse(state).map_or_else(|| state.to_owned(), |s| s.label_vi().to_owned())
        }
    }
}

pub(crate) fn summary(d: &DocumentEntry, h: &MessageHeader) -> DocumentSummary {
    DocumentSummary {
        id: d.id,
        org: d.org.to_string(),
        direction: d.direction.as_str(),
        year: d.year,
        number: d.number,
        document_id: d.document_id.clone(),
        code: h.code(),
        from_org: h.from.id.to_string(),
        from_name: h.from.name.clone(),
        subject: d.subject.clone(),
        document_type: h.document_type.clone(),
        priority: h.priority.0,
        state: d.state.clone(),
        state_label: state_label(d.direction, &d.state),
        pending: d.pending.as_ref().map(|p| {
            DocumentPackage::parse(p.as_bytes())
                .map_or_else(|_| "?".into(), |p| p.header.business.label_vi().to_owned())
        }),
        promulgation_date: format!(
            "{:02}/{:02}/{:04}",
            h.promulgation_date.day(),
            h.promulgation_date.month(),
            h.promulgation_date.year()
        ),
        registered_at: display_vn(d.created_at),
    }
}

pub(crate) fn status_view(s: &DocStatus) -> StatusView {
    StatusView {
        label: DocStatusCode::parse(&s.code).map_or_else(|| s.code.clone(), |c| c.label_vi().to_owned()),
        code: s.code.clone(),
        description: s.description.clone(),
        staff: s.staff.clone(),
        at: display_vn(s.at),
        revision: s.revision,
    }
}

pub(crate) fn delivery_view(o: &OutboxEntry) -> DeliveryView {
    DeliveryView {
        target: o.target.clone(),
        kind: o.kind.clone(),
        attempts: o.attempts,
        delivered_at: o.delivered_at.map(display_vn),
        last_error: o.last_error.clone(),
        next_attempt_at: o.delivered_at.is_none().then(|| display_vn(o.next_attempt_at)),
    }
}

/// The documents' use cases, holding the registers, certificates, peers and quarantine (the
/// document role) and the catalog's organisations (names, recipients). Sending and receiving
/// are the exchange's ([`exchange::Exchange`]).
pub struct Documents<'a> {
    documents: &'a dyn DocumentStore,
    catalog: &'a dyn CatalogStore,
    calendars: crate::calendar::Calendars<'a>,
    exchange: &'a exchange::Exchange,
}

impl<'a> Documents<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self {
            documents: store,
            catalog: store,
            calendars: crate::calendar::Calendars::of(state),
            exchange: state.exchange.as_ref(),
        }
    }

    /// Loads a register entry the viewer may see.
    pub async fn load(&self, id: i64, viewer: &motcua_domain::Account) -> AppResult<DocumentRecord> {
        match self.documents.document(id).await? {
            Some(d) if can_view(viewer, &d.org) => Ok(d),
            _ => Err(AppError::not_found("Không tìm thấy văn bản")),
        }
    }

    /// Register entries, newest first.
    pub async fn list(&self, filter: &DocumentFilter, page: Page) -> AppResult<Paged<DocumentEntry>> {
        Ok(self.documents.list_documents(filter, page).await?)
    }

    /// The name of each organisation the account holds a role in, by code (the code when it
    /// has none).
    pub async fn org_names(&self, account: &motcua_domain::Account) -> Vec<(OrgCode, String)> {
        let mut out: Vec<(OrgCode, String)> = Vec::new();
        for r in &account.roles {
            if out.iter().any(|(c, _)| c == &r.org) {
                continue;
            }
            let name = match self.catalog.organisation(&r.org).await {
                Ok(Some(o)) => o.name.as_str().to_owned(),
                _ => r.org.to_string(),
            };
            out.push((r.org.clone(), name));
        }
        out
    }

    /// Where a document can go: this server's organisations, and each partner server's.
    pub async fn recipients(&self) -> AppResult<(Vec<motcua_domain::Organisation>, Vec<Peer>)> {
        let orgs = self.catalog.list_organisations(&OrgFilter::default(), Page::all()).await?.items;
        Ok((orgs, self.documents.peers().await?))
    }

    /// The deployment CA's certificate (PEM), for partners to trust; 404 before `motcua pki init`.
    pub async fn ca_pem(&self) -> AppResult<String> {
        let ca = self
            .documents
            .certificates(Some(motcua_store::documents::CertRole::Ca), None)
            .await?
            .into_iter()
            .find(|c| c.active)
            .ok_or_else(|| AppError::not_found("Chưa có tổ chức chứng thực (motcua pki init)"))?;
        Ok(ca.cert_pem)
    }

    /// Checks a partner server's signed request (`Motcua-Ca`, `Motcua-Date`,
    /// `Motcua-Signature` over the method, path, date and body): the partner.
    pub async fn authenticate_peer(
        &self,
        ca: &str,
        date: &str,
        signature: &str,
        path: &str,
        body: &[u8],
    ) -> AppResult<Peer> {
        let unauthorised = |m: &str| AppError::new(Kind::Unauthenticated, ErrorCode::BadRequestSignature, m.to_owned());
        let peer = self
            .documents
            .peers()
            .await?
            .into_iter()
            .find(|p| p.ca_fingerprint.eq_ignore_ascii_case(ca))
            .ok_or_else(|| unauthorised("Máy chủ gửi không có trong danh sách đối tác"))?;
        let at: jiff::Timestamp = date.parse().map_err(|_| unauthorised("Motcua-Date không hợp lệ"))?;
        let now = jiff::Timestamp::now();
        if now.duration_since(at).abs() > exchange::REQUEST_CLOCK_SKEW {
            return Err(unauthorised("Yêu cầu quá cũ hoặc đồng hồ lệch quá 10 phút"));
        }
        use base64::Engine as _;
        let sig = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .map_err(|_| unauthorised("Chữ ký không phải base64"))?;
        let roots = self.exchange.peer_roots(&peer)?;
        let text = exchange::request_signing_text("POST", path, date, body);
        motcua_exchange::sign::verify_detached(&roots, text.as_bytes(), &sig, None, now)
            .map_err(|e| unauthorised(&format!("Chữ ký yêu cầu không hợp lệ: {e}")))?;
        Ok(peer)
    }

    /// What partner servers sent that could not be taken in: of the organisations the account
    /// keeps the register of, administers or leads (all of them for the province's
    /// administrator).
    pub async fn quarantined(
        &self,
        account: &motcua_domain::Account,
        page: Page,
    ) -> AppResult<Paged<motcua_store::documents::Quarantined>> {
        let orgs: Vec<OrgCode> = account
            .roles
            .iter()
            .filter(|r| {
                matches!(
                    r.role,
                    motcua_domain::Role::Clerk | motcua_domain::Role::Administrator | motcua_domain::Role::Leader
                )
            })
            .map(|r| r.org.clone())
            .collect();
        if orgs.is_empty() {
            return Err(AppError::forbidden());
        }
        let province = self.calendars.is_province_admin(account).await?;
        Ok(self.documents.quarantined(if province { None } else { Some(&orgs) }, page).await?)
    }

    /// How a register entry is seen: its state per recipient, deliveries, and what the viewer
    /// may do next.
    pub async fn view(&self, d: &DocumentRecord, viewer: &motcua_domain::Account) -> AppResult<DocumentView> {
        let h = exchange::header_of(d)?;
        let attachments = DocumentPackage::manifest(d.package.as_bytes()).map_err(ExchangeServiceError::from)?;
        let statuses = self
            .documents
            .statuses(&d.document_id, if d.direction == Direction::Incoming { Some(&d.org) } else { None })
            .await?;
        let recipients_of: Vec<(OrgCode, String)> = match d.direction {
            Direction::Outgoing => h.to.iter().map(|o| (o.id.clone(), o.name.clone())).collect(),
            Direction::Incoming => vec![(d.org.clone(), String::new())],
        };
        let recipients = recipients_of
            .into_iter()
            .map(|(org, name)| {
                let list: Vec<&DocStatus> = statuses.iter().filter(|s| s.to_org == org).collect();
                let (state, state_label) = match list.last() {
                    Some(s) => {
                        (s.code.clone(), DocStatusCode::parse(&s.code).map_or(String::new(), |c| c.label_vi().into()))
                    }
                    None => ("pending".into(), "Đang chuyển".into()),
                };
                RecipientView {
                    org: org.to_string(),
                    name,
                    state,
                    state_label,
                    statuses: list.into_iter().map(status_view).collect(),
                }
            })
            .collect();
        let deliveries = match d.direction {
            Direction::Outgoing => self.documents.deliveries(&d.document_id).await?.iter().map(delivery_view).collect(),
            Direction::Incoming => vec![],
        };
        let acts = exchange::can_act(viewer, &d.org);
        let mut allowed_actions: Vec<String> = Vec::new();
        if acts {
            match d.direction {
                Direction::Outgoing if d.state != "recalled" => {
                    allowed_actions.extend(["recall", "update", "replace"].map(String::from));
                }
                Direction::Outgoing => {}
                Direction::Incoming => {
                    let next: &[DocStatusCode] = match DocStatusCode::parse(&d.state) {
                        Some(DocStatusCode::Arrived) => &[DocStatusCode::Accepted, DocStatusCode::Rejected],
                        Some(DocStatusCode::Accepted | DocStatusCode::Assigned) => {
                            &[DocStatusCode::Assigned, DocStatusCode::InProcess, DocStatusCode::Completed]
                        }
                        Some(DocStatusCode::InProcess) => &[DocStatusCode::InProcess, DocStatusCode::Completed],
                        _ => &[],
                    };
                    allowed_actions.extend(next.iter().map(|s| s.code().to_owned()));
                    if d.pending.is_some() {
                        allowed_actions.extend(["accept_business", "refuse_business"].map(String::from));
                    }
                }
            }
        }
        Ok(DocumentView {
            summary: summary(d, &h),
            content: h.content.clone(),
            signer: SignerView {
                competence: h.signer.competence.clone(),
                position: h.signer.position.clone(),
                full_name: h.signer.full_name.clone(),
            },
            place: h.place.clone(),
            due_date: h.due_date.map(|d| format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())),
            to_places: h.to_places.clone(),
            revision: d.revision,
            signature: exchange::SignatureCheck::of(d).map(SignatureView::of),
            signature_format: match motcua_exchange::edxml::shape_of(d.package.as_bytes()) {
                Some(motcua_exchange::Shape::Motcua) => "cms",
                _ => "xmldsig",
            },
            attachments: attachments
                .into_iter()
                .enumerate()
                .map(|(i, a)| AttachmentInfo {
                    index: i + 1,
                    name: a.name,
                    content_type: a.content_type,
                    description: a.description,
                    size: a.size,
                })
                .collect(),
            recipients,
            deliveries,
            allowed_actions,
        })
    }
}

/// The register entry's package, read again (its stored bytes are the package as sent).
pub(crate) fn package_of(d: &DocumentRecord) -> AppResult<DocumentPackage> {
    Ok(DocumentPackage::parse(d.package.as_bytes()).map_err(ExchangeServiceError::from)?)
}

/// A document to send. Send as JSON, or as multipart with a `document` JSON part and the
/// files in parts named `file`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The sending organisation (the officer must be its clerk or leader).
    pub from: String,
    /// Recipients: organisations on this server or on partner servers.
    pub to: Vec<String>,
    /// Notation after the number, e.g. `UBND-VP`.
    pub notation: String,
    /// Công văn, Quyết định, Thông báo, Giấy mời, …
    pub document_type: String,
    /// Trích yếu, at most 500 characters.
    pub subject: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub signer_competence: String,
    #[serde(default)]
    pub signer_position: String,
    pub signer_name: String,
    #[serde(default)]
    pub place: String,
    /// Hạn xử lý, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc.
    #[serde(default)]
    pub priority: u8,
    #[serde(default)]
    pub to_places: Vec<String>,
}

/// Uploaded files (already checked) as a package's attachments.
pub(crate) fn package_files(files: Vec<crate::dossiers::Upload>) -> Vec<PackageAttachment> {
    files
        .into_iter()
        .map(|f| PackageAttachment {
            name: f.filename,
            content_type: f.content_type.to_owned(),
            description: String::new(),
            data: f.bytes,
        })
        .collect()
}

pub(crate) fn parse_due(s: Option<&str>) -> AppResult<Option<jiff::civil::Date>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<jiff::civil::Date>().map(Some).map_err(|_| {
            AppError::bad_request(ErrorCode::InvalidDate, format!("Ngày không hợp lệ: {s} (cần YYYY-MM-DD)"))
        }),
    }
}

pub(crate) fn outgoing_from(req: SendRequest, attachments: Vec<PackageAttachment>) -> AppResult<Outgoing> {
    let to = req.to.iter().map(|s| OrgCode::parse(s)).collect::<Result<Vec<_>, _>>()?;
    if to.is_empty() {
        return Err(AppError::new(
            Kind::Unprocessable,
            ErrorCode::InvalidDocument,
            "Văn bản phải có ít nhất một nơi nhận",
        ));
    }
    if req.signer_name.trim().is_empty() {
        return Err(AppError::new(Kind::Unprocessable, ErrorCode::InvalidDocument, "Cần ghi người ký văn bản"));
    }
    let too_long = [&req.content].iter().any(|s| s.chars().count() > 20_000)
        || [
            &req.signer_competence,
            &req.signer_position,
            &req.signer_name,
            &req.place,
            &req.document_type,
            &req.notation,
        ]
        .iter()
        .any(|s| s.chars().count() > 200);
    if too_long {
        return Err(AppError::new(
            Kind::Unprocessable,
            ErrorCode::InvalidDocument,
            "Một trường vượt quá độ dài cho phép",
        ));
    }
    Ok(Outgoing {
        from: OrgCode::parse(&req.from)?,
        to,
        notation: req.notation,
        document_type: req.document_type,
        subject: req.subject,
        content: req.content,
        signer: SignerInfo {
            competence: req.signer_competence.trim().to_owned(),
            position: req.signer_position.trim().to_owned(),
            full_name: req.signer_name.trim().to_owned(),
        },
        place: req.place,
        due_date: parse_due(req.due_date.as_deref())?,
        priority: req.priority,
        to_places: req.to_places.into_iter().filter(|s| !s.trim().is_empty()).take(50).collect(),
        attachments,
    })
}
