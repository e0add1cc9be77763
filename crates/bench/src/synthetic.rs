//! `motcua demo --synthetic N`: realistic dossiers for the operations centre. Each one is
//! run through the real workflow engine over simulated time (submission, reception,
//! supplements, payment, appraisal, approval, signature, return, apologies, refusals,
//! withdrawals), sealed into its hash chain, and written in batches with its history.
//!
//! Spread: a year of working days up to now (office hours), procedures by a Zipf-like
//! popularity, every organisation serving them, channels by the procedure's online level,
//! processing times around 20–150 % of the limit. Dossiers whose next step would fall after
//! "now" stay open there, so the recent ones are in progress and some are overdue.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::audit::{Event, EventDraft, GENESIS};
use motcua_domain::calendar::WorkCalendar;
use motcua_domain::rating::Stars;
use motcua_domain::workflow::{
    self, ActionKind, ActionRequest, Actor, Applicant, Channel, Context, Dossier, Status, SupplementMode, Workflow,
};
use motcua_domain::{
    Account, AccountKind, Cccd, DossierCode, Name, OnlineLevel, OrgCode, OrgKind, Procedure, Role, RoleAssignment,
    Username,
};
use motcua_store::{ImportedDossier, OrgFilter, Page, ProcedureFilter, Rating, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Không tạo được hồ sơ mẫu: {0}")]
    Invalid(String),
}

/// splitmix64: small, fast, reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn between(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
}

const FAMILY: [&str; 12] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"];
const MIDDLE: [&str; 8] = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Quang", "Thanh"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phương", "Sơn",
    "Tâm",
];

/// The applicant account that owns synthetic online dossiers (it cannot sign in: its
/// password is random and never shown).
pub const SAMPLE_CITIZEN: &str = "nguoidan.mau";

/// A procedure with where it is handled: (processing organisation, its desk).
struct Offer {
    procedure: Procedure,
    places: Vec<(OrgCode, OrgCode)>,
}

pub struct Generator {
    offers: Vec<Offer>,
    /// Cumulative popularity weights of `offers`.
    weights: Vec<f64>,
    workflows: HashMap<String, Workflow>,
    calendar: WorkCalendar,
    mode: SupplementMode,
    sequences: HashMap<(String, jiff::civil::Date), u32>,
    owner: i64,
    pub rng: Rng,
    /// Events sealed into each dossier's hash chain (true unless only final states are wanted).
    pub seal: bool,
}

fn staff_for(d: &Dossier) -> Result<Account, SyntheticError> {
    let invalid = |e: motcua_domain::DomainError| SyntheticError::Invalid(e.to_string());
    let roles = [Role::DeskOfficer, Role::Specialist, Role::Leader, Role::Clerk]
        .into_iter()
        .flat_map(|role| {
            [d.desk_org.clone(), d.processing_org.clone()].into_iter().map(move |org| RoleAssignment { org, role })
        })
        .collect();
    Ok(Account {
        id: 0,
        username: Username::parse("canbo.mau").map_err(invalid)?,
        full_name: Name::parse("tên", "Cán bộ (dữ liệu mẫu)").map_err(invalid)?,
        kind: AccountKind::Staff,
        cccd: None,
        email: None,
        phone: None,
        roles,
        created_at: Timestamp::UNIX_EPOCH,
        disabled: false,
    })
}

/// A dossier as drawn in submission order ([`Generator::start`]).
pub struct Start {
    offer: usize,
    org: OrgCode,
    desk: OrgCode,
    channel: Channel,
    code: DossierCode,
    applicant: Applicant,
    submitted: Timestamp,
    seed: u64,
}

/// What one simulated dossier went through.
struct Life {
    dossier: Dossier,
    body: String,
    events: Vec<Event>,
    /// Seal events into the hash chain (off when only the final state matters).
    sealed: bool,
}

impl Life {
    fn seal(&mut self, draft: EventDraft) -> Result<(), SyntheticError> {
        if !self.sealed {
            return Ok(());
        }
        let body = serde_json::to_string(&self.dossier).map_err(|e| SyntheticError::Invalid(e.to_string()))?;
        let prev = self.events.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
        let seq = self.events.len() as i64 + 1;
        self.events.push(draft.into_event(self.dossier.code.as_str(), seq, &body, &prev));
        self.body = body;
        Ok(())
    }
}

