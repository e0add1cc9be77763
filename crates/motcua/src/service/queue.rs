//! Queues at the service centres: the board of services, counters and who is called;
//! tickets drawn at a kiosk; officers calling the next number and finishing it.

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::service::ServiceLetter;
use motcua_domain::{Account, OrgCode, Organisation, Role};
use motcua_store::CatalogStore;
use motcua_store::service::{IssueOutcome, QueueCounter, QueueService, QueueStore, Ticket, TicketStatus};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::app::events::Events;

use crate::app::{AppError, AppResult, AppState, ErrorCode, Kind};

/// The queue use cases, holding only what they use: the centres (the catalog's
/// organisations), the queues themselves, and the channel that tells displays a centre's
/// queue changed. Built per request from the shared state ([`Queues::of`]).
pub struct Queues<'a> {
    centres: &'a dyn CatalogStore,
    queues: &'a dyn QueueStore,
    events: &'a Events,
}

impl<'a> Queues<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Self { centres: state.store.as_ref(), queues: state.store.as_ref(), events: &state.events }
    }

    /// Tells displays that a centre's queue changed (nobody listening is fine).
    fn tell(&self, centre: &OrgCode) {
        self.events.queue_changed(centre.as_str());
    }

    /// The codes of centres whose queue changed, from now on, here or on another server (a
    /// display's live board); an empty code: any may have.
    pub fn changes(&self) -> broadcast::Receiver<String> {
        self.events.queue_changes()
    }

    /// A centre by its code, or 404.
    pub async fn centre(&self, code: &str) -> AppResult<Organisation> {
        let org = OrgCode::parse(code)?;
        self.centre_of(&org).await
    }

    /// A centre by its parsed code, or 404.
    pub async fn centre_of(&self, org: &OrgCode) -> AppResult<Organisation> {
        self.centres.organisation(org).await?.ok_or_else(|| AppError::not_found(format!("Không có cơ quan mã {org}")))
    }

    /// The service centres (where kiosks and counters are).
    pub async fn centres(&self) -> AppResult<Vec<Organisation>> {
        let filter =
            motcua_store::OrgFilter { kind: Some(motcua_domain::OrgKind::ServiceCentre), ..Default::default() };
        Ok(self.centres.list_organisations(&filter, motcua_store::Page::all()).await?.items)
    }

    /// A ticket of the centre, or 404.
    pub async fn ticket(&self, centre: &Organisation, id: i64) -> AppResult<Ticket> {
        self.queues.ticket(&centre.code, id).await?.ok_or_else(|| AppError::not_found("Không có vé này"))
    }

    /// Replaces the centre's services and counters (its administrators).
    pub async fn set_up(
        &self,
        account: &Account,
        centre: &Organisation,
        services: &[QueueService],
        counters: &[QueueCounter],
    ) -> AppResult<()> {
        if !account.can_act(&centre.code, Role::Administrator) {
            return Err(AppError::forbidden());
        }
        self.queues.set_queue(&centre.code, services, counters).await?;
        self.tell(&centre.code);
        Ok(())
    }

    pub async fn board(&self, centre: &Organisation) -> AppResult<Board> {
        let day = crate::statistics::figures::today();
        let services = self.queues.queue_services(&centre.code).await?;
        let counters = self.queues.queue_counters(&centre.code).await?;
        let tickets = self.queues.tickets_of_day(&centre.code, day).await?;
        let counter_name =
            |n: i32| counters.iter().find(|c| c.number == n).map_or_else(|| n.to_string(), |c| c.name.clone());
        let mut called: Vec<&Ticket> = tickets.iter().filter(|t| t.called_at.is_some()).collect();
        called.sort_by_key(|t| std::cmp::Reverse((t.called_at, t.id)));
        Ok(Board {
            centre: centre.code.to_string(),
            centre_name: centre.name.to_string(),
            day: dmy(day),
            services: services
                .iter()
                .map(|s| ServiceView {
                    letter: s.letter,
                    name: s.name.clone(),
                    waiting: tickets
                        .iter()
                        .filter(|t| t.letter == s.letter && t.status == TicketStatus::Waiting)
                        .count() as i64,
                    issued: tickets.iter().filter(|t| t.letter == s.letter).count() as i64,
                })
                .collect(),
            counters: counters
                .iter()
                .map(|c| CounterView {
                    number: c.number,
                    name: c.name.clone(),
                    letters: c.letters.clone(),
                    serving: tickets
                        .iter()
                        .find(|t| t.counter == Some(c.number) && t.status == TicketStatus::Called)
                        .map(Ticket::label),
                })
                .collect(),
            called: called
                .iter()
                .take(10)
                .filter_map(|t| {
                    Some(CalledView {
                        label: t.label(),
                        counter: t.counter?,
                        counter_name: counter_name(t.counter?),
                        at: hm(t.called_at?),
                    })
                })
                .collect(),
        })
    }

    pub async fn ticket_view(&self, centre: &Organisation, t: &Ticket) -> AppResult<TicketView> {
        let services = self.queues.queue_services(&centre.code).await?;
        let counters = self.queues.queue_counters(&centre.code).await?;
        let waiting_before = if t.status == TicketStatus::Waiting {
            self.queues
                .tickets_of_day(&centre.code, t.day)
                .await?
                .iter()
                .filter(|x| x.letter == t.letter && x.status == TicketStatus::Waiting && x.id < t.id)
                .count() as i64
        } else {
            0
        };
        Ok(TicketView {
            id: t.id,
            label: t.label(),
            letter: t.letter,
            number: t.number,
            service: services.iter().find(|s| s.letter == t.letter).map_or_else(String::new, |s| s.name.clone()),
            centre: centre.code.to_string(),
            centre_name: centre.name.to_string(),
            status: t.status.as_str().to_owned(),
            day: dmy(t.day),
            issued_at: hm(t.issued_at),
            called_at: t.called_at.map(hm),
            counter: t.counter,
            counter_name: t.counter.and_then(|n| counters.iter().find(|c| c.number == n).map(|c| c.name.clone())),
            waiting_before,
        })
    }

    /// Issues a ticket at the centre, as a kiosk does (no sign-in).
    pub async fn issue(&self, centre: &Organisation, letter: ServiceLetter) -> AppResult<Ticket> {
        let day = crate::statistics::figures::today();
        match self.queues.issue_ticket(&centre.code, letter, day, Timestamp::now()).await? {
            IssueOutcome::Issued(t) => {
                self.tell(&centre.code);
                Ok(t)
            }
            IssueOutcome::NoService => Err(AppError::not_found(format!("Trung tâm không có dịch vụ {letter}"))),
            IssueOutcome::DayFull => Err(AppError::new(
                Kind::Conflict,
                ErrorCode::QueueFull,
                "Đã hết số thứ tự của dịch vụ trong ngày hôm nay",
            )),
        }
    }

    /// The counter finishes its current ticket and calls the next waiting one (the API and the
    /// counter's page).
    pub async fn call(&self, account: &Account, centre: &Organisation, counter: i32) -> AppResult<Option<Ticket>> {
        desk_of(account, centre)?;
        let day = crate::statistics::figures::today();
        let t =
            self.queues.call_next(&centre.code, counter, day, Timestamp::now(), account.id).await.map_err(
                |e| match e {
                    motcua_store::StoreError::MissingReference(_) => {
                        AppError::not_found(format!("Không có quầy số {counter}"))
                    }
                    other => other.into(),
                },
            )?;
        self.tell(&centre.code);
        Ok(t)
    }

    /// Marks a called ticket served or not come (the API and the counter's page).
    pub async fn finish_called(
        &self,
        account: &Account,
        centre: &Organisation,
        id: i64,
        status: TicketStatus,
    ) -> AppResult<()> {
        desk_of(account, centre)?;
        if !self.queues.finish_ticket(&centre.code, id, status, Timestamp::now()).await? {
            return Err(AppError::new(Kind::Conflict, ErrorCode::TicketNotCalled, "Vé này chưa được gọi hoặc đã xong"));
        }
        self.tell(&centre.code);
        Ok(())
    }

    /// A centre's queue over some days: tickets issued, waiting, called, served and missed per
    /// service, and the mean and longest waits in minutes.
    pub async fn stats(&self, c: &Organisation, from: Date, to: Date) -> AppResult<QueueStatsView> {
        let names = self.queues.queue_services(&c.code).await?;
        let rows = self.queues.queue_stats(&c.code, from, to).await?;
        let minutes = |s: f64| (s / 60.0 * 10.0).round() / 10.0;
        let called: i64 = rows.iter().map(|r| r.called + r.served + r.no_show).sum();
        let total_wait: f64 =
            rows.iter().filter_map(|r| r.mean_wait_secs.map(|m| m * (r.called + r.served + r.no_show) as f64)).sum();
        Ok(QueueStatsView {
            centre: c.code.to_string(),
            from: dmy(from),
            to: dmy(to),
            issued: rows.iter().map(|r| r.issued).sum(),
            mean_wait_minutes: (called > 0).then(|| minutes(total_wait / called as f64)),
            services: rows
                .iter()
                .map(|r| ServiceStats {
                    letter: r.letter,
                    name: names.iter().find(|n| n.letter == r.letter).map_or_else(String::new, |n| n.name.clone()),
                    issued: r.issued,
                    waiting: r.waiting,
                    called: r.called,
                    served: r.served,
                    no_show: r.no_show,
                    mean_wait_minutes: r.mean_wait_secs.map(minutes),
                    max_wait_minutes: r.max_wait_secs.map(|s| minutes(s as f64)),
                })
                .collect(),
        })
    }
}

