//! Payments: what a dossier owes and to which account (VietQR), receipts numbered once per
//! payment whoever reports it (gateway, bank, desk).

use jiff::Timestamp;
use motcua_domain::OrgCode;
use motcua_domain::payment::{self, BankAccount, FeeQuote};
use motcua_domain::workflow::{Dossier, Status};
use motcua_store::payments::Receipt;
use serde::Serialize;

use super::{AppResult, AppState};
use crate::calendar::display_vn;

/// `1.200.000 ₫`
pub fn vnd(amount: i64) -> String {
    motcua_domain::Vnd::new(amount).map_or_else(|_| amount.to_string(), |v| v.to_string())
}

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

/// The unit that collects a dossier's fees (its processing organisation, else its desk)
/// and its account.
pub async fn collecting_account(state: &AppState, d: &Dossier) -> AppResult<Option<(OrgCode, BankAccount)>> {
    for org in [&d.processing_org, &d.desk_org] {
        if let Some(a) = state.store.bank_account(org).await? {
            return Ok(Some((org.clone(), a)));
        }
    }
    Ok(None)
}

pub async fn payment_view(state: &AppState, d: &Dossier) -> AppResult<Option<PaymentView>> {
    // Most dossiers have no fee: nothing to look up for them.
    if d.fee.is_none() && d.status != Status::PaymentRequested {
        return Ok(None);
    }
    let receipts = state.store.receipts_of(&d.code).await?;
    let total = d.fee.as_ref().map_or(0, |f| f.total.amount());
    if total == 0 && receipts.is_empty() {
        return Ok(None);
    }
    let requested = d.status == Status::PaymentRequested;
    let bank = collecting_account(state, d).await?.map(|(_, a)| a);
    let purpose = payment::purpose_text(d.code.as_str());
    let vietqr = match (&bank, requested) {
        (Some(b), true) if total > 0 => {
            motcua_domain::Vnd::new(total).ok().and_then(|amount| payment::vietqr(b, amount, &purpose).ok())
        }
        _ => None,
    };
    Ok(Some(PaymentView {
        state: if requested { "requested" } else { "none" },
        amount: total,
        amount_display: vnd(total),
        bank,
        vietqr,
        purpose,
        receipts: receipts.iter().map(receipt_view).collect(),
    }))
}

pub(crate) fn vn_year(t: Timestamp) -> i32 {
    i32::from(t.to_zoned(motcua_domain::calendar::vietnam()).date().year())
}

/// Issues the receipt of a dossier's fees.
pub async fn issue_receipt(
    state: &AppState,
    d: &Dossier,
    method: &str,
    gateway: Option<(&str, &str)>,
    issued_by: &str,
    callback: Option<i64>,
    amount: i64,
) -> AppResult<Receipt> {
    let org = collecting_account(state, d).await?.map_or_else(|| d.processing_org.clone(), |(o, _)| o);
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
    Ok(state.store.issue_receipt(&org, vn_year(now), callback, &build).await?)
}