impl Generator {
    pub async fn new(
        store: &Arc<dyn Store>,
        calendar: WorkCalendar,
        mode: SupplementMode,
        owner: i64,
        seed: u64,
    ) -> Result<Self, SyntheticError> {
        let orgs = store.list_organisations(&OrgFilter::default(), Page::all()).await?.items;
        let desk_of = |org: &OrgCode| {
            orgs.iter()
                .find(|o| o.parent.as_ref() == Some(org) && o.kind == OrgKind::ServiceCentre)
                .map_or_else(|| org.clone(), |o| o.code.clone())
        };
        let procedures = store.list_procedures(&ProcedureFilter::default(), Page::all()).await?.items;
        let workflows: HashMap<String, Workflow> =
            store.workflows().await?.into_iter().map(|w| (w.code.clone(), w)).collect();
        // Linked applications are left out: their branches are dossiers the server starts.
        let linked = |p: &motcua_domain::Procedure| workflows.get(&p.workflow).is_some_and(|w| !w.branches.is_empty());
        let mut offers: Vec<Offer> = procedures
            .into_iter()
            .filter(|p| !p.organisations.is_empty() && !linked(p))
            .map(|p| {
                let places = p.organisations.iter().map(|o| (o.clone(), desk_of(o))).collect();
                Offer { procedure: p, places }
            })
            .collect();
        if offers.is_empty() {
            return Err(SyntheticError::Invalid("danh mục chưa có thủ tục nào gắn với cơ quan".into()));
        }
        offers.sort_by(|a, b| a.procedure.code.cmp(&b.procedure.code));
        let mut rng = Rng::new(seed);
        // Popularity: a shuffled Zipf-like rank, heavier for procedures served in many places.
        let mut weights = Vec::with_capacity(offers.len());
        let mut total = 0.0;
        let mut ranks: Vec<usize> = (1..=offers.len()).collect();
        for i in (1..ranks.len()).rev() {
            ranks.swap(i, rng.below(i + 1));
        }
        for (o, rank) in offers.iter().zip(ranks) {
            total += (o.places.len() as f64).sqrt() / (rank as f64).powf(0.9);
            weights.push(total);
        }
        let mut sequences = HashMap::new();
        for (unit, day, last) in store.dossier_sequences().await? {
            if let Ok(day) = day.parse::<jiff::civil::Date>() {
                sequences.insert((unit, day), u32::try_from(last).unwrap_or(u32::MAX));
            }
        }
        Ok(Generator { offers, weights, workflows, calendar, mode, sequences, owner, rng, seal: true })
    }

    fn pick_offer(&mut self) -> usize {
        let total = self.weights.last().copied().unwrap_or(0.0);
        let x = self.rng.unit() * total;
        self.weights.partition_point(|w| *w <= x).min(self.offers.len() - 1)
    }

    fn applicant(&mut self) -> Result<Applicant, SyntheticError> {
        let female = self.rng.chance(0.5);
        let middle = if female { "Thị" } else { MIDDLE[self.rng.below(MIDDLE.len())] };
        let full =
            format!("{} {} {}", FAMILY[self.rng.below(FAMILY.len())], middle, GIVEN[self.rng.below(GIVEN.len())]);
        let year = 1960 + self.rng.below(45);
        let century = if year >= 2000 { 2 } else { 0 } + usize::from(female);
        let cccd = format!("022{century}{:02}{:06}", year % 100, self.rng.below(1_000_000));
        Ok(Applicant {
            full_name: Name::parse("họ tên", &full).map_err(|e| SyntheticError::Invalid(e.to_string()))?,
            cccd: Cccd::parse(&cccd).ok(),
            phone: None,
            email: None,
            address: None,
        })
    }

