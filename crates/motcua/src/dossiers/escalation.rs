//! Escalations (issue 23): each workflow step's rules — "due within N working days → remind
//! the assignee", "overdue → tell the organisation's leaders" — fired once per dossier, step
//! and due time through the notification outbox, and what a leader has been told of.

use std::collections::BTreeMap;

use jiff::Timestamp;
use motcua_domain::workflow::{Dossier, EscalateAt, Escalation, Notify, Workflow};
use motcua_domain::{Account, OrgCode, Role};
use motcua_store::escalations::{EscalationRecord, EscalationStore, NewEscalation};
use motcua_store::payments::NewNotification;

use super::Dossiers;
use crate::app::snapshot::Snapshot;
use crate::app::{AppError, AppResult, AppState};
use crate::calendar::source::display_vn;

/// Dossiers looked at per rule and batch.
const BATCH: i64 = 200;

/// Records written per pass at most: a backlog (a database of overdue dossiers seen for the
/// first time) is worked through a few hundred every half minute, not in one burst that
/// would hold the writer from citizens' submissions.
const PER_PASS: usize = 600;

/// A dossier a leader was told of: still waiting at the same step with the same due time.
#[derive(Debug, Clone)]
pub struct Escalated {
    pub dossier: Dossier,
    pub record: EscalationRecord,
}

/// What the job needs beside the dossiers' use cases.
pub struct Escalations<'a> {
    dossiers: Dossiers<'a>,
    store: &'a dyn EscalationStore,
    email_on: bool,
    public_url: &'a str,
}

