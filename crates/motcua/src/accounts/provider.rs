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

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm};
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreTokenResponse};
use openidconnect::{
    AdditionalClaims, AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IdToken, IdTokenClaims, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
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
    metadata: tokio::sync::RwLock<Option<(Arc<ProviderMetadataWithLogout>, Instant)>>,
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
    async fn metadata(&self, fresh: bool) -> Result<Arc<ProviderMetadataWithLogout>, ProviderError> {
        if !fresh
            && let Some((m, at)) = self.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(m.clone());
        }
        let issuer =
            IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| ProviderError::Unavailable(e.to_string()))?;
        let m = Arc::new(
            ProviderMetadataWithLogout::discover_async(issuer, &self.http)
                .await
                .map_err(|e| ProviderError::Unavailable(error_chain(&e)))?,
        );
        *self.metadata.write().await = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    fn client(
        &self,
        m: &ProviderMetadataWithLogout,
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
        let token: Token = raw.parse().map_err(|e: serde_json::Error| ProviderError::TokenRefused(e.to_string()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims: Claims = match token.claims(&self.client(&m).id_token_verifier(), &nonce) {
            Ok(c) => c.clone(),
            // A key not seen yet: the provider may have rotated its keys. Fetch them again,
            // once, and check again; a key it never published is still refused.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let m = self.metadata(true).await?;
                token
                    .claims(&self.client(&m).id_token_verifier(), &nonce)
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
