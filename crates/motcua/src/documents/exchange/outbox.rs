//! The durable outbox: delivering packages to partner servers with retries and backoff, and
//! the status packages sent back.

use crate::documents::exchange::*;
use batch::futures_join_all;

/// How many due items one pass takes: several batches to each partner at once.
const DUE_PER_PASS: i64 = 128;

impl Exchange {
    /// One pass over the due outbox items; how many were handled. One server at a time
    /// makes a pass (servers sharing a database would otherwise send the same packages, and a
    /// recall could overtake its document): while another holds it, this one handles none.
    pub async fn deliver_due(&self) -> Result<usize> {
        let Some(_lead) = self.jobs.lead("exchange_outbox").await? else {
            return Ok(0);
        };
        let items = self.documents.due_outbox(Timestamp::now(), DUE_PER_PASS).await?;
        if items.is_empty() {
            return Ok(0);
        }
        let n = items.len();
        // Items of one document go in order (a recall after its document): the first of each
        // document in a first round, the second in the next. Within a round, everything for
        // one partner goes in batches, and the batches and local deliveries in parallel.
        let mut queues: Vec<std::collections::VecDeque<OutboxItem>> = Vec::new();
        for item in items {
            match queues.iter_mut().find(|q| q[0].reference == item.reference) {
                Some(q) => q.push_back(item),
                None => queues.push(std::collections::VecDeque::from([item])),
            }
        }
        let peers = self.documents.peers().await?;
        loop {
            let round: Vec<OutboxItem> = queues.iter_mut().filter_map(std::collections::VecDeque::pop_front).collect();
            if round.is_empty() {
                break;
            }
            let mut targets: Vec<(String, Vec<OutboxItem>)> = Vec::new();
            for item in round {
                match targets.iter_mut().find(|(t, _)| *t == item.target) {
                    Some((_, list)) => list.push(item),
                    None => targets.push((item.target.clone(), vec![item])),
                }
            }
            let mut work: Vec<Vec<OutboxItem>> = Vec::new();
            for (target, list) in targets {
                if target == "local" || target == AXIS_TARGET {
                    work.extend(list.into_iter().map(|i| vec![i]));
                } else {
                    let sizes: Vec<usize> = list.iter().map(|i| i.package.len()).collect();
                    let mut rest = list.into_iter();
                    for range in batch::batches(&sizes) {
                        work.push(rest.by_ref().take(range.len()).collect());
                    }
                }
            }
            let peers = &peers;
            let mut outcomes: Vec<Vec<Delivery>> = vec![Vec::new(); work.len()];
            futures_join_all(work.iter().zip(outcomes.iter_mut()).map(|(batch, out)| async move {
                *out = self.deliver_batch(batch, peers).await;
            }))
            .await;
            self.settle(work.iter().flatten().zip(outcomes.into_iter().flatten())).await;
        }
        Ok(n)
    }

