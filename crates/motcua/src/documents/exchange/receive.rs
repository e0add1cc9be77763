//! Taking packages in: verified and registered, or quarantined; status receipts; the
//! recipient's answers and business requests (recall, update, replace) and their decisions.

use crate::documents::exchange::*;

/// The partners and the roots they and this deployment are trusted by, read once for all
/// the packages of a delivery; and the organisations and signing identities its packages
/// name, each read once for all of them (a batch's packages mostly go between the same
/// organisations).
pub(crate) struct Known {
    pub(super) peers: Vec<Peer>,
    anchors: TrustAnchors,
    orgs: std::sync::Mutex<HashMap<OrgCode, Option<motcua_domain::Organisation>>>,
    identities: std::sync::Mutex<HashMap<OrgCode, Option<Arc<SigningIdentity>>>>,
}

impl Known {
    /// An organisation this server serves, as the delivery found it.
    pub(super) async fn organisation(
        &self,
        exchange: &Exchange,
        code: &OrgCode,
    ) -> Result<Option<motcua_domain::Organisation>> {
        read_once(&self.orgs, code, async { Ok(exchange.orgs.organisation(code).await?) }).await
    }

    /// An organisation's signing identity, as the delivery found it.
    async fn identity(&self, exchange: &Exchange, code: &OrgCode) -> Result<Option<Arc<SigningIdentity>>> {
        read_once(&self.identities, code, exchange.identity(CertRole::Org, Some(code))).await
    }
}

/// What `seen` holds for `code`, or what `read` gives (then kept).
async fn read_once<V: Clone>(
    seen: &std::sync::Mutex<HashMap<OrgCode, V>>,
    code: &OrgCode,
    read: impl std::future::Future<Output = Result<V>>,
) -> Result<V> {
    if let Some(found) = seen.lock().ok().and_then(|m| m.get(code).cloned()) {
        return Ok(found);
    }
    let found = read.await?;
    if let Ok(mut m) = seen.lock() {
        m.insert(code.clone(), found.clone());
    }
    Ok(found)
}

/// How an incoming document's signature was found, kept with its header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SignatureCheck {
    /// Made by a certificate of the sending organisation under a trusted CA.
    Verified { signer: String },
    /// Came through the national document axis without a signature.
    Unsigned,
}

impl SignatureCheck {
    /// What the register shows: `None` for an outgoing document. Entries registered before
    /// this was kept were all verified (nothing unsigned was taken in then).
    pub fn of(d: &DocumentEntry) -> Option<Self> {
        if d.direction != Direction::Incoming {
            return None;
        }
        let value: serde_json::Value = serde_json::from_str(&d.header).unwrap_or_default();
        Some(
            value
                .get("signature")
                .and_then(|s| serde_json::from_value(s.clone()).ok())
                .unwrap_or(Self::Verified { signer: String::new() }),
        )
    }
}

/// The header stored for an incoming document, with how its signature was found.
fn header_json_checked(h: &MessageHeader, check: &SignatureCheck) -> Result<String> {
    let mut value = serde_json::to_value(h).map_err(|e| ExchangeServiceError::Invalid(e.to_string()))?;
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "signature".into(),
            serde_json::to_value(check).map_err(|e| ExchangeServiceError::Invalid(e.to_string()))?,
        );
    }
    Ok(value.to_string())
}

impl Exchange {
    /// The partners and roots as they are now.
    pub(crate) async fn known(&self) -> Result<Known> {
        let peers = self.documents.peers().await?;
        let anchors = self.anchors_with(&peers).await?;
        Ok(Known { peers, anchors, orgs: Default::default(), identities: Default::default() })
    }

    /// Takes in a package of any kind: verified and registered, or quarantined.
    pub async fn receive(&self, raw: &[u8], source: &Source) -> Result<Received> {
        self.receive_known(raw, source, &self.known().await?).await
    }

    /// [`Self::receive`] with the partners and roots already read.
    pub(crate) async fn receive_known(&self, raw: &[u8], source: &Source, known: &Known) -> Result<Received> {
        let kind = match edxml::package_kind(raw) {
            Ok(k) => k,
            Err(e) => return Err(self.quarantine(source, &e.to_string(), None, None, raw).await),
        };
        match kind {
            PackageKind::Document => self.receive_document(raw, source, known).await,
            PackageKind::Status => self.receive_status(raw, source, &known.anchors).await,
        }
    }