impl<'a> Escalations<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self {
            dossiers: Dossiers::of(state),
            store: state.store.as_ref(),
            email_on: state.email_on(),
            public_url: state.public_url(),
        }
    }

    /// Fires every rule that calls for a dossier at `now` and has not fired for it at its
    /// step and due time: how many fired. Run by one server at a time every half minute
    /// (`server/mod.rs`); a rule fires once even if two servers run it at once.
    pub async fn run(&self, now: Timestamp) -> AppResult<usize> {
        let started = std::time::Instant::now();
        let snap = self.dossiers.snapshot().await?;
        // Every rule of every step of every version, by (step key, rule key).
        let mut rules: BTreeMap<(String, String), Escalation> = BTreeMap::new();
        for wf in self.dossiers.settings.workflow_versions().await? {
            for step in wf.steps {
                for r in step.escalations {
                    rules.insert((step.key.clone(), r.key()), r);
                }
            }
        }
        let (mut fired, mut recorded) = (0, 0);
        for ((step, key), rule) in rules {
            let mut before = rule.due_before(&snap.calendar, now).map_err(AppError::from)?;
            if rule.at == EscalateAt::Overdue {
                // Overdue is strictly after the due time.
                before = before.checked_sub(jiff::SignedDuration::from_micros(1)).unwrap_or(before);
            }
            loop {
                let batch = self.store.escalation_candidates(&step, &key, before, BATCH).await?;
                let mut in_batch = 0;
                for d in &batch {
                    let (was_recorded, was_fired) = self.fire(&snap, d, &step, &key, now).await?;
                    in_batch += usize::from(was_recorded);
                    fired += usize::from(was_fired);
                }
                recorded += in_batch;
                if recorded >= PER_PASS {
                    tracing::info!(
                        fired,
                        recorded,
                        ms = started.elapsed().as_millis() as u64,
                        "escalations: more next pass"
                    );
                    return Ok(fired);
                }
                // A full batch that recorded nothing would come back the same: the next pass.
                if (batch.len() as i64) < BATCH || in_batch == 0 {
                    break;
                }
            }
        }
        if recorded > 0 {
            tracing::info!(fired, recorded, ms = started.elapsed().as_millis() as u64, "escalations fired");
        } else {
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "escalations: nothing due");
        }
        Ok(fired)
    }

    /// Records the rule `key` for the dossier, with its messages when the dossier's own
    /// workflow version has it at this step (else as not applying, so it is not looked at
    /// again): whether it was recorded, and whether it fired.
    async fn fire(
        &self,
        snap: &Snapshot<'_>,
        d: &Dossier,
        step: &str,
        key: &str,
        now: Timestamp,
    ) -> AppResult<(bool, bool)> {
        let (Some(due), Ok(wf)) = (d.due_at, snap.dossier_workflow(d).await) else { return Ok((false, false)) };
        let rule = wf.step(step).and_then(|s| s.escalations.iter().find(|r| r.key() == key)).copied();
        let Some((org, role)) = d.placement(&wf) else { return Ok((false, false)) };
        let (notify, notes) = match rule {
            Some(r) if r.applies(due, &snap.calendar, now).map_err(AppError::from)? => {
                (r.notify.as_str(), self.messages(snap, &wf, d, &r, (&org, role)).await?)
            }
            // Not yet (the store's choice is never later than the rule's): the next pass.
            Some(_) => return Ok((false, false)),
            None => ("none", Vec::new()),
        };
        let e = NewEscalation {
            dossier: d.code.clone(),
            step: step.to_owned(),
            rule: key.to_owned(),
            due_at: due,
            org,
            notify: notify.to_owned(),
        };
        let recorded = self.store.record_escalation(&e, &notes, now).await?;
        Ok((recorded, recorded && notify != "none"))
    }

    /// The messages of a rule: to the assignee (or everyone holding the step's role where the
    /// dossier waits), or to the leaders there.
    async fn messages(
        &self,
        snap: &Snapshot<'_>,
        wf: &Workflow,
        d: &Dossier,
        rule: &Escalation,
        (org, role): (&OrgCode, Role),
    ) -> AppResult<Vec<NewNotification>> {
        let staff = self.dossiers.accounts.list_staff(org).await?;
        let holds = |a: &&Account, r: Role| a.can_act(org, r);
        let to: Vec<&Account> = match rule.notify {
            Notify::Assignee => match staff.iter().find(|a| Some(a.id) == d.assignee && holds(a, role)) {
                Some(a) => vec![a],
                None => staff.iter().filter(|a| holds(a, role)).collect(),
            },
            Notify::Leader => staff.iter().filter(|a| holds(a, Role::Leader)).collect(),
        };
        let procedure = snap.procedure_name(&d.procedure).await?;
        let step = d.step.as_deref().and_then(|k| wf.step_name(k, false)).unwrap_or_default();
        let due = d.due_at.map(display_vn).unwrap_or_default();
        let (subject, sms) = match rule.at {
            EscalateAt::DueWithin => (
                format!("Hồ sơ {} sắp đến hạn ({due})", d.code),
                format!("Ho so {} sap den han {due}, buoc {}", d.code, motcua_domain::text::fold(step)),
            ),
            EscalateAt::Overdue => (
                format!("Hồ sơ {} đã quá hạn ({due})", d.code),
                format!("Ho so {} da qua han {due}, buoc {}", d.code, motcua_domain::text::fold(step)),
            ),
        };
        let body = format!(
            "{subject}\nThủ tục: {procedure}\nBước: {step}\nHạn giải quyết: {due}\nXem hồ sơ: {}/ho-so/{}",
            self.public_url, d.code
        );
        let mut notes = Vec::new();
        for a in to {
            let topic =
                format!("escalation:{}:{}:{}:{}:{}", d.code, d.step.as_deref().unwrap_or(""), rule.key(), due, a.id);
            let recipient = crate::service::Recipient {
                phone: a.phone.as_ref().map(|p| p.as_str()),
                email: a.email.as_ref().map(|e| e.as_str()),
            };
            notes.extend(crate::service::messages(&topic, &recipient, self.email_on, &subject, &body, &sms));
        }
        Ok(notes)
    }

    /// The dossiers `org`'s leaders were told of and still wait there (the viewer must hold a
    /// role there).
    pub async fn standing(&self, viewer: &Account, org: &OrgCode) -> AppResult<Vec<Escalated>> {
        if !viewer.roles.iter().any(|r| &r.org == org) {
            return Err(AppError::forbidden());
        }
        let mut out = Vec::new();
        for record in self.store.open_escalations(org, 200).await? {
            if let Some(s) = self.dossiers.dossiers.dossier(&record.escalation.dossier).await? {
                out.push(Escalated { dossier: s.dossier, record });
            }
        }
        Ok(out)
    }

    /// Standing leaders' escalations by organisation (the operations centre).
    pub async fn counts(&self) -> AppResult<Vec<(OrgCode, i64)>> {
        Ok(self.store.open_escalation_counts().await?)
    }
}