    /// Records how deliveries went: those done in one write, the others each with when to
    /// try again.
    async fn settle<'a>(&self, outcomes: impl Iterator<Item = (&'a OutboxItem, Delivery)>) {
        let now = Timestamp::now();
        let mut done = Vec::new();
        for (item, outcome) in outcomes {
            let result = match outcome {
                Delivery::Done => {
                    done.push(item.id);
                    Ok(())
                }
                Delivery::Retry(e) => {
                    tracing::info!(id = item.id, target = %item.target, attempts = item.attempts + 1, error = %e, "delivery will be retried");
                    self.documents.outbox_retry(item.id, &e, now + self.backoff(item.attempts)).await
                }
                Delivery::Refused(e) => {
                    tracing::warn!(id = item.id, target = %item.target, error = %e, "delivery refused");
                    self.documents.outbox_retry(item.id, &format!("bị từ chối: {e}"), now + REFUSED).await
                }
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "outbox bookkeeping");
            }
        }
        if let Err(e) = self.documents.outbox_delivered(&done, now).await {
            tracing::error!(error = %e, "outbox bookkeeping");
        }
    }

    /// Delivers items for one target: one alone, several for a partner in one signed
    /// request (each alone when the partner has no batch inbox). One outcome per item.
    async fn deliver_batch(&self, items: &[OutboxItem], peers: &[Peer]) -> Vec<Delivery> {
        let [first, ..] = items else { return vec![] };
        if items.len() == 1 {
            return vec![self.deliver(first, peers).await];
        }
        let Some(peer) = peers.iter().find(|p| p.name == first.target) else {
            let e = format!("chưa cấu hình máy chủ đối tác {}", first.target);
            return items.iter().map(|_| Delivery::Retry(e.clone())).collect();
        };
        let packages: Vec<&[u8]> = items.iter().map(|i| i.package.as_bytes()).collect();
        let (body, boundary) = batch::batch_body(&packages);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let all = |d: &Delivery| vec![d.clone(); items.len()];
        let response = match self.post_signed(peer, batch::PEER_BATCH_PATH, &content_type, body).await {
            Ok(r) => r,
            Err(e) => return all(&e),
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::METHOD_NOT_ALLOWED {
            // A partner that has no batch inbox yet takes them one by one.
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(self.deliver(item, peers).await);
            }
            return out;
        }
        if !status.is_success() {
            return all(&answer_error(response).await);
        }
        let bytes = response.bytes().await.unwrap_or_default();
        batch::outcomes(&bytes, items.len())
            .unwrap_or_else(|| all(&Delivery::Retry(format!("{} trả lời lô gói tin không đọc được", peer.name))))
    }

    fn backoff(&self, attempts: i64) -> SignedDuration {
        let mut jitter = [0u8; 2];
        let _ = getrandom::fill(&mut jitter);
        backoff(&self.settings, attempts, u16::from_le_bytes(jitter))
    }

    async fn deliver(&self, item: &OutboxItem, peers: &[Peer]) -> Delivery {
        if item.target == AXIS_TARGET {
            return self.deliver_to_axis(item).await;
        }
        if item.target == "local" {
            return match self.receive(item.package.as_bytes(), &Source::Local).await {
                Ok(_) => Delivery::Done,
                Err(ExchangeServiceError::Quarantined { reason, .. }) => Delivery::Refused(reason),
                Err(e) => Delivery::Retry(e.to_string()),
            };
        }
        let Some(peer) = peers.iter().find(|p| p.name == item.target) else {
            return Delivery::Retry(format!("chưa cấu hình máy chủ đối tác {}", item.target));
        };
        match self.post_to_peer(peer, item.package.as_bytes()).await {
            Ok(()) => Delivery::Done,
            Err(e) => e,
        }
    }

    async fn post_to_peer(&self, peer: &Peer, body: &[u8]) -> std::result::Result<(), Delivery> {
        let response = self.post_signed(peer, PEER_INBOX_PATH, "application/xml; charset=utf-8", body.to_vec()).await?;
        if response.status().is_success() { Ok(()) } else { Err(answer_error(response).await) }
    }

    /// Sends a request signed by this server's key to a partner; `Err` only when it could
    /// not be sent (the answer's status is the caller's to read).
    async fn post_signed(
        &self,
        peer: &Peer,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> std::result::Result<reqwest::Response, Delivery> {
        let server = match self.identity(CertRole::Server, None).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(Delivery::Retry("máy chủ chưa có chứng thư ký yêu cầu (motcua pki init)".into())),
            Err(e) => return Err(Delivery::Retry(e.to_string())),
        };
        let ca = match self.documents.certificates(Some(CertRole::Ca), None).await {
            Ok(list) => match list.into_iter().find(|c| c.active) {
                Some(c) => c.fingerprint,
                None => return Err(Delivery::Retry(ExchangeServiceError::NoCa.to_string())),
            },
            Err(e) => return Err(Delivery::Retry(e.to_string())),
        };
        let date = Timestamp::now().to_string();
        let text = request_signing_text("POST", path, &date, &body);
        let signature = match motcua_exchange::sign::sign_detached(&server, text.as_bytes()) {
            Ok(s) => s,
            Err(e) => return Err(Delivery::Retry(e.to_string())),
        };
        use base64::Engine as _;
        let url = format!("{}{path}", peer.base_url.trim_end_matches('/'));
        self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(HEADER_CA, ca)
            .header(HEADER_DATE, date)
            .header(HEADER_SIGNATURE, base64::engine::general_purpose::STANDARD.encode(signature))
            .body(body)
            .send()
            .await
            .map_err(|e| Delivery::Retry(format!("không kết nối được {}: {e}", peer.name)))
    }

    /// Delivers the outbox until the process ends: as soon as something is queued, and
    /// when a retry falls due.
    pub async fn run_outbox(self: Arc<Self>) {
        loop {
            match self.deliver_due().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox"),
            }
            let wait = match self.documents.next_outbox_due().await {
                Ok(Some(t)) => {
                    let d = t.duration_since(Timestamp::now());
                    Duration::try_from(d).unwrap_or(Duration::ZERO).min(Duration::from_secs(5))
                }
                _ => Duration::from_secs(5),
            };
            if wait.is_zero() {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {},
                () = tokio::time::sleep(wait) => {},
            }
        }
    }
}