    async fn check_source(&self, source: &Source, from: &OrgCode, raw: &[u8], doc_id: &str) -> Result<()> {
        if let Source::Peer(p) = source
            && !p.orgs.iter().any(|(c, _)| c == from)
        {
            let reason = format!("cơ quan gửi {from} không thuộc máy chủ đối tác {}", p.name);
            return Err(self.quarantine(source, &reason, Some(doc_id), Some(from.as_str()), raw).await);
        }
        Ok(())
    }

    async fn receive_document(&self, raw: &[u8], source: &Source, known: &Known) -> Result<Received> {
        let pkg = match DocumentPackage::parse(raw) {
            Ok(p) => p,
            Err(e) => return Err(self.quarantine(source, &e.to_string(), None, None, raw).await),
        };
        let doc_id = pkg.header.document_id();
        let from = pkg.header.from.id.clone();
        self.check_source(source, &from, raw, &doc_id).await?;
        let check = match pkg.verify_in(raw, &known.anchors, Timestamp::now()) {
            Ok(signer) => SignatureCheck::Verified { signer: signer.subject },
            // The axis relays packages of agencies that do not sign: a new one is registered
            // and shown as unsigned; anything else unsigned is refused.
            Err(VerifyError::Missing) if matches!(source, Source::Axis) && pkg.header.business == BusinessType::New => {
                SignatureCheck::Unsigned
            }
            Err(e) => {
                return Err(self.quarantine(source, &e.to_string(), Some(&doc_id), Some(from.as_str()), raw).await);
            }
        };
        let mut local = Vec::new();
        for to in &pkg.header.to {
            if let Some(o) = known.organisation(self, &to.id).await? {
                local.push(o);
            }
        }
        if local.is_empty() {
            let reason = "không có nơi nhận nào thuộc máy chủ này";
            return Err(self.quarantine(source, reason, Some(&doc_id), Some(from.as_str()), raw).await);
        }
        if pkg.header.business != BusinessType::New {
            return self.receive_business(pkg, raw, source, &local).await;
        }
        let text = std::str::from_utf8(raw).map_err(|_| ExchangeServiceError::Invalid("UTF-8".into()))?;
        let back = self.route_with(&from, known).await?;
        let mut received = Received { kind: "document", registered: vec![], duplicates: 0 };
        let now = Timestamp::now();
        let year = i32::from(now.to_zoned(motcua_domain::calendar::vietnam()).date().year());
        for org in local {
            let identity = known.identity(self, &org.code).await?;
            let header = header_json_checked(&pkg.header, &check)?;
            let response_for = response_for(&pkg.header);
            let organ = Organ { id: org.code.clone(), name: org.name.as_str().to_owned() };
            let build = |number: i64| -> std::result::Result<DocumentWrite, String> {
                let (status, package) = status_package(
                    identity.as_deref(),
                    &response_for,
                    &organ,
                    StatusCode::Arrived,
                    &format!("Đã đến, vào sổ văn bản đến số {number}"),
                    "Hệ thống",
                    0,
                    now,
                )
                .map_err(|e| e.to_string())?;
                Ok(DocumentWrite {
                    document: NewDocument {
                        document_id: doc_id.clone(),
                        from_org: from.clone(),
                        subject: pkg.header.subject.clone(),
                        header: header.clone(),
                        package: text.to_owned(),
                        state: StatusCode::Arrived.code().into(),
                        revision: 0,
                        at: now,
                    },
                    outbox: status_outbox(back.as_ref(), &doc_id, &package),
                    statuses: vec![status],
                })
            };
            match self
                .documents
                .create_document(&org.code, Direction::Incoming, year, Dedup::ByDocumentId(&doc_id), &build)
                .await?
            {
                DocumentOutcome::Created(d) => received.registered.push(RegisterEntry::of(&d)),
                DocumentOutcome::Existing(_) | DocumentOutcome::KeyUsed { .. } => received.duplicates += 1,
            }
        }
        if !received.registered.is_empty() {
            self.wake.notify_one();
        }
        Ok(received)
    }

