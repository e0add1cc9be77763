//! The OpenID Connect provider citizens sign in with (VNeID, the national portal's single
//! sign-on, or any standard provider), through the `openidconnect` crate: discovery, the
//! authorization code flow with PKCE, `state` and `nonce`, the ID token's signature checked
//! against the provider's published keys (fetched again once when a token names a key not seen
//! yet: the provider rotated its keys), its issuer, audience, expiry and nonce checked, and
//! RP-initiated sign-out. Nothing here is kept only in this process but a cache of the
//! provider's metadata: the requests on their way live in the database (`identity.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreDeviceAuthorizationResponse, CoreGenderClaim, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType, CoreTokenResponse,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthenticationContextClass, AuthorizationCode,
    ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, DeviceAuthorizationUrl, EndSessionUrl, IdToken,
    IdTokenClaims, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadata, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};

/// How long the provider's metadata and keys are trusted before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The provider, as configured (`--oidc-*`). `Debug` never shows the client secret.
#[derive(Clone)]
pub struct ProviderSettings {
    /// The issuer's URL (`https://…`; `http://` only on loopback, for tests).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The claim carrying the personal identification number (CCCD).
    pub cccd_claim: String,
    /// `acr` values that mean electronic identification level 2.
    pub level2_acr: Vec<String>,
    /// The name on the sign-in button ("VNeID").
    pub display_name: String,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("scopes", &self.scopes)
            .field("cccd_claim", &self.cccd_claim)
            .field("level2_acr", &self.level2_acr)
            .finish()
    }
}

impl ProviderSettings {
    /// Checks the settings before the server starts: an issuer and a client that can be used.
    pub fn check(&self) -> Result<(), String> {
        let url = openidconnect::url::Url::parse(&self.issuer).map_err(|e| format!("--oidc-issuer: {e}"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err("--oidc-issuer phải là địa chỉ https:// (http:// chỉ cho 127.0.0.1)".into());
        }
        if self.client_id.trim().is_empty() {
            return Err("--oidc-client-id là bắt buộc khi có --oidc-issuer".into());
        }
        Ok(())
    }
}

/// The claims of the ID token that are neither registered nor standard, so that the identity
/// number can be read from whichever claim the provider names it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AllClaims {
    #[serde(flatten)]
    pub all: BTreeMap<String, serde_json::Value>,
}
impl AdditionalClaims for AllClaims {}

/// What the provider's discovery document says besides OpenID Connect Discovery's own fields:
/// where to end its session (RP-initiated logout) and where a kiosk asks for a device code.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MoreMetadata {
    pub end_session_endpoint: Option<EndSessionUrl>,
    pub device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
}
impl AdditionalProviderMetadata for MoreMetadata {}

type Metadata = ProviderMetadata<
    MoreMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Token = IdToken<AllClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
type Claims = IdTokenClaims<AllClaims, CoreGenderClaim>;

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or described itself wrongly.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The token endpoint refused the code (used, expired, or not ours).
    #[error("code refused: {0}")]
    CodeRefused(String),
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    #[error("ID token refused: {0}")]
    TokenRefused(String),
}

/// An authorization request to send the browser to.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A device code asked for at a kiosk.
pub struct DeviceStart {
    pub user_code: String,
    pub verification_uri: String,
    /// The same, with the code in it (for a QR code), when the provider gives one.
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    /// The provider's whole answer (JSON), kept until the citizen approves.
    pub response: String,
}

/// A verified ID token.
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub acr: Option<String>,
    /// Every other claim, to read the person from.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// The token itself, to name the session when signing out at the provider.
    pub id_token: String,
}

pub struct IdentityProvider {
    pub settings: ProviderSettings,
    http: openidconnect::reqwest::Client,
    metadata: tokio::sync::RwLock<Option<(Arc<Metadata>, Instant)>>,
}

impl IdentityProvider {
    pub fn new(settings: ProviderSettings) -> Result<Self, String> {
        settings.check()?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            // No redirects from the provider's endpoints (a redirect could point anywhere).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { settings, http, metadata: tokio::sync::RwLock::new(None) })
    }

    /// The provider's metadata and keys, fetched when not cached, stale, or `fresh` is asked.
    async fn metadata(&self, fresh: bool) -> Result<Arc<Metadata>, ProviderError> {
        if !fresh
            && let Some((m, at)) = self.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer =
            IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let m = Arc::new(
            Metadata::discover_async(issuer, &self.http)
                .await
                .map_err(|e| ProviderError::Unavailable(error_chain(&e)))?,
        );
        *self.metadata.write().await = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    fn client(
        &self,
        m: &Metadata,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            m.clone(),
            ClientId::new(self.settings.client_id.clone()),
            self.settings.client_secret.as_ref().map(|s| ClientSecret::new(s.clone())),
        )
    }

