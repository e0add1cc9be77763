//! Serving people in person: queues at the centres (services, counters, tickets numbered
//! per service and day), appointments at any service point (slots with a capacity that
//! concurrent bookings can never exceed), and the one-time codes kiosks send to sign a
//! citizen in by ID number.

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::OrgCode;
use motcua_domain::service::{Capacity, ConfirmationCode, PointCode, PointKind, ServiceLetter};

use crate::Result;
use crate::payments::NewNotification;

/// What an outbox message of a one-time code says once the code can no longer be used (the
/// migration's partial index names this text too).
pub const OTP_ERASED: &str = "[Mã xác thực đã hết hiệu lực; không lưu lại]";

/// A service of a centre's queue: tickets `A001`, `A002`, … of its letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueService {
    pub letter: ServiceLetter,
    pub name: String,
}

/// A counter and the services whose tickets it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCounter {
    pub number: i32,
    pub name: String,
    pub letters: Vec<ServiceLetter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    Waiting,
    Called,
    Served,
    NoShow,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Called => "called",
            Self::Served => "served",
            Self::NoShow => "no_show",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Waiting, Self::Called, Self::Served, Self::NoShow].into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    pub centre: OrgCode,
    pub letter: ServiceLetter,
    pub day: Date,
    pub number: i64,
    pub status: TicketStatus,
    pub issued_at: Timestamp,
    pub called_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub counter: Option<i32>,
    pub called_by: Option<i64>,
}

impl Ticket {
    /// `A007`.
    pub fn label(&self) -> String {
        motcua_domain::service::ticket_label(self.letter, self.number)
    }
}

/// One service's tickets over a period: how many, what became of them, how long people
/// waited to be called (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStats {
    pub letter: ServiceLetter,
    pub issued: i64,
    pub waiting: i64,
    pub called: i64,
    pub served: i64,
    pub no_show: i64,
    /// Mean of called − issued over the tickets called, in seconds.
    pub mean_wait_secs: Option<f64>,
    pub max_wait_secs: Option<i64>,
}

#[derive(Debug, Clone)]
pub enum IssueOutcome {
    Issued(Ticket),
    /// The centre has no such service.
    NoService,
    /// The day's numbers of this service are used up.
    DayFull,
}

/// Where appointments are taken: a desk service, a hospital department, a doctor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePoint {
    pub code: PointCode,
    pub org: OrgCode,
    pub name: String,
    pub kind: PointKind,
    pub description: String,
    /// A doctor's department, say.
    pub parent: Option<PointCode>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: i64,
    pub point: PointCode,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub capacity: i64,
    pub booked: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlot {
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub capacity: Capacity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
    /// Staff marked the person as come.
    Attended,
}

impl AppointmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
            Self::Attended => "attended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Booked, Self::Cancelled, Self::Attended].into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub code: ConfirmationCode,
    pub slot_id: i64,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub note: String,
    pub account_id: Option<i64>,
    pub status: AppointmentStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The start time the last reminder was queued for.
    pub reminded_for: Option<Timestamp>,
}

/// An appointment with its slot and point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub appointment: Appointment,
    pub slot: Slot,
    pub point: ServicePoint,
}

#[derive(Debug, Clone)]
pub enum BookOutcome {
    Booked(Box<Booking>),
    /// No such slot, or it has started.
    NoSlot,
    /// Every place of the slot is taken.
    Full,
    /// The appointment is not booked any more (cancelled, attended), or does not exist.
    NotActive,
}

/// A registration waiting for the code sent to its phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRegistration {
    /// Hash of the challenge the registrant holds.
    pub challenge_hash: String,
    pub code_hash: String,
    /// Where the code went (normalised), for the per-phone daily limit.
    pub phone: String,
    /// The account to create once the code is right (JSON, the password already hashed).
    pub body: String,
    pub expires_at: Timestamp,
}

/// What trying a registration's code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationCheck {
    /// Right: the registration's body; the code cannot be used again.
    Valid(String),
    /// Wrong code; how many tries are left.
    Wrong(i64),
    /// Expired, used, out of tries, or never issued.
    Spent,
}

/// What checking a one-time code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpCheck {
    /// Right: the account it signs in; the code cannot be used again.
    Valid(i64),
    /// Wrong code; how many tries are left.
    Wrong(i64),
    /// Expired, used, or out of tries.
    Spent,
}

#[async_trait]
/// Queues at a centre: services, counters, tickets.
pub trait QueueStore: Send + Sync {
    /// Replaces a centre's queue services and counters (tickets already issued stay).
    async fn set_queue(&self, centre: &OrgCode, services: &[QueueService], counters: &[QueueCounter]) -> Result<()>;
    async fn queue_services(&self, centre: &OrgCode) -> Result<Vec<QueueService>>;
    async fn queue_counters(&self, centre: &OrgCode) -> Result<Vec<QueueCounter>>;
    /// Issues the next number of the service for the day, gap-free under concurrency.
    async fn issue_ticket(
        &self,
        centre: &OrgCode,
        letter: ServiceLetter,
        day: Date,
        now: Timestamp,
    ) -> Result<IssueOutcome>;
    /// The counter finishes the ticket it had called (served) and calls the oldest waiting
    /// ticket of its services, in one transaction; two counters never get the same one.
    /// None when nobody waits. `MissingReference` for an unknown counter.
    async fn call_next(
        &self,
        centre: &OrgCode,
        counter: i32,
        day: Date,
        now: Timestamp,
        by: i64,
    ) -> Result<Option<Ticket>>;
    /// Marks a called ticket served or not come; false if it was not called at this centre.
    async fn finish_ticket(&self, centre: &OrgCode, id: i64, status: TicketStatus, now: Timestamp) -> Result<bool>;
    async fn ticket(&self, centre: &OrgCode, id: i64) -> Result<Option<Ticket>>;
    /// The day's tickets in the order they were issued.
    async fn tickets_of_day(&self, centre: &OrgCode, day: Date) -> Result<Vec<Ticket>>;
    /// Per service over days `from..=to`.
    async fn queue_stats(&self, centre: &OrgCode, from: Date, to: Date) -> Result<Vec<QueueStats>>;
}