/// What a refusal answer means for the sender: 422 refuses the package for good, anything
/// else is tried again.
async fn answer_error(response: reqwest::Response) -> Delivery {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(500).collect();
    if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
        Delivery::Refused(format!("{status}: {text}"))
    } else {
        Delivery::Retry(format!("{status}: {text}"))
    }
}

/// The wait before attempt `attempts + 1`: doubling from the first, capped, plus
/// `jitter / 65535` of a quarter of it.
pub(crate) fn backoff(settings: &OutboxSettings, attempts: i64, jitter: u16) -> SignedDuration {
    let base = u64::try_from(settings.first_backoff.as_millis()).unwrap_or(u64::MAX);
    let cap = u64::try_from(settings.max_backoff.as_millis()).unwrap_or(u64::MAX);
    let capped = base.saturating_mul(1u64 << attempts.clamp(0, 20)).min(cap);
    let extra = capped / 4 * u64::from(jitter) / u64::from(u16::MAX);
    SignedDuration::from_millis(i64::try_from(capped + extra).unwrap_or(i64::MAX))
}

pub(crate) fn response_for(h: &MessageHeader) -> ResponseFor {
    ResponseFor {
        organ_id: h.from.id.clone(),
        code: h.code(),
        promulgation_date: h.promulgation_date,
        document_id: h.document_id(),
    }
}

/// A status package (signed when the organisation has an identity) and its row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn status_package(
    identity: Option<&SigningIdentity>,
    response_for: &ResponseFor,
    from: &Organ,
    status: StatusCode,
    description: &str,
    staff: &str,
    revision: u32,
    at: Timestamp,
) -> Result<(DocStatus, String), ExchangeError> {
    let mut pkg = StatusPackage {
        response_for: response_for.clone(),
        from: from.clone(),
        status,
        description: description.to_owned(),
        department: from.name.clone(),
        staff: staff.to_owned(),
        timestamp: at,
        revision,
        signature: None,
        shape: Default::default(),
    };
    match identity {
        Some(id) => pkg.sign(id)?,
        None => tracing::warn!(org = %from.id, "status sent unsigned: the organisation has no certificate"),
    }
    let xml = pkg.to_xml();
    let row = DocStatus {
        document_id: response_for.document_id.clone(),
        to_org: from.id.clone(),
        code: status.code().into(),
        revision: i64::from(revision),
        description: description.to_owned(),
        staff: staff.to_owned(),
        at,
        package: xml.clone(),
    };
    Ok((row, xml))
}

/// The outbox item that carries a status to a sender on a partner server or beyond the
/// axis (a sender on this server reads the row itself).
pub(crate) fn status_outbox(back: Option<&Route>, document_id: &str, package: &str) -> Vec<NewOutbox> {
    let target = match back {
        Some(Route::Peer(p, _)) => p.name.clone(),
        Some(Route::Axis(_)) => AXIS_TARGET.to_owned(),
        _ => return vec![],
    };
    vec![NewOutbox {
        target,
        kind: "status".into(),
        reference: document_id.to_owned(),
        package: OutboxPackage::Own(package.to_owned()),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_bounded_jitter() {
        let s = OutboxSettings::default();
        let secs = |attempts, jitter| backoff(&s, attempts, jitter).as_secs_f64();
        assert_eq!([0, 1, 2, 3, 4, 5].map(|a| secs(a, 0)), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
        assert_eq!(secs(6, 0), 60.0, "capped at a minute");
        assert_eq!(secs(1_000, 0), 60.0, "however many attempts");
        assert_eq!(secs(-3, 0), 1.0);
        assert_eq!(secs(6, u16::MAX), 75.0, "jitter adds at most a quarter");
        // A receiver down for ten minutes is tried again within 75 s of coming back.
        let mut t = 0.0;
        let mut attempt = 0;
        while t < 600.0 {
            t += secs(attempt, u16::MAX);
            attempt += 1;
        }
        assert!(attempt < 20, "{attempt} attempts in ten minutes");
    }
}