    /// A new authorization request: where to send the browser, and what to keep until it comes
    /// back (its state, nonce and PKCE verifier).
    pub async fn authorize(&self, redirect_uri: &str) -> Result<Authorization, ProviderError> {
        let m = self.metadata(false).await?;
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let client = self.client(&m).set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for s in &self.settings.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        // Level 2 is asked for (voluntarily: the person may sign in at level 1); the token's
        // `acr` says which was reached.
        for l in &self.settings.level2_acr {
            req = req.add_auth_context_value(AuthenticationContextClass::new(l.clone()));
        }
        let (url, state, nonce) = req.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token against the nonce
    /// of the request it answers.
    pub async fn redeem(
        &self,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: String,
        nonce: &str,
    ) -> Result<Verified, ProviderError> {
        let m = self.metadata(false).await?;
        let redirect =
            RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let client = self.client(&m).set_redirect_uri(redirect);
        let response: CoreTokenResponse = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| ProviderError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| ProviderError::CodeRefused(error_chain(&e)))?;
        let raw = response.id_token().ok_or_else(|| ProviderError::TokenRefused("no ID token".into()))?.to_string();
        let nonce = Nonce::new(nonce.to_owned());
        self.verify(&m, raw, &nonce).await
    }

    /// Checks an ID token (signature, issuer, audience, expiry, and the nonce by `nonce`) and
    /// reads it.
    async fn verify(
        &self,
        m: &Metadata,
        raw: String,
        nonce: impl openidconnect::NonceVerifier + Copy,
    ) -> Result<Verified, ProviderError> {
        let token: Token = raw.parse().map_err(|e: serde_json::Error| ProviderError::TokenRefused(e.to_string()))?;
        let claims: Claims = match token.claims(&self.client(m).id_token_verifier(), nonce) {
            Ok(c) => c.clone(),
            // A key not seen yet: the provider may have rotated its keys. Fetch them again,
            // once, and check again; a key it never published is still refused.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let m = self.metadata(true).await?;
                token
                    .claims(&self.client(&m).id_token_verifier(), nonce)
                    .map_err(|e| ProviderError::TokenRefused(e.to_string()))?
                    .clone()
            }
            Err(e) => return Err(ProviderError::TokenRefused(e.to_string())),
        };
        // The registered and standard claims as the crate read them, with the others kept
        // in `AllClaims` (serde gives each claim to one of them, so none is there twice).
        let all = match serde_json::to_value(&claims) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(ProviderError::TokenRefused("claims".into())),
        };
        Ok(Verified {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            acr: claims.auth_context_ref().map(|a| a.to_string()),
            claims: all,
            id_token: raw,
        })
    }

    /// Asks for a device code (RFC 8628), for a kiosk: what to show (the code to type and
    /// where), and the provider's whole answer (JSON) to keep until the citizen approves.
    pub async fn start_device(&self) -> Result<DeviceStart, ProviderError> {
        let m = self.metadata(false).await?;
        let url =
            m.additional_metadata().device_authorization_endpoint.clone().ok_or_else(|| {
                ProviderError::Unavailable("the provider offers no device authorization endpoint".into())
            })?;
        let client = self.client(&m).set_device_authorization_url(url);
        let mut req = client.exchange_device_code();
        for s in &self.settings.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let answer: CoreDeviceAuthorizationResponse =
            req.request_async(&self.http).await.map_err(|e| ProviderError::Unavailable(error_chain(&e)))?;
        Ok(DeviceStart {
            user_code: answer.user_code().secret().clone(),
            verification_uri: answer.verification_uri().to_string(),
            verification_uri_complete: answer.verification_uri_complete().map(|u| u.secret().clone()),
            expires_in: answer.expires_in(),
            response: serde_json::to_string(&answer).map_err(|e| ProviderError::Unavailable(e.to_string()))?,
        })
    }

    /// Asks once whether the citizen approved a device code: `None` while they have not yet
    /// (or the provider did not answer in time), the verified ID token once they have.
    pub async fn poll_device(&self, response: &str) -> Result<Option<Verified>, ProviderError> {
        let m = self.metadata(false).await?;
        let answer: CoreDeviceAuthorizationResponse =
            serde_json::from_str(response).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let client = self.client(&m);
        let req =
            client.exchange_device_access_token(&answer).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        // One request. The crate's loop waits between requests through `sleep` and stops once
        // its time is up: given 200 ms, it asks once, and a "not yet" (authorization_pending,
        // slow_down) makes it wait, which is how it is told apart from a refusal.
        let waited = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let w = waited.clone();
        let sleep = move |_| {
            w.store(true, std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(250))
        };
        let response: CoreTokenResponse =
            match req.request_async(&self.http, sleep, Some(Duration::from_millis(200))).await {
                Ok(r) => r,
                Err(_) if waited.load(std::sync::atomic::Ordering::Relaxed) => return Ok(None),
                Err(e) => return Err(ProviderError::CodeRefused(error_chain(&e))),
            };
        let raw = response.id_token().ok_or_else(|| ProviderError::TokenRefused("no ID token".into()))?.to_string();
        // The device flow carries no nonce.
        let no_nonce = |_: Option<&Nonce>| -> Result<(), String> { Ok(()) };
        self.verify(&m, raw, no_nonce).await.map(Some)
    }

    /// Where to send the browser to end the provider's session too (RP-initiated logout), if
    /// the provider offers it.
    pub async fn end_session_url(&self, id_token: &str, post_logout: &str) -> Option<String> {
        let m = self.metadata(false).await.ok()?;
        let endpoint = m.additional_metadata().end_session_endpoint.clone()?;
        let token: Token = id_token.parse().ok()?;
        let url = LogoutRequest::from(endpoint)
            .set_id_token_hint(&token)
            .set_client_id(ClientId::new(self.settings.client_id.clone()))
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(post_logout.to_owned()).ok()?)
            .http_get_url();
        Some(url.to_string())
    }
}

/// An error and its causes, on one line (for the log; never shown to the person).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
