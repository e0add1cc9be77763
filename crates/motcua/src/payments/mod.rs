//! Payments: what a dossier owes and to which account (VietQR), transfers reported by
//! gateways and banks, receipts numbered once per payment whoever reports it (gateway, bank,
//! desk).

pub mod api;
pub mod partners;

use std::collections::HashMap;

use jiff::Timestamp;
use motcua_domain::audit::{EventDraft, sha256_hex};
use motcua_domain::payment::{self, BankAccount, FeeQuote};
use motcua_domain::workflow::SupplementMode;
use motcua_domain::workflow::{self, ActionKind, ActionRequest, Actor, Context, Dossier, Status};
use motcua_domain::{DossierCode, OrgCode, Role};
use motcua_store::payments::{CallbackOutcome, NewCallback, PaymentStore, Receipt};
use motcua_store::{DossierStore, SettingsStore, StoreError, StoredDossier};
use serde::{Deserialize, Serialize};

use crate::app::display::vnd;
use crate::app::snapshot::Snapshot;
use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};
use crate::calendar::Calendars;
use crate::calendar::source::{CalendarSource, display_vn};
use crate::catalog::Catalog;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReceiptView {
    pub number: String,
    pub amount: i64,
    pub amount_display: String,
    /// `transfer` or `desk`.
    pub method: String,
    pub issued_at: String,
    /// The printable receipt.
    pub url: String,
}

pub(crate) fn receipt_view(r: &Receipt) -> ReceiptView {
    ReceiptView {
        number: r.number.clone(),
        amount: r.amount,
        amount_display: vnd(r.amount),
        method: r.method.clone(),
        issued_at: display_vn(r.issued_at),
        url: format!("/dossiers/{}/receipts/{}", r.dossier, r.number),
    }
}

/// Whether a dossier may owe or have paid anything: a fee fixed at submission, or a payment
/// asked for since.
fn may_owe(d: &Dossier) -> bool {
    d.fee.is_some() || d.status == Status::PaymentRequested
}

fn owed(d: &Dossier) -> i64 {
    d.fee.as_ref().map_or(0, |f| f.total.amount())
}

/// The payment view of a dossier given its collecting account and receipts.
fn payment_view_of(d: &Dossier, bank: Option<BankAccount>, receipts: &[Receipt]) -> PaymentView {
    let total = owed(d);
    let requested = d.status == Status::PaymentRequested;
    let purpose = payment::purpose_text(d.code.as_str());
    let vietqr = match (&bank, requested) {
        (Some(b), true) if total > 0 => {
            motcua_domain::Vnd::new(total).ok().and_then(|amount| payment::vietqr(b, amount, &purpose).ok())
        }
        _ => None,
    };
    PaymentView {
        state: if requested { "requested" } else { "none" },
        amount: total,
        amount_display: vnd(total),
        bank,
        vietqr,
        purpose,
        receipts: receipts.iter().map(receipt_view).collect(),
    }
}

/// What the applicant owes and how to pay it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    /// `requested` (status 6, waiting for the money) or `none`.
    pub state: &'static str,
    pub amount: i64,
    pub amount_display: String,
    /// The account that collects, when the unit has one.
    pub bank: Option<BankAccount>,
    /// Dynamic VietQR payload (scan in any Vietnamese banking app), when requested.
    pub vietqr: Option<String>,
    /// Transfer description to use: the dossier code.
    pub purpose: String,
    pub receipts: Vec<ReceiptView>,
}

/// The payments' use cases, holding the payments (bank accounts, callbacks, receipts), the
/// dossiers (a paid one moves on), the catalog (its workflow), the calendar (its deadlines and
/// who administers the province) and the channel that tells live dashboards. Built per request.
pub struct Payments<'a> {
    payments: &'a dyn PaymentStore,
    dossiers: &'a dyn DossierStore,
    catalog: Catalog<'a>,
    calendars: Calendars<'a>,
    calendar: &'a CalendarSource,
    settings: &'a dyn SettingsStore,
    catalog_store: &'a dyn motcua_store::CatalogStore,
    reference: &'a crate::catalog::reference::ReferenceCache,
    supplement_mode: SupplementMode,
    events: &'a crate::app::events::Events,
    public_url: &'a str,
    exchange: &'a crate::documents::exchange::Exchange,
}