    async fn receive_business(
        &self,
        pkg: DocumentPackage,
        raw: &[u8],
        source: &Source,
        local: &[motcua_domain::Organisation],
    ) -> Result<Received> {
        let doc_id = pkg.header.document_id();
        let text = std::str::from_utf8(raw).map_err(|_| ExchangeServiceError::Invalid("UTF-8".into()))?;
        let mut received = Received { kind: "business", registered: vec![], duplicates: 0 };
        for org in local {
            let Some(doc) = self.documents.document_by_document_id(&org.code, Direction::Incoming, &doc_id).await?
            else {
                let reason = format!("{} cho văn bản chưa nhận", pkg.header.business.label_vi());
                return Err(self
                    .quarantine(source, &reason, Some(&doc_id), Some(pkg.header.from.id.as_str()), raw)
                    .await);
            };
            let rev = i64::from(pkg.header.revision);
            let pending_rev = match &doc.pending {
                Some(p) => DocumentPackage::parse(p.as_bytes()).map(|p| i64::from(p.header.revision)).unwrap_or(0),
                None => 0,
            };
            if rev <= doc.revision || rev <= pending_rev {
                received.duplicates += 1;
                continue;
            }
            let change = DocumentChange {
                expected_state: doc.state.clone(),
                expected_revision: doc.revision,
                state: doc.state.clone(),
                revision: doc.revision,
                content: None,
                pending: Some(Some(text.to_owned())),
                at: Timestamp::now(),
            };
            match self.documents.change_document(doc.id, &change, &[], &[]).await {
                Ok(d) => received.registered.push(RegisterEntry::of(&d)),
                Err(StoreError::Conflict(_)) => received.duplicates += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(received)
    }

    async fn receive_status(&self, raw: &[u8], source: &Source, anchors: &TrustAnchors) -> Result<Received> {
        let st = match StatusPackage::parse(raw) {
            Ok(p) => p,
            Err(e) => return Err(self.quarantine(source, &e.to_string(), None, None, raw).await),
        };
        let doc_id = st.response_for.document_id.clone();
        let from = st.from.id.clone();
        self.check_source(source, &from, raw, &doc_id).await?;
        match st.verify_in(raw, anchors, Timestamp::now()) {
            Ok(_) => {}
            Err(VerifyError::Missing) if matches!(source, Source::Axis) => {}
            Err(e) => {
                return Err(self.quarantine(source, &e.to_string(), Some(&doc_id), Some(from.as_str()), raw).await);
            }
        }
        let doc =
            self.documents.document_by_document_id(&st.response_for.organ_id, Direction::Outgoing, &doc_id).await?;
        let recipient = match &doc {
            Some(d) => header_of(d)?.to.iter().any(|o| o.id == from),
            None => false,
        };
        if !recipient {
            let reason = format!("trạng thái cho văn bản {doc_id} không gửi tới {from}");
            return Err(self.quarantine(source, &reason, Some(&doc_id), Some(from.as_str()), raw).await);
        }
        let text = std::str::from_utf8(raw).map_err(|_| ExchangeServiceError::Invalid("UTF-8".into()))?;
        let row = DocStatus {
            document_id: doc_id,
            to_org: from,
            code: st.status.code().into(),
            revision: i64::from(st.revision),
            description: st.description.clone(),
            staff: st.staff.clone(),
            at: st.timestamp,
            package: text.to_owned(),
        };
        let new = self.documents.record_statuses(&[row], &[]).await?;
        Ok(Received { kind: "status", registered: vec![], duplicates: usize::from(new == 0) })
    }

    /// An officer of the recipient records what became of an incoming document.
    pub async fn set_status(
        &self,
        actor: &Account,
        id: i64,
        status: StatusCode,
        description: &str,
    ) -> Result<DocumentRecord> {
        self.status_of_incoming(actor, id, status, description, true).await
    }

    /// The status an officer's work on the document calls for (its work file assigned,
    /// completed): recorded by whoever handles it, clerk or leader or not.
    pub(crate) async fn set_work_status(
        &self,
        actor: &Account,
        id: i64,
        status: StatusCode,
        description: &str,
    ) -> Result<DocumentRecord> {
        self.status_of_incoming(actor, id, status, description, false).await
    }

    async fn status_of_incoming(
        &self,
        actor: &Account,
        id: i64,
        status: StatusCode,
        description: &str,
        office_only: bool,
    ) -> Result<DocumentRecord> {
        let doc = self.documents.document(id).await?.ok_or(ExchangeServiceError::NotFound)?;
        if doc.direction != Direction::Incoming || !can_view(actor, &doc.org) {
            return Err(ExchangeServiceError::NotFound);
        }
        if office_only && !can_act(actor, &doc.org) {
            return Err(ExchangeServiceError::Forbidden);
        }
        let current = StatusCode::parse(&doc.state);
        let allowed = match current {
            Some(StatusCode::Arrived) => matches!(status, StatusCode::Accepted | StatusCode::Rejected),
            Some(StatusCode::Accepted | StatusCode::Assigned) => {
                matches!(status, StatusCode::Assigned | StatusCode::InProcess | StatusCode::Completed)
            }
            Some(StatusCode::InProcess) => matches!(status, StatusCode::InProcess | StatusCode::Completed),
            _ => false,
        };
        if !allowed {
            return Err(ExchangeServiceError::Conflict(format!(
                "không thể chuyển từ «{}» sang «{}»",
                current.map_or_else(|| doc.state.clone(), |c| c.label_vi().to_owned()),
                status.label_vi()
            )));
        }
        let description = description.trim();
        if matches!(status, StatusCode::Rejected | StatusCode::Assigned) && description.is_empty() {
            return Err(ExchangeServiceError::Invalid(if status == StatusCode::Rejected {
                "cần nêu lý do từ chối".into()
            } else {
                "cần nêu người hoặc bộ phận được phân công".into()
            }));
        }
        if description.chars().count() > 2000 {
            return Err(ExchangeServiceError::Invalid("nội dung ghi chú tối đa 2000 ký tự".into()));
        }
        self.answer(actor, &doc, status, description, status.code().to_owned(), doc.revision, None, None).await
    }

    /// Writes a status of `doc` (signed by its organisation), the change of state, and the
    /// outbox item that carries it back to the sender.
    #[allow(clippy::too_many_arguments)]
    async fn answer(
        &self,
        actor: &Account,
        doc: &DocumentRecord,
        status: StatusCode,
        description: &str,
        state: String,
        revision: i64,
        content: Option<(String, String, String)>,
        pending: Option<Option<String>>,
    ) -> Result<DocumentRecord> {
        let header = header_of(doc)?;
        let identity = self.org_identity(&doc.org).await?;
        let org_name = self.orgs.organisation(&doc.org).await?.map(|o| o.name.as_str().to_owned()).unwrap_or_default();
        let organ = Organ { id: doc.org.clone(), name: org_name };
        let (row, package) = status_package(
            Some(&identity),
            &response_for(&header),
            &organ,
            status,
            description,
            actor.full_name.as_str(),
            u32::try_from(revision).unwrap_or(0),
            Timestamp::now(),
        )?;
        let back = self.route(&doc.from_org).await?;
        let change = DocumentChange {
            expected_state: doc.state.clone(),
            expected_revision: doc.revision,
            state,
            revision,
            content,
            pending,
            at: Timestamp::now(),
        };
        let outbox = status_outbox(back.as_ref(), &doc.document_id, &package);
        let updated = self.documents.change_document(doc.id, &change, &[row], &outbox).await.map_err(|e| match e {
            StoreError::Conflict(m) => ExchangeServiceError::Conflict(m),
            other => other.into(),
        })?;
        if !outbox.is_empty() {
            self.wake.notify_one();
        }
        Ok(updated)
    }

    /// The sender recalls, updates or replaces a document it sent.
    pub async fn business(&self, actor: &Account, id: i64, req: BusinessRequest) -> Result<DocumentRecord> {
        let doc = self.documents.document(id).await?.ok_or(ExchangeServiceError::NotFound)?;
        if doc.direction != Direction::Outgoing || !can_view(actor, &doc.org) {
            return Err(ExchangeServiceError::NotFound);
        }
        if !can_act(actor, &doc.org) {
            return Err(ExchangeServiceError::Forbidden);
        }
        if doc.state == "recalled" {
            return Err(ExchangeServiceError::Conflict("văn bản đã bị thu hồi".into()));
        }
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(ExchangeServiceError::Invalid("cần nêu lý do (tối đa 1000 ký tự)".into()));
        }
        let old = DocumentPackage::parse(doc.package.as_bytes())?;
        let mut header = old.header.clone();
        header.business = req.kind;
        header.business_reason = reason.to_owned();
        header.revision = u32::try_from(doc.revision + 1).unwrap_or(u32::MAX);
        let mut attachments = old.attachments.clone();
        match req.kind {
            BusinessType::New => {
                return Err(ExchangeServiceError::Invalid("chọn thu hồi, cập nhật hoặc thay thế".into()));
            }
            BusinessType::Recall => {}
            BusinessType::Update | BusinessType::Replace => {
                if let Some(s) = req.subject {
                    header.subject = s.trim().to_owned();
                }
                if let Some(c) = req.content {
                    header.content = c;
                }
                if let Some(a) = req.attachments {
                    attachments = a;
                }
            }
        }
        header.validate().map_err(|e| ExchangeServiceError::Invalid(e.to_string()))?;
        let identity = self.org_identity(&doc.org).await?;
        let mut pkg = DocumentPackage {
            header: header.clone(),
            traces: vec![edxml::Trace { organ_id: doc.org.clone(), timestamp: Timestamp::now() }],
            signature: None,
            shape: Default::default(),
            attachments,
        };
        pkg.sign(&identity)?;
        let xml = pkg.to_xml();
        let mut targets: Vec<String> = Vec::new();
        for to in &header.to {
            if let Some(r) = self.route(&to.id).await?
                && !targets.iter().any(|t| t == r.target())
            {
                targets.push(r.target().to_owned());
            }
        }
        // A recall leaves the entry's package as it was, so the recall travels in its item; an
        // update or a replacement becomes the entry's package, and its items point at it.
        let (state, content, package) = match req.kind {
            BusinessType::Recall => ("recalled".to_owned(), None, OutboxPackage::Own(xml)),
            _ => (
                "sent".to_owned(),
                Some((header.subject.clone(), header_json(&header)?, xml)),
                OutboxPackage::OfDocument,
            ),
        };
        let outbox: Vec<NewOutbox> = targets
            .into_iter()
            .map(|t| NewOutbox {
                target: t,
                kind: "document".into(),
                reference: doc.document_id.clone(),
                package: package.clone(),
            })
            .collect();
        let change = DocumentChange {
            expected_state: doc.state.clone(),
            expected_revision: doc.revision,
            state,
            revision: doc.revision + 1,
            content,
            pending: None,
            at: Timestamp::now(),
        };
        let updated = self.documents.change_document(doc.id, &change, &[], &outbox).await.map_err(|e| match e {
            StoreError::Conflict(m) => ExchangeServiceError::Conflict(m),
            other => other.into(),
        })?;
        self.wake.notify_one();
        Ok(updated)
    }

    /// The recipient accepts (15) or refuses (16) a pending recall, update or replacement.
    pub async fn decide(&self, actor: &Account, id: i64, accept: bool, note: &str) -> Result<DocumentRecord> {
        let doc = self.documents.document(id).await?.ok_or(ExchangeServiceError::NotFound)?;
        if doc.direction != Direction::Incoming || !can_view(actor, &doc.org) {
            return Err(ExchangeServiceError::NotFound);
        }
        if !can_act(actor, &doc.org) {
            return Err(ExchangeServiceError::Forbidden);
        }
        let Some(pending) = &doc.pending else {
            return Err(ExchangeServiceError::Conflict("không có yêu cầu thu hồi/cập nhật nào đang chờ".into()));
        };
        let pkg = DocumentPackage::parse(pending.as_bytes())?;
        let rev = i64::from(pkg.header.revision);
        let note = note.trim();
        if !accept && note.is_empty() {
            return Err(ExchangeServiceError::Invalid("cần nêu lý do từ chối".into()));
        }
        let (status, state, content) = match (accept, pkg.header.business) {
            (false, _) => (StatusCode::BusinessRefused, doc.state.clone(), None),
            (true, BusinessType::Recall) => {
                (StatusCode::BusinessAccepted, StatusCode::Recalled.code().to_owned(), None)
            }
            (true, _) => (
                StatusCode::BusinessAccepted,
                doc.state.clone(),
                Some((pkg.header.subject.clone(), header_json(&pkg.header)?, pending.clone())),
            ),
        };
        let description = if note.is_empty() { pkg.header.business.label_vi().to_owned() } else { note.to_owned() };
        self.answer(actor, &doc, status, &description, state, rev, content, Some(None)).await
    }
}