pub(crate) fn hm(t: Timestamp) -> String {
    t.to_zoned(motcua_domain::calendar::vietnam()).strftime("%H:%M").to_string()
}

pub(crate) fn dmy(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone)]
pub struct ServiceView {
    pub letter: ServiceLetter,
    pub name: String,
    /// Tickets of the day still waiting.
    #[serde(default)]
    pub waiting: i64,
    /// Tickets issued today.
    #[serde(default)]
    pub issued: i64,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone)]
pub struct CounterView {
    pub number: i32,
    pub name: String,
    /// The services whose tickets it calls.
    pub letters: Vec<ServiceLetter>,
    /// The ticket it is serving now.
    #[serde(default)]
    pub serving: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema, Clone)]
pub struct CalledView {
    pub label: String,
    pub counter: i32,
    pub counter_name: String,
    /// `HH:MM`, Vietnam time.
    pub at: String,
}

/// What a display shows and a kiosk offers.
#[derive(Serialize, utoipa::ToSchema, Clone)]
pub struct Board {
    pub centre: String,
    pub centre_name: String,
    /// `dd/mm/yyyy`
    pub day: String,
    pub services: Vec<ServiceView>,
    pub counters: Vec<CounterView>,
    /// The latest calls, newest first (at most 10).
    pub called: Vec<CalledView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: i64,
    /// `A007`
    pub label: String,
    pub letter: ServiceLetter,
    pub number: i64,
    pub service: String,
    pub centre: String,
    pub centre_name: String,
    /// `waiting`, `called`, `served`, `no_show`
    pub status: String,
    /// `dd/mm/yyyy`
    pub day: String,
    /// `HH:MM`
    pub issued_at: String,
    pub called_at: Option<String>,
    pub counter: Option<i32>,
    pub counter_name: Option<String>,
    /// Tickets of the same service issued before this one and still waiting.
    pub waiting_before: i64,
}

/// Only the centre's desk officers work its counters.
pub(crate) fn desk_of(account: &Account, centre: &Organisation) -> AppResult<()> {
    if account.can_act(&centre.code, Role::DeskOfficer) { Ok(()) } else { Err(AppError::forbidden()) }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceStats {
    pub letter: ServiceLetter,
    pub name: String,
    pub issued: i64,
    pub waiting: i64,
    pub called: i64,
    pub served: i64,
    pub no_show: i64,
    /// Mean wait from taking the ticket to being called, minutes.
    pub mean_wait_minutes: Option<f64>,
    pub max_wait_minutes: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueStatsView {
    pub centre: String,
    pub from: String,
    pub to: String,
    pub services: Vec<ServiceStats>,
    pub issued: i64,
    /// Over every ticket called in the period, minutes.
    pub mean_wait_minutes: Option<f64>,
}