/// What a printed receipt shows besides the receipt.
pub struct ReceiptSheet {
    pub receipt: Receipt,
    pub org_name: String,
    pub procedure: String,
    /// The online check (it also says whether the receipt was revoked since).
    pub url: String,
    /// The signed QR payload, when the collecting organisation has a signing certificate.
    pub seal: Option<String>,
}

impl<'a> Payments<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self {
            payments: store,
            dossiers: store,
            catalog: Catalog::of(state),
            calendars: Calendars::of(state),
            calendar: &state.calendar,
            settings: store,
            catalog_store: store,
            reference: &state.reference,
            supplement_mode: state.settings.supplement_mode,
            events: &state.events,
            public_url: state.public_url(),
            exchange: &state.exchange,
        }
    }

    /// The dossier's receipts, by number.
    pub async fn receipts_of(&self, d: &Dossier) -> AppResult<Vec<Receipt>> {
        Ok(self.payments.receipts_of(&d.code).await?)
    }

    /// A receipt of the dossier by its number (404 for another dossier's), with what its
    /// printed form shows: the collecting organisation's name, the procedure's name and the
    /// verification address its QR code opens.
    pub async fn receipt_sheet(&self, d: &Dossier, number: &str) -> AppResult<ReceiptSheet> {
        let r = self
            .payments
            .receipt(number)
            .await?
            .filter(|r| r.dossier == d.code)
            .ok_or_else(|| AppError::not_found("Không có biên lai này"))?;
        let org_name =
            self.catalog.find_organisation(&r.org).await?.map_or_else(|| r.org.to_string(), |o| o.name.to_string());
        let procedure =
            self.catalog.lookup(&d.procedure).await?.map_or_else(|| d.procedure.to_string(), |p| p.name.to_string());
        let url = format!("{}/xac-minh/{}", self.public_url, r.number);
        let claims = motcua_exchange::seal::PaperClaims {
            number: r.number.clone(),
            kind: motcua_exchange::seal::PaperKind::Receipt,
            issuer: r.org.clone(),
            issued_at: crate::results::whole_seconds(r.issued_at),
            sha256: None,
            holder: motcua_domain::masked_name(&r.payer),
            url: url.clone(),
            amount: Some(r.amount),
            due: None,
        };
        let seal = self.exchange.seal(&claims).await;
        Ok(ReceiptSheet { receipt: r, org_name, procedure, url, seal })
    }

    /// Reference data as of one read of its version (bank accounts are kept there).
    async fn snapshot(&self) -> AppResult<Snapshot<'a>> {
        Snapshot::take(self.catalog_store, self.settings, self.reference, self.calendar).await
    }

    /// The unit that collects a dossier's fees (its processing organisation, else its desk)
    /// and its account, from the bank accounts kept with `snap`'s reference data.
    pub async fn collecting_account(
        &self,
        snap: &Snapshot<'_>,
        d: &Dossier,
    ) -> AppResult<Option<(OrgCode, BankAccount)>> {
        for org in [&d.processing_org, &d.desk_org] {
            if let Some(a) = snap.bank_account(self.payments, org).await? {
                return Ok(Some((org.clone(), a)));
            }
        }
        Ok(None)
    }

    /// `may_have_receipts` false: the dossier was stored by this very request, so none are
    /// looked up.
    pub async fn payment_view(
        &self,
        snap: &Snapshot<'_>,
        d: &Dossier,
        may_have_receipts: bool,
    ) -> AppResult<Option<PaymentView>> {
        // Most dossiers have no fee: nothing to look up for them.
        if !may_owe(d) {
            return Ok(None);
        }
        let receipts = if may_have_receipts { self.payments.receipts_of(&d.code).await? } else { Vec::new() };
        if owed(d) == 0 && receipts.is_empty() {
            return Ok(None);
        }
        let bank = self.collecting_account(snap, d).await?.map(|(_, a)| a);
        Ok(Some(payment_view_of(d, bank, &receipts)))
    }

    /// [`Self::payment_view`] for a caller that holds no snapshot: one is taken only for a
    /// dossier that may owe something (most owe nothing and need no read at all).
    pub async fn payment_view_alone(&self, d: &Dossier, may_have_receipts: bool) -> AppResult<Option<PaymentView>> {
        if !may_owe(d) {
            return Ok(None);
        }
        self.payment_view(&self.snapshot().await?, d, may_have_receipts).await
    }

    /// The payment views of a page of dossiers, by dossier: the receipts of every fee-bearing
    /// one in one read, and each organisation's collecting account read once per version of
    /// the reference data, however many of its dossiers the page holds.
    pub async fn payment_views(
        &self,
        snap: &Snapshot<'_>,
        page: &[Dossier],
    ) -> AppResult<HashMap<DossierCode, PaymentView>> {
        let owing: Vec<&Dossier> = page.iter().filter(|d| may_owe(d)).collect();
        let mut out = HashMap::new();
        if owing.is_empty() {
            return Ok(out);
        }
        let codes: Vec<DossierCode> = owing.iter().map(|d| d.code.clone()).collect();
        let mut receipts: HashMap<DossierCode, Vec<Receipt>> = HashMap::new();
        for r in self.payments.receipts_of_all(&codes).await? {
            receipts.entry(r.dossier.clone()).or_default().push(r);
        }
        for d in owing {
            let own = receipts.remove(&d.code).unwrap_or_default();
            if owed(d) == 0 && own.is_empty() {
                continue;
            }
            let bank = self.collecting_account(snap, d).await?.map(|(_, a)| a);
            out.insert(d.code.clone(), payment_view_of(d, bank, &own));
        }
        Ok(out)
    }

    /// Issues the receipt of a dossier's fees.
    pub async fn issue_receipt(
        &self,
        d: &Dossier,
        method: &str,
        gateway: Option<(&str, &str)>,
        issued_by: &str,
        callback: Option<i64>,
        amount: i64,
    ) -> AppResult<Receipt> {
        let snap = self.snapshot().await?;
        let org = self.collecting_account(&snap, d).await?.map_or_else(|| d.processing_org.clone(), |(o, _)| o);
        let now = Timestamp::now();
        let lines = serde_json::to_string(&d.fee.as_ref().map(|f: &FeeQuote| &f.lines)).unwrap_or_else(|_| "[]".into());
        let (org_c, code, method, payer, issued_by) = (
            org.clone(),
            d.code.clone(),
            method.to_owned(),
            d.applicant.full_name.as_str().to_owned(),
            issued_by.to_owned(),
        );
        let gateway = gateway.map(|(g, t)| (g.to_owned(), t.to_owned()));
        let build = move |number: String| Receipt {
            number,
            org: org_c.clone(),
            dossier: code.clone(),
            amount,
            method: method.clone(),
            payer: payer.clone(),
            gateway: gateway.as_ref().map(|g| g.0.clone()),
            transaction_id: gateway.as_ref().map(|g| g.1.clone()),
            lines: lines.clone(),
            issued_by: issued_by.clone(),
            issued_at: now,
        };
        Ok(self.payments.issue_receipt(&org, vn_year(now), callback, &build).await?)
    }

    /// A bank or payment gateway reports a transfer (already authenticated as `gateway`; `text`
    /// is the body as sent, kept for reconciliation). Money for a dossier that waits for exactly
    /// that amount is applied: the receipt is issued and the dossier moves on. Anything else is
    /// recorded as a mismatch. A repeat of a transaction id answers as the first time (and
    /// finishes one that stopped half-way); the same id with another body is refused.
    pub async fn transfer_reported(&self, gateway: &str, text: &str, req: &CallbackBody) -> AppResult<CallbackReply> {
        let txn = req.transaction_id.trim();
        if txn.is_empty() || txn.len() > 100 {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "transaction_id phải có 1–100 ký tự"));
        }
        if req.amount <= 0 || req.amount > motcua_domain::Vnd::MAX {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "amount phải là số tiền dương (đồng)"));
        }
        let body_sha = sha256_hex(text.as_bytes());
        // The dossier the money is for, and whether it matches what is owed.
        let code = match req.dossier_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(c) => DossierCode::parse(c).ok(),
            None => payment::find_dossier_code(&req.description),
        };
        let stored = match &code {
            Some(c) => self.dossiers.dossier(c).await?,
            None => None,
        };
        let (outcome, reason) = match (&code, &stored) {
            (None, _) => ("mismatch", Some("không tìm thấy mã hồ sơ trong nội dung chuyển khoản".to_owned())),
            (Some(c), None) => ("mismatch", Some(format!("không có hồ sơ {c}"))),
            (Some(_), Some(s)) => {
                let owed = s.dossier.fee.as_ref().map_or(0, |f| f.total.amount());
                if s.dossier.status != Status::PaymentRequested {
                    (
                        "mismatch",
                        Some(format!("hồ sơ không ở trạng thái chờ nộp phí ({})", s.dossier.status.label_vi())),
                    )
                } else if owed != req.amount {
                    ("mismatch", Some(format!("số tiền {} khác số phải nộp {}", vnd(req.amount), vnd(owed))))
                } else {
                    ("paid", None)
                }
            }
        };
        let record = NewCallback {
            gateway: gateway.to_owned(),
            transaction_id: txn.to_owned(),
            body_sha256: body_sha.clone(),
            body: text.to_owned(),
            dossier: stored.as_ref().map(|s| s.dossier.code.clone()),
            org: match &stored {
                Some(s) => Some(
                    self.collecting_account(&self.snapshot().await?, &s.dossier)
                        .await?
                        .map_or_else(|| s.dossier.processing_org.clone(), |(o, _)| o),
                ),
                None => None,
            },
            amount: req.amount,
            outcome: outcome.to_owned(),
            reason: reason.clone(),
            at: Timestamp::now(),
        };
        let id = match self.payments.record_callback(&record).await? {
            CallbackOutcome::Recorded(id) => id,
            CallbackOutcome::Existing(prev) => {
                if prev.callback.body_sha256 != body_sha {
                    tracing::warn!(gateway, "payment callback reuses a transaction id with another body");
                    return Err(AppError::new(
                        Kind::Conflict,
                        ErrorCode::TransactionConflict,
                        "Mã giao dịch này đã được báo với nội dung khác",
                    ));
                }
                // A repeat. If the first was paid but the process stopped before finishing,
                // finish now; otherwise answer as the first time.
                let mut receipt_number = prev.receipt_number.clone();
                if prev.callback.outcome == "paid"
                    && receipt_number.is_none()
                    && let Some(s) = &stored
                {
                    receipt_number = Some(self.apply_paid(s, gateway, txn, prev.id, req.amount).await?);
                }
                return Ok(CallbackReply {
                    outcome: prev.callback.outcome,
                    reason: prev.callback.reason,
                    receipt_number,
                    duplicate: true,
                });
            }
        };
        let receipt_number = match (outcome, &stored) {
            ("paid", Some(s)) => Some(self.apply_paid(s, gateway, txn, id, req.amount).await?),
            _ => {
                tracing::info!(gateway, outcome, "payment callback recorded for reconciliation");
                None
            }
        };
        Ok(CallbackReply { outcome: outcome.to_owned(), reason, receipt_number, duplicate: false })
    }

    /// Issues the receipt and moves the dossier on (ConfirmPayment by the gateway).
    async fn apply_paid(
        &self,
        stored: &StoredDossier,
        gateway: &str,
        txn: &str,
        callback: i64,
        amount: i64,
    ) -> AppResult<String> {
        let receipt = self
            .issue_receipt(
                &stored.dossier,
                "transfer",
                Some((gateway, txn)),
                &format!("gateway:{gateway}"),
                Some(callback),
                amount,
            )
            .await?;
        let wf = self.catalog.workflow_of(&stored.dossier).await?;
        let cal = self.calendar.current(self.settings).await?;
        // Retry once if an officer acted in between.
        let mut current = stored.clone();
        for _ in 0..2 {
            let now = Timestamp::now();
            let ctx = Context { workflow: &wf, calendar: &cal, supplement_mode: self.supplement_mode, now };
            let req = ActionRequest { action: Some(ActionKind::ConfirmPayment), ..Default::default() };
            let t = match workflow::apply(&ctx, &current.dossier, Actor::PaymentGateway, &req) {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(code = %current.dossier.code, error = %e, "paid, but the dossier no longer waits for payment");
                    return Ok(receipt.number);
                }
            };
            let draft = EventDraft {
                at_us: now.as_microsecond(),
                actor_account: None,
                actor: format!("gateway:{gateway}"),
                action: "confirm_payment".into(),
                from_status: Some(t.from_status.code()),
                to_status: t.dossier.status.code(),
                from_step: t.from_step.clone(),
                to_step: t.dossier.step.clone(),
                details: serde_json::json!({"receipt": receipt.number, "amount": amount, "gateway": gateway, "transaction_id": txn}).to_string(),
            };
            match self
                .dossiers
                .record_action(
                    &current.dossier.code,
                    current.last_seq,
                    &t.dossier,
                    t.dossier.placement(&wf),
                    draft,
                    &[],
                )
                .await
            {
                Ok(_) => {
                    self.events.dossiers_changed();
                    return Ok(receipt.number);
                }
                Err(StoreError::Conflict(_)) => {
                    current = self.dossiers.dossier(&current.dossier.code).await?.ok_or_else(AppError::internal)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(receipt.number)
    }

    /// A day's reconciliation of an organisation's payments (or, for the province's
    /// administrator, all of them): every receipt, every transfer that was not applied and why,
    /// and the total collected. For its desk officers, leaders, administrators and clerks.
    pub async fn reconciliation(
        &self,
        account: &motcua_domain::Account,
        org: Option<&OrgCode>,
        date: &str,
    ) -> AppResult<(jiff::civil::Date, crate::export::Table)> {
        let allowed = match org {
            Some(org) => account.roles.iter().any(|r| {
                &r.org == org && matches!(r.role, Role::DeskOfficer | Role::Leader | Role::Administrator | Role::Clerk)
            }),
            None => self.calendars.is_province_admin(account).await?,
        };
        if !allowed {
            return Err(AppError::forbidden());
        }
        let day: jiff::civil::Date =
            date.parse().map_err(|_| AppError::bad_request(ErrorCode::InvalidDate, "date phải có dạng YYYY-MM-DD"))?;
        let tz = motcua_domain::calendar::vietnam();
        let from = day
            .to_zoned(tz.clone())
            .map_err(|_| AppError::bad_request(ErrorCode::InvalidDate, "ngày không hợp lệ"))?
            .timestamp();
        let to = day
            .tomorrow()
            .and_then(|d| d.to_zoned(tz))
            .map_err(|_| AppError::bad_request(ErrorCode::InvalidDate, "ngày không hợp lệ"))?
            .timestamp();
        let receipts = self.payments.receipts_between(org, from, to).await?;
        let callbacks = self.payments.callbacks_between(org, from, to).await?;
        use crate::export::{Cell, Table};
        let text = |s: &str| Cell::Text(s.to_owned());
        let mut rows = Vec::with_capacity(receipts.len() + callbacks.len() + 1);
        let mut total = 0i64;
        for r in &receipts {
            total += r.amount;
            rows.push(vec![
                text("bien_lai"),
                text(&r.number),
                text(r.dossier.as_str()),
                Cell::Int(r.amount),
                text(&r.method),
                text(r.gateway.as_deref().unwrap_or("")),
                text(r.transaction_id.as_deref().unwrap_or("")),
                text("da_thu"),
                text(""),
                text(&crate::calendar::source::rfc3339_vn(r.issued_at)),
            ]);
        }
        for c in callbacks.iter().filter(|c| c.callback.outcome != "paid") {
            let cb = &c.callback;
            rows.push(vec![
                text("chenh_lech"),
                text(""),
                text(cb.dossier.as_ref().map_or("", |d| d.as_str())),
                Cell::Int(cb.amount),
                text("transfer"),
                text(&cb.gateway),
                text(&cb.transaction_id),
                text(&cb.outcome),
                text(cb.reason.as_deref().unwrap_or("")),
                text(&crate::calendar::source::rfc3339_vn(cb.at)),
            ]);
        }
        let mut last = vec![text("tong"), text(""), text(""), Cell::Int(total)];
        last.extend([text(""), text(""), text(""), text(""), text(&format!("{} biên lai", receipts.len())), text("")]);
        rows.push(last);
        let headers =
            "loai,so_bien_lai,ma_ho_so,so_tien,hinh_thuc,cong_thanh_toan,ma_giao_dich,ket_qua,ly_do,thoi_diem";
        Ok((day, Table { title: "Đối soát".into(), headers: headers.split(',').map(str::to_owned).collect(), rows }))
    }
}

pub(crate) fn vn_year(t: Timestamp) -> i32 {
    i32::from(t.to_zoned(motcua_domain::calendar::vietnam()).date().year())
}

/// A callback's body. Unknown fields are ignored (gateways add their own).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CallbackBody {
    /// The gateway's transaction id; a repeat is answered as before and changes nothing.
    pub transaction_id: String,
    /// Amount received, VND.
    pub amount: i64,
    /// The dossier, when the gateway passes it; else it is looked for in `description`.
    pub dossier_code: Option<String>,
    /// The transfer description the payer's bank sent.
    #[serde(default)]
    pub description: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallbackReply {
    /// `paid` (applied: receipt issued, dossier moves on) or `mismatch` (recorded for
    /// reconciliation, nothing applied).
    pub outcome: String,
    pub reason: Option<String>,
    pub receipt_number: Option<String>,
    /// This transaction id was received before.
    pub duplicate: bool,
}