    fn code(&mut self, desk: &OrgCode, day: jiff::civil::Date) -> Result<DossierCode, SyntheticError> {
        let n = self.sequences.entry((desk.as_str().to_owned(), day)).or_insert(0);
        *n += 1;
        DossierCode::new(desk, day, *n).map_err(|e| SyntheticError::Invalid(e.to_string()))
    }

    /// One dossier submitted at `submitted`, lived up to `now`.
    pub fn dossier(&mut self, submitted: Timestamp, now: Timestamp) -> Result<ImportedDossier, SyntheticError> {
        let start = self.start(submitted)?;
        self.finish(start, now)
    }

    /// What a dossier is drawn with in submission order: its procedure, place, channel, code
    /// (which numbers its desk's day) and applicant, and the seed the rest of its life is
    /// drawn from, so lives can be drawn on several threads and come out the same.
    pub fn start(&mut self, submitted: Timestamp) -> Result<Start, SyntheticError> {
        let offer = self.pick_offer();
        let (procedure, (org, desk)) = {
            let o = &self.offers[offer];
            (&o.procedure, o.places[self.rng.below(o.places.len())].clone())
        };
        let online_p = match procedure.online {
            OnlineLevel::Full => 0.82,
            OnlineLevel::Partial => 0.55,
            OnlineLevel::None => 0.0,
        };
        let channel = if self.rng.chance(online_p) {
            Channel::Online
        } else if self.rng.chance(0.06) {
            Channel::Post
        } else {
            Channel::InPerson
        };
        let day = motcua_domain::stats::vn_date(submitted);
        let code = self.code(&desk, day)?;
        let applicant = self.applicant()?;
        Ok(Start { offer, org, desk, channel, code, applicant, submitted, seed: self.rng.next_u64() })
    }

    /// The rest of a dossier's life up to `now` (see [`Generator::start`]).
    pub fn finish(&self, start: Start, now: Timestamp) -> Result<ImportedDossier, SyntheticError> {
        let Start { offer, org, desk, channel, code, applicant, submitted, seed } = start;
        let rng = &mut Rng::new(seed);
        let procedure = &self.offers[offer].procedure;
        let wf = self
            .workflows
            .get(&procedure.workflow)
            .ok_or_else(|| SyntheticError::Invalid(format!("không có quy trình {}", procedure.workflow)))?;
        let at_desk = channel != Channel::Online;
        let owner = (channel == Channel::Online).then_some(self.owner);
        let mut d = workflow::new_dossier(
            wf,
            &self.calendar,
            code,
            procedure.code.clone(),
            procedure.time_limit,
            applicant,
            owner,
            channel,
            desk.clone(),
            org.clone(),
            at_desk,
            submitted,
        )
        .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
        if !procedure.fees.is_empty() {
            d.fee = motcua_domain::payment::quote(procedure, 1, &[], channel.rate()).ok();
        }
        d.reused_data = channel == Channel::Online && rng.chance(0.3);
        let mut life = Life { dossier: d, body: String::new(), events: Vec::new(), sealed: self.seal };
        life.seal(EventDraft {
            at_us: submitted.as_microsecond(),
            actor_account: owner,
            actor: if at_desk { "staff:canbo.mau".into() } else { "applicant".into() },
            action: if at_desk { "receive" } else { "submit" }.into(),
            from_status: None,
            to_status: life.dossier.status.code(),
            from_step: None,
            to_step: life.dossier.step.clone(),
            details: serde_json::json!({"channel": channel.as_str(), "synthetic": true}).to_string(),
        })?;
        self.live(wf, rng, &mut life, submitted, now)?;
        let rating = if life.dossier.status == Status::Returned && owner.is_some() && rng.chance(0.4) {
            let x = rng.unit();
            let stars = if x < 0.55 {
                5
            } else if x < 0.85 {
                4
            } else if x < 0.95 {
                3
            } else if x < 0.98 {
                2
            } else {
                1
            };
            let at = life.dossier.finished_at.unwrap_or(submitted) + SignedDuration::from_hours(30);
            match Stars::new(stars) {
                Ok(stars) if at <= now => Some(Rating {
                    dossier: life.dossier.code.clone(),
                    account_id: self.owner,
                    stars,
                    comment: None,
                    at,
                }),
                _ => None,
            }
        } else {
            None
        };
        let placement = life.dossier.placement(wf);
        Ok(ImportedDossier { dossier: life.dossier, body: life.body, placement, events: life.events, rating })
    }

