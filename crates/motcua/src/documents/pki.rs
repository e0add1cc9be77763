//! Keys and certificates of a deployment, as `motcua pki …` and `motcua peer …` manage
//! them: the CA and the server's request-signing identity (`init`), organisations'
//! signing certificates (`issue`, `import`), trusted outside CAs (`trust`) and partner
//! servers (`peer add`).

use jiff::Timestamp;
use motcua_domain::OrgCode;
use motcua_exchange::ExchangeError;
use motcua_exchange::pki::{self, CertificateInfo, IssuedIdentity, KeyAlgorithm, Subject};
use motcua_store::documents::{CertRole, DocumentStore, Peer, StoredCertificate};
use motcua_store::{CatalogStore, OrgFilter, Page, StoreError};

use crate::documents::exchange::Passphrase;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("hệ thống đã có tổ chức chứng thực ({0}); không tạo lại")]
    AlreadyInitialised(String),
    #[error("chưa có tổ chức chứng thực: chạy motcua pki init trước")]
    NoCa,
    #[error("không có cơ quan {0}")]
    UnknownOrg(OrgCode),
    #[error("chứng thư số ghi cơ quan {found}, không phải {expected}")]
    OrgMismatch { expected: OrgCode, found: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn stored(role: CertRole, org: Option<OrgCode>, issued: &IssuedIdentity, with_key: bool) -> StoredCertificate {
    stored_info(role, org, &issued.info, issued.cert_pem.clone(), with_key.then(|| issued.encrypted_key_pem.clone()))
}

fn stored_info(
    role: CertRole,
    org: Option<OrgCode>,
    info: &CertificateInfo,
    cert_pem: String,
    key_pem: Option<String>,
) -> StoredCertificate {
    StoredCertificate {
        id: 0,
        role,
        org,
        subject: info.subject.clone(),
        serial: info.serial.clone(),
        fingerprint: info.fingerprint.clone(),
        not_before: info.not_before,
        not_after: info.not_after,
        cert_pem,
        key_pem,
        active: true,
        created_at: Timestamp::now(),
    }
}

async fn active(
    store: &(impl DocumentStore + ?Sized),
    role: CertRole,
    org: Option<&OrgCode>,
) -> Result<Option<StoredCertificate>, PkiError> {
    Ok(store.certificates(Some(role), org).await?.into_iter().find(|c| c.active))
}

/// Creates the deployment CA and the server's identity for signing partner requests.
pub async fn init(
    store: &(impl DocumentStore + CatalogStore + ?Sized),
    passphrase: &Passphrase,
    name: &str,
    algorithm: KeyAlgorithm,
    days: u32,
) -> Result<CertificateInfo, PkiError> {
    if let Some(ca) = active(store, CertRole::Ca, None).await? {
        return Err(PkiError::AlreadyInitialised(ca.subject));
    }
    let p = passphrase.bytes().to_vec();
    let name = name.to_owned();
    let (ca, server) = tokio::task::spawn_blocking(move || -> Result<_, ExchangeError> {
        let ca = pki::create_ca(&name, algorithm, days, &p)?;
        let ca_id = pki::load_identity(&ca.cert_pem, &ca.encrypted_key_pem, &p)?;
        let server = pki::issue(
            &ca_id,
            &Subject { org: None, common_name: &format!("{name} — máy chủ") },
            algorithm,
            days.min(825),
            None,
            &p,
        )?;
        Ok((ca, server))
    })
    .await
    .map_err(|e| PkiError::Invalid(e.to_string()))??;
    store.add_certificate(&stored(CertRole::Ca, None, &ca, true)).await?;
    store.add_certificate(&stored(CertRole::Server, None, &server, true)).await?;
    Ok(ca.info)
}

/// Issues an organisation's signing certificate from the deployment CA (replacing the one
/// it had).
pub async fn issue(
    store: &(impl DocumentStore + CatalogStore + ?Sized),
    passphrase: &Passphrase,
    org: &OrgCode,
    algorithm: KeyAlgorithm,
    days: u32,
) -> Result<CertificateInfo, PkiError> {
    let o = store.organisation(org).await?.ok_or_else(|| PkiError::UnknownOrg(org.clone()))?;
    let ca = active(store, CertRole::Ca, None).await?.ok_or(PkiError::NoCa)?;
    let key = ca.key_pem.clone().ok_or(PkiError::NoCa)?;
    let p = passphrase.bytes().to_vec();
    let (code, name) = (org.clone(), o.name.as_str().to_owned());
    let issued = tokio::task::spawn_blocking(move || -> Result<_, ExchangeError> {
        let ca_id = pki::load_identity(&ca.cert_pem, &key, &p)?;
        pki::issue(&ca_id, &Subject { org: Some(&code), common_name: &name }, algorithm, days, None, &p)
    })
    .await
    .map_err(|e| PkiError::Invalid(e.to_string()))??;
    store.add_certificate(&stored(CertRole::Org, Some(org.clone()), &issued, true)).await?;
    Ok(issued.info)
}

/// Issues certificates for every organisation that has none; how many were issued.
pub async fn issue_missing(
    store: &(impl DocumentStore + CatalogStore + ?Sized),
    passphrase: &Passphrase,
    algorithm: KeyAlgorithm,
) -> Result<usize, PkiError> {
    let orgs = store.list_organisations(&OrgFilter::default(), Page::all()).await?.items;
    let with: std::collections::HashSet<OrgCode> = store
        .certificates(Some(CertRole::Org), None)
        .await?
        .into_iter()
        .filter(|c| c.active && c.key_pem.is_some())
        .filter_map(|c| c.org)
        .collect();
    let mut n = 0;
    for o in orgs.iter().filter(|o| !with.contains(&o.code)) {
        issue(store, passphrase, &o.code, algorithm, 730).await?;
        n += 1;
    }
    Ok(n)
}

/// A deployment ready to exchange documents: CA and server identity made if missing, and a
/// certificate for every organisation (what `serve --demo` does).
pub async fn ensure(
    store: &(impl DocumentStore + CatalogStore + ?Sized),
    passphrase: &Passphrase,
) -> Result<usize, PkiError> {
    if active(store, CertRole::Ca, None).await?.is_none() {
        init(store, passphrase, "motcua CA", KeyAlgorithm::EcdsaP256, 3650).await?;
    }
    issue_missing(store, passphrase, KeyAlgorithm::EcdsaP256).await
}

/// Keeps an identity brought from an outside CA for an organisation. The certificate must
/// name the organisation, unless `any_subject`.
pub async fn import(
    store: &(impl DocumentStore + CatalogStore + ?Sized),
    org: &OrgCode,
    issued: IssuedIdentity,
    chain: Vec<motcua_exchange::openssl::x509::X509>,
) -> Result<CertificateInfo, PkiError> {
    store.organisation(org).await?.ok_or_else(|| PkiError::UnknownOrg(org.clone()))?;
    match &issued.info.org {
        Some(found) if found == org => {}
        found => {
            return Err(PkiError::OrgMismatch {
                expected: org.clone(),
                found: found.as_ref().map_or_else(|| issued.info.subject.clone(), ToString::to_string),
            });
        }
    }
    // The chain's root, if the file carries one, becomes trusted.
    for c in chain {
        let info = pki::certificate_info(&c)?;
        if info.is_ca
            && store
                .certificates(Some(CertRole::Trusted), None)
                .await?
                .iter()
                .all(|t| t.fingerprint != info.fingerprint)
        {
            store
                .add_certificate(&stored_info(CertRole::Trusted, None, &info, pki::certificate_pem(&c)?, None))
                .await?;
        }
    }
    store.add_certificate(&stored(CertRole::Org, Some(org.clone()), &issued, true)).await?;
    Ok(issued.info)
}

/// Accepts certificates issued by an outside CA (PEM, one or more).
pub async fn trust(store: &(impl DocumentStore + ?Sized), pem: &[u8]) -> Result<Vec<CertificateInfo>, PkiError> {
    let mut out = Vec::new();
    for c in pki::parse_certificates(pem)? {
        let info = pki::certificate_info(&c)?;
        store.add_certificate(&stored_info(CertRole::Trusted, None, &info, pki::certificate_pem(&c)?, None)).await?;
        out.push(info);
    }
    Ok(out)
}

/// The active CA certificate, PEM.
pub async fn ca_pem(store: &(impl DocumentStore + ?Sized)) -> Result<String, PkiError> {
    Ok(active(store, CertRole::Ca, None).await?.ok_or(PkiError::NoCa)?.cert_pem)
}

/// Adds or changes a partner server.
pub async fn add_peer(
    store: &(impl DocumentStore + CatalogStore + ?Sized),
    name: &str,
    url: &str,
    ca_pem: &[u8],
    orgs: Vec<(OrgCode, String)>,
) -> Result<Peer, PkiError> {
    let name = name.trim();
    if name.is_empty() || name == "local" || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(PkiError::Invalid("tên đối tác chỉ gồm chữ, số, - và _ (không được là local)".into()));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(PkiError::Invalid("địa chỉ đối tác phải bắt đầu bằng http:// hoặc https://".into()));
    }
    if orgs.is_empty() {
        return Err(PkiError::Invalid("cần ít nhất một cơ quan (--org) do máy chủ đối tác phục vụ".into()));
    }
    for (code, _) in &orgs {
        if store.organisation(code).await?.is_some() {
            return Err(PkiError::Invalid(format!("cơ quan {code} thuộc máy chủ này, không thể giao cho đối tác")));
        }
    }
    let certs = pki::parse_certificates(ca_pem)?;
    let first = certs.first().ok_or_else(|| PkiError::Invalid("tệp CA rỗng".into()))?;
    let info = pki::certificate_info(first)?;
    let peer = Peer {
        name: name.to_owned(),
        base_url: url.trim_end_matches('/').to_owned(),
        ca_pem: String::from_utf8_lossy(ca_pem).into_owned(),
        ca_fingerprint: info.fingerprint,
        orgs,
        created_at: Timestamp::now(),
    };
    store.upsert_peer(&peer).await?;
    Ok(peer)
}