/// Appointments at service points: points, slots, bookings, reminders.
#[async_trait]
pub trait AppointmentStore: Send + Sync {
    /// Inserts or updates a service point.
    async fn upsert_point(&self, point: &ServicePoint) -> Result<()>;
    async fn point(&self, code: &PointCode) -> Result<Option<ServicePoint>>;
    /// Points of one organisation, or all; by name.
    async fn points(&self, org: Option<&OrgCode>) -> Result<Vec<ServicePoint>>;
    /// Adds slots; one that starts when a slot of the point already starts is left as it
    /// was. How many were added.
    async fn add_slots(&self, point: &PointCode, slots: &[NewSlot]) -> Result<u64>;
    async fn slot(&self, id: i64) -> Result<Option<Slot>>;
    /// Slots starting in `[from, to)`, by start.
    async fn slots(&self, point: &PointCode, from: Timestamp, to: Timestamp) -> Result<Vec<Slot>>;
    /// Takes one place of the slot (if it is still free and not started at `now`) and writes
    /// the appointment, in one transaction.
    /// With it, the messages telling the person (queued only if booked).
    async fn book(
        &self,
        slot_id: i64,
        appointment: &Appointment,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<BookOutcome>;
    async fn booking(&self, code: &ConfirmationCode) -> Result<Option<Booking>>;
    /// Moves a booked appointment to another slot of the same point: a place there is taken
    /// and the old one given back, in one transaction.
    async fn reschedule(
        &self,
        code: &ConfirmationCode,
        slot_id: i64,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<BookOutcome>;
    /// Cancels a booked appointment and gives its place back; false if it was not booked.
    async fn cancel_appointment(
        &self,
        code: &ConfirmationCode,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<bool>;
    /// Marks a booked appointment attended; false if it was not booked.
    async fn attend_appointment(&self, code: &ConfirmationCode, now: Timestamp) -> Result<bool>;
    /// Appointments of a point whose slots start in `[from, to)`, by start then booking.
    async fn appointments_between(&self, point: &PointCode, from: Timestamp, to: Timestamp) -> Result<Vec<Booking>>;
    /// Booked appointments starting in `(now, before]` with no reminder for that start yet.
    async fn reminders_due(&self, now: Timestamp, before: Timestamp, limit: i64) -> Result<Vec<Booking>>;
    /// Queues the reminder messages and records that the appointment was reminded for
    /// `starts_at`, in one transaction.
    async fn queue_reminder(
        &self,
        code: &ConfirmationCode,
        starts_at: Timestamp,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<()>;
}

/// One-time codes: kiosk sign-in codes and registration codes, and the messages carrying them.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// The citizen account registered with this ID number.
    async fn account_id_by_cccd(&self, cccd: &motcua_domain::Cccd) -> Result<Option<i64>>;
    /// Messages without a dossier whose topic starts with `prefix`, oldest first.
    async fn messages_about(&self, prefix: &str) -> Result<Vec<crate::payments::Notification>>;

    /// Keeps a registration until its code is typed, with the messages carrying the code.
    async fn create_registration(
        &self,
        r: &PendingRegistration,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<()>;
    /// How many registrations sent a code to this phone since `since`.
    async fn registrations_to_phone_since(&self, phone: &str, since: Timestamp) -> Result<i64>;
    /// One try at a registration's code.
    async fn take_registration(
        &self,
        challenge_hash: &str,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> Result<RegistrationCheck>;

    /// Replaces the text of one-time code messages (topic `otp:…`) made before `before` with
    /// [`OTP_ERASED`], and forgets what registrations used or expired before it kept (the
    /// password hash among it); how many messages were changed.
    async fn erase_spent_codes(&self, before: Timestamp) -> Result<u64>;

    /// Stores a new one-time code (its hash) for the account, and the messages that carry
    /// it, in one transaction; codes still live keep working (each answers its own challenge). Its id.
    async fn create_otp(
        &self,
        account_id: i64,
        challenge_hash: &str,
        code_hash: &str,
        expires_at: Timestamp,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<i64>;
    /// How many codes were made for the account since `since` (to limit sending).
    async fn otps_since(&self, account_id: i64, since: Timestamp) -> Result<i64>;
    /// Checks a code against the stored hash: right once, at most `max_attempts` tries.
    async fn check_otp(
        &self,
        challenge_hash: &str,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> Result<OtpCheck>;
}

/// All of the in-person service: what `Store` includes.
pub trait ServiceStore: QueueStore + AppointmentStore + CodeStore {}
impl<T: QueueStore + AppointmentStore + CodeStore> ServiceStore for T {}