    fn act(
        &self,
        wf: &Workflow,
        life: &mut Life,
        actor: Actor<'_>,
        req: ActionRequest,
        at: Timestamp,
    ) -> Result<bool, SyntheticError> {
        let ctx = Context { workflow: wf, calendar: &self.calendar, supplement_mode: self.mode, now: at };
        let t = match workflow::apply(&ctx, &life.dossier, actor, &req) {
            Ok(t) => t,
            Err(_) => return Ok(false),
        };
        let label = match actor {
            Actor::Applicant { .. } => "applicant".to_owned(),
            Actor::Staff(_) => "staff:canbo.mau".to_owned(),
            Actor::PaymentGateway => "gateway:mau".to_owned(),
            Actor::Coordinator => "system:lien-thong".to_owned(),
        };
        let account = match actor {
            Actor::Applicant { account_id } => account_id,
            _ => None,
        };
        let draft = t.event(at, account, label, &t.details);
        life.dossier = t.dossier;
        life.seal(draft)?;
        Ok(true)
    }

    fn later(&self, from: Timestamp, working_minutes: f64) -> Timestamp {
        self.calendar.add_working_minutes_from(from, working_minutes.max(1.0) as i64).unwrap_or(from)
    }

    /// An online dossier at the desk: received within a working day, a few refused, a few
    /// withdrawn. The time it was received, or `None` when its life ends here (or after now).
    fn reception(
        &self,
        wf: &Workflow,
        rng: &mut Rng,
        life: &mut Life,
        submitted: Timestamp,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, SyntheticError> {
        if life.dossier.status != Status::New {
            return Ok(Some(submitted));
        }
        let delay = rng.between(20.0, 480.0);
        let t = self.later(submitted, delay);
        if t > now {
            return Ok(None);
        }
        if rng.chance(0.02) {
            let applicant = Actor::Applicant { account_id: life.dossier.owner_account };
            self.act(wf, life, applicant, request(ActionKind::Withdraw), t)?;
            return Ok(None);
        }
        let staff = staff_for(&life.dossier)?;
        if rng.chance(0.03) {
            self.act(wf, life, Actor::Staff(&staff), request(ActionKind::Refuse), t)?;
            return Ok(None);
        }
        Ok(self.act(wf, life, Actor::Staff(&staff), request(ActionKind::Receive), t)?.then_some(t))
    }

    /// How one dossier's processing will go, drawn once.
    fn course(rng: &mut Rng) -> Course {
        let supplements = if rng.chance(0.005) {
            2
        } else if rng.chance(0.08) {
            1
        } else {
            0
        };
        let x = rng.unit();
        let fraction = if x < 0.7 {
            rng.between(0.1, 0.6)
        } else if x < 0.96 {
            rng.between(0.6, 0.95)
        } else {
            rng.between(1.02, 1.6)
        };
        Course { supplements, fraction, cashless: rng.chance(0.85), withdraw_later: rng.chance(0.01) }
    }

    /// Moves the dossier through its workflow up to `now`.
    fn live(
        &self,
        wf: &Workflow,
        rng: &mut Rng,
        life: &mut Life,
        submitted: Timestamp,
        now: Timestamp,
    ) -> Result<(), SyntheticError> {
        let applicant = Actor::Applicant { account_id: life.dossier.owner_account };
        let req = request;
        let Some(mut t) = self.reception(wf, rng, life, submitted, now)? else { return Ok(()) };
        let Course { supplements, fraction, cashless, withdraw_later } = Self::course(rng);
        let mut supplements_done = 0;
        let mut paid = false;
        for _ in 0..40 {
            let d = life.dossier.clone();
            if d.status.is_closed() {
                break;
            }
            let (Some(received), Some(due)) = (d.received_at, d.due_at) else { break };
            let span_minutes = self.calendar.working_minutes_between(received, due).unwrap_or(480).max(60) as f64;
            let staff = staff_for(&d)?;
            let allowed = d.allowed_actions(wf, Actor::Staff(&staff), t);
            // The next moment something happens: a share of the remaining planned time.
            let step_gap = span_minutes * fraction / 6.0 * rng.between(0.6, 1.4);
            let next = self.later(t, step_gap);
            if next > now {
                return Ok(());
            }
            // Late: apologise before the appointment passes (once), with a new date.
            if fraction > 1.0 && !d.apologised && next >= due && allowed.contains(&ActionKind::Apologise) {
                let at = due - SignedDuration::from_hours(2);
                let at = if at > t { at } else { t + SignedDuration::from_mins(1) };
                if at > now {
                    return Ok(());
                }
                let new_due = self.later(due, span_minutes * 0.8);
                let mut r = req(ActionKind::Apologise);
                r.new_due_at = Some(new_due);
                self.act(wf, life, Actor::Staff(&staff), r, at)?;
                t = at;
                continue;
            }
            t = next;
            if d.status == Status::SupplementRequested {
                self.act(wf, life, applicant, req(ActionKind::Supplement), t)?;
                continue;
            }
            if d.status == Status::PaymentRequested {
                if cashless {
                    self.act(wf, life, Actor::PaymentGateway, req(ActionKind::ConfirmPayment), t)?;
                } else {
                    self.act(wf, life, Actor::Staff(&staff), req(ActionKind::ConfirmPayment), t)?;
                }
                continue;
            }
            if supplements_done < supplements && allowed.contains(&ActionKind::RequestSupplement) {
                supplements_done += 1;
                self.act(wf, life, Actor::Staff(&staff), req(ActionKind::RequestSupplement), t)?;
                continue;
            }
            if withdraw_later && self.act(wf, life, applicant, req(ActionKind::Withdraw), t)? {
                break;
            }
            let fee_due = d.fee.as_ref().is_some_and(|q| q.total.amount() > 0);
            if fee_due && !paid && allowed.contains(&ActionKind::RequestPayment) {
                paid = true;
                self.act(wf, life, Actor::Staff(&staff), req(ActionKind::RequestPayment), t)?;
                continue;
            }
            let next_action = [
                ActionKind::Receive,
                ActionKind::Assign,
                ActionKind::Forward,
                ActionKind::Approve,
                ActionKind::Sign,
                ActionKind::MarkDone,
                ActionKind::ReturnResult,
            ]
            .into_iter()
            .find(|a| allowed.contains(a) && !(*a == ActionKind::Assign && d.assignee.is_some()));
            let Some(action) = next_action else { break };
            if !self.act(wf, life, Actor::Staff(&staff), req(action), t)? {
                break;
            }
        }
        Ok(())
    }
}

/// How one dossier's processing goes: supplements asked for, the share of the time limit
/// it takes (over 1: late), paid without cash, withdrawn on the way.
struct Course {
    supplements: u32,
    fraction: f64,
    cashless: bool,
    withdraw_later: bool,
}

/// An action as the synthetic officers and applicants ask for it.
fn request(action: ActionKind) -> ActionRequest {
    ActionRequest {
        action: Some(action),
        reason: Some("Dữ liệu mẫu".into()),
        items: vec!["Bản sao giấy tờ còn thiếu".into()],
        new_due_at: None,
        to_org: None,
        assignee: Some(0),
        note: None,
    }
}

/// Submission times: working days of the last `days` days up to `now`, office hours.
pub fn submission_time(rng: &mut Rng, calendar: &WorkCalendar, now: Timestamp, days: i64) -> Timestamp {
    let tz = motcua_domain::calendar::vietnam();
    let today = now.to_zoned(tz.clone()).date();
    for _ in 0..20 {
        let back = rng.below(days.max(1) as usize) as i64;
        let Ok(day) = today.checked_sub(jiff::Span::new().days(back)) else { continue };
        if !calendar.is_working_day(day).unwrap_or(false) {
            continue;
        }
        let minutes = 7 * 60 + 30 + rng.below(9 * 60) as i64;
        let Ok(at) = tz.to_timestamp(day.at((minutes / 60) as i8, (minutes % 60) as i8, rng.below(60) as i8, 0)) else {
            continue;
        };
        if at <= now {
            return at;
        }
    }
    now - SignedDuration::from_hours(1)
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub count: u64,
    pub seed: u64,
    /// The simulation stops here: later steps do not happen yet.
    pub now: Timestamp,
    /// The account owning online dossiers ([`ensure_sample_citizen`]).
    pub owner: i64,
    pub mode: SupplementMode,
}

/// Dossiers drawn and written at a time.
const BATCH: usize = 5_000;

/// Generates the plan's dossiers and writes them in batches; `progress` is told how many are
/// written so far. Lives are drawn on every core while the previous batch is written: the
/// database's writing and the drawing overlap.
pub async fn generate(
    store: &Arc<dyn Store>,
    calendar: WorkCalendar,
    plan: Plan,
    progress: &dyn Fn(u64),
) -> Result<u64, SyntheticError> {
    let Plan { count, seed, now, owner, mode } = plan;
    let mut g = Generator::new(store, calendar.clone(), mode, owner, seed).await?;
    let mut times: Vec<Timestamp> = (0..count).map(|_| submission_time(&mut g.rng, &calendar, now, 365)).collect();
    // In submission order, so each (desk, day) numbers its dossiers as the day went.
    times.sort();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<ImportedDossier>, SyntheticError>>(1);
    let drawer = std::thread::spawn(move || {
        for chunk in times.chunks(BATCH) {
            let batch = draw(&mut g, chunk, now, threads);
            let failed = batch.is_err();
            if tx.blocking_send(batch).is_err() || failed {
                return;
            }
        }
    });
    let mut written = 0;
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        store.import_dossiers(&batch).await?;
        written += batch.len() as u64;
        progress(written);
    }
    drawer.join().map_err(|_| SyntheticError::Invalid("luồng tạo hồ sơ dừng bất thường".into()))?;
    store.bulk_loaded().await?;
    Ok(written)
}

