//! Several packages to one partner in one signed request: one request signature, one check
//! of it and one round trip for up to [`MAX_BATCH_PACKAGES`] packages, where each package
//! alone had cost all three. The body is `multipart/form-data` with one part named
//! `package` per package; the answer says, in the same order, what became of each.
//!
//! Each package is still signed by its organisation and verified on its own, and each is
//! taken in, quarantined or left for a retry on its own: one bad package does not hold up
//! the others.

use crate::documents::exchange::*;

/// Where partner servers deliver several packages at once.
pub const PEER_BATCH_PATH: &str = "/api/v1/exchange/batches";
/// At most this many packages in one batch.
pub const MAX_BATCH_PACKAGES: usize = 32;
/// At most this many bytes in one batch's body; a larger package goes alone.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// What became of one package of a batch.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    /// `received` (taken in, or already had), `refused` (quarantined or unreadable: the
    /// same bytes will be refused again) or `retry` (a fault on this side: send it again
    /// later).
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<Received>,
    /// Why it was refused or should be sent again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The answer to a batch: one item per package, in the order they came.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BatchReceived {
    pub results: Vec<BatchItem>,
}

/// Whether an error refuses the package for good (what a single delivery answers with 422).
fn refuses(e: &ExchangeServiceError) -> bool {
    matches!(
        e,
        ExchangeServiceError::Quarantined { .. }
            | ExchangeServiceError::Invalid(_)
            | ExchangeServiceError::UnknownRecipient(_)
            | ExchangeServiceError::Exchange(
                ExchangeError::Malformed(_)
                    | ExchangeError::Forbidden(_)
                    | ExchangeError::Invalid(_)
                    | ExchangeError::TooLarge { .. }
            )
    )
}

impl Exchange {
    /// Takes in every package of a batch, all at once (so their writes share commits), each
    /// on its own: verified and registered, or quarantined.
    /// The partners and roots are read once for the whole batch.
    pub async fn receive_batch<B: AsRef<[u8]> + Sync>(&self, packages: &[B], source: &Source) -> Result<BatchReceived> {
        let known = self.known().await?;
        let known = &known;
        let mut results: Vec<Option<BatchItem>> = vec![None; packages.len()];
        futures_join_all(packages.iter().zip(results.iter_mut()).map(|(raw, slot)| async move {
            *slot = Some(match self.receive_known(raw.as_ref(), source, known).await {
                Ok(r) => BatchItem { outcome: "received", received: Some(r), message: None },
                Err(e) if refuses(&e) => BatchItem { outcome: "refused", received: None, message: Some(e.to_string()) },
                Err(e) => {
                    tracing::error!(error = %e, "batch: a package was not taken in");
                    BatchItem { outcome: "retry", received: None, message: Some(e.to_string()) }
                }
            });
        }))
        .await;
        Ok(BatchReceived { results: results.into_iter().flatten().collect() })
    }
}

/// Runs the futures together until all are done.
pub(crate) async fn futures_join_all<F: std::future::Future<Output = ()>>(tasks: impl IntoIterator<Item = F>) {
    let mut set: Vec<std::pin::Pin<Box<F>>> = tasks.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
}

/// A `multipart/form-data` body with one `package` part per package, and its boundary.
pub(super) fn batch_body(packages: &[&[u8]]) -> (Vec<u8>, String) {
    let boundary = loop {
        let mut raw = [0u8; 16];
        let _ = getrandom::fill(&mut raw);
        let b: String = raw.iter().map(|x| format!("{x:02x}")).collect();
        let b = format!("motcua-{b}");
        // A boundary inside a package would cut it; with 128 random bits it never is, but
        // the check costs one scan.
        let finder = memchr::memmem::Finder::new(b.as_bytes());
        if !packages.iter().any(|p| finder.find(p).is_some()) {
            break b;
        }
    };
    let size = packages.iter().map(|p| p.len() + 160).sum::<usize>() + boundary.len() + 8;
    let mut body = Vec::with_capacity(size);
    for (i, p) in packages.iter().enumerate() {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"{i}.xml\"\r\nContent-Type: application/xml\r\n\r\n").as_bytes());
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (body, boundary)
}

/// The outcome the sender reads back for each package.
#[derive(serde::Deserialize)]
struct ItemWire {
    outcome: String,
    #[serde(default)]
    message: Option<String>,
}

#[derive(serde::Deserialize)]
struct BatchWire {
    results: Vec<ItemWire>,
}

/// What a sender makes of a batch's answer: one delivery per package, or `None` when the
/// answer does not say (every package is then sent again).
pub(super) fn outcomes(body: &[u8], n: usize) -> Option<Vec<Delivery>> {
    let wire: BatchWire = serde_json::from_slice(body).ok()?;
    if wire.results.len() != n {
        return None;
    }
    Some(
        wire.results
            .into_iter()
            .map(|i| {
                let m = i.message.unwrap_or_default();
                match i.outcome.as_str() {
                    "received" => Delivery::Done,
                    "refused" => Delivery::Refused(m),
                    _ => Delivery::Retry(m),
                }
            })
            .collect(),
    )
}

/// Splits the packages for one partner into batches under both limits, in order: a package
/// that is too large for any batch goes alone.
pub(super) fn batches(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, &s) in sizes.iter().enumerate() {
        let full = i - start >= MAX_BATCH_PACKAGES || (i > start && bytes + s > MAX_BATCH_BYTES);
        if full {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += s;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_order_and_both_limits() {
        assert!(batches(&[]).is_empty());
        assert_eq!(batches(&[10; 3]), vec![0..3]);
        assert_eq!(batches(&[10; 70]), vec![0..32, 32..64, 64..70]);
        let big = MAX_BATCH_BYTES;
        assert_eq!(batches(&[10, big, 10, 10]), vec![0..1, 1..2, 2..4], "a large package goes alone");
        let half = MAX_BATCH_BYTES / 2;
        assert_eq!(batches(&[half, half, 1, half]), vec![0..2, 2..4]);
    }

    #[test]
    fn a_batch_body_is_multipart_that_parses_back() {
        let (body, boundary) = batch_body(&[b"<a/>", b"<b>\r\n--not-it\r\n</b>"]);
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(text.matches(&format!("--{boundary}\r\n")).count(), 2);
        assert!(text.contains("\r\n\r\n<b>\r\n--not-it\r\n</b>\r\n--"));
    }

    #[test]
    fn an_answer_that_does_not_match_the_batch_is_not_trusted() {
        let two = br#"{"results":[{"outcome":"received"},{"outcome":"refused","message":"x"}]}"#;
        let got = outcomes(two, 2).unwrap();
        assert!(matches!(got[0], Delivery::Done));
        assert!(matches!(&got[1], Delivery::Refused(m) if m == "x"));
        assert!(outcomes(two, 3).is_none(), "one answer missing");
        assert!(outcomes(b"<html>", 2).is_none());
        let odd = br#"{"results":[{"outcome":"maybe"}]}"#;
        assert!(matches!(outcomes(odd, 1).unwrap()[0], Delivery::Retry(_)), "anything else is sent again");
    }
}
