//! The self-service kiosk's use cases: a citizen signs in with a one-time code sent to the
//! phone registered with the ID number, sees their dossiers, starts a draft of a procedure
//! served at the centre, and signs out. The kiosk asks only for the store roles it uses.

use jiff::Timestamp;
use motcua_domain::service::Otp;
use motcua_domain::workflow::Dossier;
use motcua_domain::{Account, Cccd, OnlineLevel, Organisation, Procedure, ProcedureCode};
use motcua_store::service::CodeStore;
use motcua_store::{AccountStore, CatalogStore, DossierFilter, DossierStore, Draft, Page, ProcedureFilter};

use crate::app::{AppResult, AppState};
use crate::service::{OtpChallenge, ServiceError};

/// The kiosk use cases, holding the accounts and their one-time codes, the catalog and the
/// citizen's dossiers and drafts. Built per request from the shared state.
pub struct Kiosks<'a> {
    accounts: &'a dyn AccountStore,
    codes: &'a dyn CodeStore,
    catalog: &'a dyn CatalogStore,
    dossiers: &'a dyn DossierStore,
    email_on: bool,
}

/// A session opened at a kiosk.
pub struct KioskSignIn {
    pub account: Account,
    pub token: String,
    pub expires_at: Timestamp,
}

impl<'a> Kiosks<'a> {
    pub fn of(state: &'a AppState) -> Self {
        let store = state.store.as_ref();
        Self { accounts: store, codes: store, catalog: store, dossiers: store, email_on: state.email_on() }
    }

    /// Sends a one-time code to the phone (and e-mail) registered with the ID number; the
    /// answer is the same whether or not there is such an account.
    pub async fn request_code(&self, cccd: &Cccd, now: Timestamp) -> Result<OtpChallenge, ServiceError> {
        crate::service::request_otp(self.accounts, self.codes, self.email_on, cccd, now).await
    }

    /// Checks the typed code and opens a short session for its account.
    pub async fn sign_in(&self, challenge: &str, otp: &Otp, now: Timestamp) -> Result<KioskSignIn, ServiceError> {
        let account = crate::service::verify_otp(self.accounts, self.codes, challenge, otp, now).await?;
        let (token, expires_at) = crate::service::kiosk_session(self.accounts, &account, now).await?;
        tracing::info!(account_id = account.id, "kiosk session");
        Ok(KioskSignIn { account, token, expires_at })
    }

    /// Ends the kiosk's session (its token's hash).
    pub async fn sign_out(&self, token_hash: &str) -> AppResult<()> {
        self.accounts.delete_session(token_hash).await?;
        Ok(())
    }

    /// The procedure of the catalog a code names, if the text is one and it exists.
    pub async fn procedure(&self, code: &str) -> AppResult<Option<ProcedureCode>> {
        let Ok(code) = ProcedureCode::parse(code) else { return Ok(None) };
        Ok(self.catalog.procedure(&code).await?.map(|_| code))
    }

    /// Starts a draft of the procedure for the citizen, its body as the form begins; its number.
    pub async fn start_draft(
        &self,
        account: &Account,
        procedure: &ProcedureCode,
        body: String,
        now: Timestamp,
    ) -> AppResult<i64> {
        let draft = Draft { id: None, account_id: account.id, procedure: procedure.clone(), body, updated_at: now };
        Ok(self.dossiers.save_draft(&draft).await?)
    }

    /// The citizen's latest dossiers (at most 50).
    pub async fn dossiers_of(&self, account: &Account) -> AppResult<Vec<Dossier>> {
        let filter = DossierFilter { owner: Some(account.id), ..Default::default() };
        Ok(self.dossiers.list_dossiers(&filter, &motcua_store::DossierPage::first(50)).await?.items)
    }

    /// The fully online procedures served in the centre's area and the province's (at most 60).
    pub async fn procedures_at(&self, centre: &Organisation) -> AppResult<Vec<Procedure>> {
        let filter =
            ProcedureFilter { online: Some(OnlineLevel::Full), unit: Some(centre.unit.clone()), ..Default::default() };
        Ok(self.catalog.list_procedures(&filter, Page::new(Some(0), Some(60))).await?.items)
    }
}