/// One batch: started in order, lived on `threads` threads, returned in order.
fn draw(
    g: &mut Generator,
    times: &[Timestamp],
    now: Timestamp,
    threads: usize,
) -> Result<Vec<ImportedDossier>, SyntheticError> {
    let starts = times.iter().map(|at| g.start(*at)).collect::<Result<Vec<_>, _>>()?;
    let g = &*g;
    let per = starts.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<Start>> = Vec::new();
    let mut rest = starts.into_iter();
    loop {
        let part: Vec<Start> = rest.by_ref().take(per).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(|s| g.finish(s, now)).collect::<Result<Vec<_>, _>>()))
            .collect();
        let mut out = Vec::with_capacity(times.len());
        for h in handles {
            out.extend(h.join().map_err(|_| SyntheticError::Invalid("luồng tạo hồ sơ dừng bất thường".into()))??);
        }
        Ok(out)
    })
}

/// The account owning synthetic online dossiers, created once with a random password
/// nobody knows.
pub async fn ensure_sample_citizen(store: &dyn Store) -> Result<i64, SyntheticError> {
    let invalid = |e: motcua_domain::DomainError| SyntheticError::Invalid(e.to_string());
    let username = Username::parse(SAMPLE_CITIZEN).map_err(invalid)?;
    if let Some((account, _)) = store.account_credentials(&username).await? {
        return Ok(account.id);
    }
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    let raw: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let password = motcua_domain::Password::parse(&format!("Aa1!{raw}"), &username).map_err(invalid)?;
    let hash = tokio::task::spawn_blocking(move || motcua::accounts::auth::hash_password(&password))
        .await
        .map_err(|e| SyntheticError::Invalid(e.to_string()))?
        .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    let account = store
        .create_account(&motcua_domain::NewAccount {
            username,
            full_name: Name::parse("tên", "Người dân (dữ liệu mẫu)").map_err(invalid)?,
            kind: AccountKind::Citizen,
            cccd: Some(Cccd::parse("022099000001").map_err(invalid)?),
            email: None,
            phone: None,
            roles: vec![],
            password_hash: hash,
        })
        .await?;
    Ok(account.id)
}
