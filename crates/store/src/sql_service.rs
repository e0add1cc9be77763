//! [`ServiceStore`] for both backends, written once.

use std::str::FromStr;

use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::OrgCode;
use motcua_domain::service::{ConfirmationCode, MAX_TICKETS_PER_DAY, PointCode, PointKind, ServiceLetter};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::payments::NewNotification;
use crate::service::{
    Appointment, AppointmentStatus, BookOutcome, Booking, IssueOutcome, NewSlot, OtpCheck, PendingRegistration,
    QueueCounter, QueueService, QueueStats, RegistrationCheck, ServicePoint, ServiceStore, Slot, Ticket, TicketStatus,
};
use crate::sql::{corrupt, micros, timestamp};
use crate::{PostgresStore, Result, SqliteStore, StoreError};

const TICKET_COLUMNS: &str =
    "id, centre_code, letter, day, number, status, issued_at, called_at, finished_at, counter, called_by";
const POINT_COLUMNS: &str = "code, org_code, name, kind, description, parent_code, active";
const SLOT_COLUMNS: &str = "id, point_code, starts_at, ends_at, capacity, booked";
/// An appointment joined with its slot (`s`).
const BOOKING_COLUMNS: &str = "a.code, a.slot_id, a.full_name, a.phone, a.email, a.note, a.account_id, a.status, \
     a.created_at, a.updated_at, a.reminded_for, s.id, s.point_code, s.starts_at, s.ends_at, s.capacity, s.booked";

fn letters_text(letters: &[ServiceLetter]) -> String {
    letters.iter().map(|l| l.as_char()).collect()
}

fn parse_letters(s: &str) -> Result<Vec<ServiceLetter>> {
    s.chars().map(|c| ServiceLetter::parse(&c.to_string()).map_err(corrupt("ký hiệu dịch vụ"))).collect()
}

/// Constant-time comparison of two hashes.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Ends a transaction that changed nothing worth keeping and returns: the rollback is sent
/// now, so no lock outlives the call (a dropped transaction rolls back only when its
/// connection is next used).
macro_rules! rollback_with {
    ($tx:ident, $value:expr) => {{
        $tx.rollback().await?;
        return Ok($value);
    }};
}

macro_rules! service_impl {
    ($module:ident, $store:ident, $db:ty, $begin_write:expr, $notes:path, $messages:path) => {
        mod $module {
            use super::*;

            type DbRow = <$db as sqlx::Database>::Row;
            type Tx<'a> = sqlx::Transaction<'a, $db>;

            fn ticket_from_row(r: &DbRow) -> Result<Ticket> {
                Ok(Ticket {
                    id: r.try_get("id")?,
                    centre: OrgCode::parse(r.try_get::<&str, _>("centre_code")?).map_err(corrupt("mã cơ quan"))?,
                    letter: ServiceLetter::parse(r.try_get::<&str, _>("letter")?).map_err(corrupt("ký hiệu dịch vụ"))?,
                    day: Date::from_str(r.try_get::<&str, _>("day")?).map_err(corrupt("ngày"))?,
                    number: i64::from(r.try_get::<i32, _>("number")?),
                    status: TicketStatus::parse(r.try_get::<&str, _>("status")?)
                        .ok_or_else(|| StoreError::Corrupt("trạng thái số thứ tự".into()))?,
                    issued_at: timestamp(r.try_get("issued_at")?)?,
                    called_at: r.try_get::<Option<i64>, _>("called_at")?.map(timestamp).transpose()?,
                    finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(timestamp).transpose()?,
                    counter: r.try_get("counter")?,
                    called_by: r.try_get("called_by")?,
                })
            }

            fn point_from_row(r: &DbRow) -> Result<ServicePoint> {
                Ok(ServicePoint {
                    code: PointCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã điểm hẹn"))?,
                    org: OrgCode::parse(r.try_get::<&str, _>("org_code")?).map_err(corrupt("mã cơ quan"))?,
                    name: r.try_get("name")?,
                    kind: PointKind::parse(r.try_get::<&str, _>("kind")?).map_err(corrupt("loại điểm hẹn"))?,
                    description: r.try_get("description")?,
                    parent: r
                        .try_get::<Option<&str>, _>("parent_code")?
                        .map(PointCode::parse)
                        .transpose()
                        .map_err(corrupt("mã điểm hẹn"))?,
                    active: r.try_get("active")?,
                })
            }

            fn slot_from_row(r: &DbRow) -> Result<Slot> {
                Ok(Slot {
                    id: r.try_get("id")?,
                    point: PointCode::parse(r.try_get::<&str, _>("point_code")?).map_err(corrupt("mã điểm hẹn"))?,
                    starts_at: timestamp(r.try_get("starts_at")?)?,
                    ends_at: timestamp(r.try_get("ends_at")?)?,
                    capacity: i64::from(r.try_get::<i32, _>("capacity")?),
                    booked: i64::from(r.try_get::<i32, _>("booked")?),
                })
            }

            fn appointment_from_row(r: &DbRow) -> Result<Appointment> {
                Ok(Appointment {
                    code: ConfirmationCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã lịch hẹn"))?,
                    slot_id: r.try_get("slot_id")?,
                    full_name: r.try_get("full_name")?,
                    phone: r.try_get("phone")?,
                    email: r.try_get("email")?,
                    note: r.try_get("note")?,
                    account_id: r.try_get("account_id")?,
                    status: AppointmentStatus::parse(r.try_get::<&str, _>("status")?)
                        .ok_or_else(|| StoreError::Corrupt("trạng thái lịch hẹn".into()))?,
                    created_at: timestamp(r.try_get("created_at")?)?,
                    updated_at: timestamp(r.try_get("updated_at")?)?,
                    reminded_for: r.try_get::<Option<i64>, _>("reminded_for")?.map(timestamp).transpose()?,
                })
            }

            async fn point_in<'e, E: sqlx::Executor<'e, Database = $db>>(
                ex: E,
                code: &str,
            ) -> Result<Option<ServicePoint>> {
                sqlx::query(AssertSqlSafe(format!("SELECT {POINT_COLUMNS} FROM service_points WHERE code = $1")))
                    .bind(code.to_owned())
                    .fetch_optional(ex)
                    .await?
                    .as_ref()
                    .map(point_from_row)
                    .transpose()
            }

            async fn slot_in(tx: &mut Tx<'_>, id: i64) -> Result<Option<Slot>> {
                sqlx::query(AssertSqlSafe(format!("SELECT {SLOT_COLUMNS} FROM appointment_slots WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?
                    .as_ref()
                    .map(slot_from_row)
                    .transpose()
            }

            /// Takes a place of the slot if one is free.
            async fn take_place(tx: &mut Tx<'_>, slot: i64) -> Result<bool> {
                let n = sqlx::query(
                    "UPDATE appointment_slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity",
                )
                .bind(slot)
                .execute(&mut **tx)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn give_back(tx: &mut Tx<'_>, slot: i64) -> Result<()> {
                sqlx::query("UPDATE appointment_slots SET booked = booked - 1 WHERE id = $1 AND booked > 0")
                    .bind(slot)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            async fn booking_in(ex: &mut <$db as sqlx::Database>::Connection, code: &str) -> Result<Option<Booking>> {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {BOOKING_COLUMNS} FROM appointments a JOIN appointment_slots s ON s.id = a.slot_id
                     WHERE a.code = $1"
                )))
                .bind(code.to_owned())
                .fetch_optional(&mut *ex)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let appointment = appointment_from_row(&row)?;
                let slot = slot_from_row(&row)?;
                let point = point_in(&mut *ex, slot.point.as_str())
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("lịch hẹn không có điểm hẹn".into()))?;
                Ok(Some(Booking { appointment, slot, point }))
            }

            /// Bookings from joined rows, with their points looked up once each.
            async fn bookings_of(store: &$store, rows: &[DbRow]) -> Result<Vec<Booking>> {
                let mut points: Vec<ServicePoint> = Vec::new();
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let appointment = appointment_from_row(r)?;
                    let slot = slot_from_row(r)?;
                    let point = match points.iter().find(|p| p.code == slot.point) {
                        Some(p) => p.clone(),
                        None => {
                            let p = point_in(&store.pool, slot.point.as_str())
                                .await?
                                .ok_or_else(|| StoreError::Corrupt("lịch hẹn không có điểm hẹn".into()))?;
                            points.push(p.clone());
                            p
                        }
                    };
                    out.push(Booking { appointment, slot, point });
                }
                Ok(out)
            }

            #[async_trait]
            impl ServiceStore for $store {
                async fn set_queue(
                    &self,
                    centre: &OrgCode,
                    services: &[QueueService],
                    counters: &[QueueCounter],
                ) -> Result<()> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    for table in ["queue_counters", "queue_services"] {
                        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE centre_code = $1")))
                            .bind(centre.as_str().to_owned())
                            .execute(&mut *tx)
                            .await?;
                    }
                    for s in services {
                        sqlx::query("INSERT INTO queue_services (centre_code, letter, name) VALUES ($1, $2, $3)")
                            .bind(centre.as_str().to_owned())
                            .bind(s.letter.to_string())
                            .bind(s.name.clone())
                            .execute(&mut *tx)
                            .await?;
                    }
                    for c in counters {
                        sqlx::query(
                            "INSERT INTO queue_counters (centre_code, number, name, letters) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(centre.as_str().to_owned())
                        .bind(c.number)
                        .bind(c.name.clone())
                        .bind(letters_text(&c.letters))
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn queue_services(&self, centre: &OrgCode) -> Result<Vec<QueueService>> {
                    sqlx::query("SELECT letter, name FROM queue_services WHERE centre_code = $1 ORDER BY letter")
                        .bind(centre.as_str().to_owned())
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map(|r| {
                            Ok(QueueService {
                                letter: ServiceLetter::parse(r.try_get::<&str, _>("letter")?)
                                    .map_err(corrupt("ký hiệu dịch vụ"))?,
                                name: r.try_get("name")?,
                            })
                        })
                        .collect()
                }

                async fn queue_counters(&self, centre: &OrgCode) -> Result<Vec<QueueCounter>> {
                    sqlx::query(
                        "SELECT number, name, letters FROM queue_counters WHERE centre_code = $1 ORDER BY number",
                    )
                    .bind(centre.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(QueueCounter {
                            number: r.try_get("number")?,
                            name: r.try_get("name")?,
                            letters: parse_letters(r.try_get::<&str, _>("letters")?)?,
                        })
                    })
                    .collect()
                }

                async fn issue_ticket(
                    &self,
                    centre: &OrgCode,
                    letter: ServiceLetter,
                    day: Date,
                    now: Timestamp,
                ) -> Result<IssueOutcome> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let known = sqlx::query("SELECT 1 FROM queue_services WHERE centre_code = $1 AND letter = $2")
                        .bind(centre.as_str().to_owned())
                        .bind(letter.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                    if known.is_none() {
                        rollback_with!(tx, IssueOutcome::NoService);
                    }
                    let n: i32 = sqlx::query(
                        "INSERT INTO queue_sequences (centre_code, letter, day, last_number) VALUES ($1, $2, $3, 1)
                         ON CONFLICT (centre_code, letter, day)
                         DO UPDATE SET last_number = queue_sequences.last_number + 1
                         RETURNING last_number",
                    )
                    .bind(centre.as_str().to_owned())
                    .bind(letter.to_string())
                    .bind(day.to_string())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                    if i64::from(n) > MAX_TICKETS_PER_DAY {
                        rollback_with!(tx, IssueOutcome::DayFull);
                    }
                    let row = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO queue_tickets (centre_code, letter, day, number, status, issued_at)
                         VALUES ($1, $2, $3, $4, 'waiting', $5) RETURNING {TICKET_COLUMNS}"
                    )))
                    .bind(centre.as_str().to_owned())
                    .bind(letter.to_string())
                    .bind(day.to_string())
                    .bind(n)
                    .bind(micros(now))
                    .fetch_one(&mut *tx)
                    .await?;
                    let ticket = ticket_from_row(&row)?;
                    tx.commit().await?;
                    Ok(IssueOutcome::Issued(ticket))
                }

                async fn call_next(
                    &self,
                    centre: &OrgCode,
                    counter: i32,
                    day: Date,
                    now: Timestamp,
                    by: i64,
                ) -> Result<Option<Ticket>> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let letters = sqlx::query("SELECT letters FROM queue_counters WHERE centre_code = $1 AND number = $2")
                        .bind(centre.as_str().to_owned())
                        .bind(counter)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(letters) = letters else {
                        tx.rollback().await?;
                        return Err(StoreError::MissingReference(format!("quầy {counter}")));
                    };
                    let letters = parse_letters(letters.try_get::<&str, _>("letters")?)?;
                    sqlx::query(
                        "UPDATE queue_tickets SET status = 'served', finished_at = $1
                         WHERE centre_code = $2 AND counter = $3 AND status = 'called'",
                    )
                    .bind(micros(now))
                    .bind(centre.as_str().to_owned())
                    .bind(counter)
                    .execute(&mut *tx)
                    .await?;
                    if letters.is_empty() {
                        tx.commit().await?;
                        return Ok(None);
                    }
                    // Another counter may take the oldest ticket between the look and the
                    // update (PostgreSQL): then look again.
                    for _ in 0..50 {
                        let mut q = QueryBuilder::<$db>::new("SELECT id FROM queue_tickets WHERE centre_code = ");
                        q.push_bind(centre.as_str().to_owned())
                            .push(" AND day = ")
                            .push_bind(day.to_string())
                            .push(" AND status = 'waiting' AND letter IN (");
                        let mut sep = q.separated(", ");
                        for l in &letters {
                            sep.push_bind(l.to_string());
                        }
                        q.push(") ORDER BY id LIMIT 1");
                        let Some(row) = q.build().fetch_optional(&mut *tx).await? else {
                            tx.commit().await?;
                            return Ok(None);
                        };
                        let id: i64 = row.try_get("id")?;
                        let called = sqlx::query(AssertSqlSafe(format!(
                            "UPDATE queue_tickets SET status = 'called', called_at = $1, counter = $2, called_by = $3
                             WHERE id = $4 AND status = 'waiting' RETURNING {TICKET_COLUMNS}"
                        )))
                        .bind(micros(now))
                        .bind(counter)
                        .bind(by)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if let Some(row) = called {
                            let t = ticket_from_row(&row)?;
                            tx.commit().await?;
                            return Ok(Some(t));
                        }
                    }
                    tx.rollback().await?;
                    Err(StoreError::Conflict("quá nhiều quầy cùng gọi số".into()))
                }

                async fn finish_ticket(
                    &self,
                    centre: &OrgCode,
                    id: i64,
                    status: TicketStatus,
                    now: Timestamp,
                ) -> Result<bool> {
                    let n = sqlx::query(
                        "UPDATE queue_tickets SET status = $1, finished_at = $2
                         WHERE id = $3 AND centre_code = $4 AND status = 'called'",
                    )
                    .bind(status.as_str())
                    .bind(micros(now))
                    .bind(id)
                    .bind(centre.as_str().to_owned())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn ticket(&self, centre: &OrgCode, id: i64) -> Result<Option<Ticket>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE id = $1 AND centre_code = $2"
                    )))
                    .bind(id)
                    .bind(centre.as_str().to_owned())
                    .fetch_optional(&self.pool)
                    .await?
                    .as_ref()
                    .map(ticket_from_row)
                    .transpose()
                }

                async fn tickets_of_day(&self, centre: &OrgCode, day: Date) -> Result<Vec<Ticket>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE centre_code = $1 AND day = $2 ORDER BY id"
                    )))
                    .bind(centre.as_str().to_owned())
                    .bind(day.to_string())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(ticket_from_row)
                    .collect()
                }

                async fn queue_stats(&self, centre: &OrgCode, from: Date, to: Date) -> Result<Vec<QueueStats>> {
                    let rows = sqlx::query(
                        "SELECT letter, COUNT(*) AS issued,
                           COALESCE(SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END), 0) AS waiting,
                           COALESCE(SUM(CASE WHEN status = 'called' THEN 1 ELSE 0 END), 0) AS called,
                           COALESCE(SUM(CASE WHEN status = 'served' THEN 1 ELSE 0 END), 0) AS served,
                           COALESCE(SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END), 0) AS no_show,
                           CAST(AVG(called_at - issued_at) AS DOUBLE PRECISION) AS mean_wait,
                           MAX(called_at - issued_at) AS max_wait
                         FROM queue_tickets WHERE centre_code = $1 AND day >= $2 AND day <= $3
                         GROUP BY letter ORDER BY letter",
                    )
                    .bind(centre.as_str().to_owned())
                    .bind(from.to_string())
                    .bind(to.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(QueueStats {
                                letter: ServiceLetter::parse(r.try_get::<&str, _>("letter")?)
                                    .map_err(corrupt("ký hiệu dịch vụ"))?,
                                issued: r.try_get("issued")?,
                                waiting: r.try_get("waiting")?,
                                called: r.try_get("called")?,
                                served: r.try_get("served")?,
                                no_show: r.try_get("no_show")?,
                                mean_wait_secs: r.try_get::<Option<f64>, _>("mean_wait")?.map(|us| us / 1e6),
                                max_wait_secs: r.try_get::<Option<i64>, _>("max_wait")?.map(|us| us / 1_000_000),
                            })
                        })
                        .collect()
                }

                async fn upsert_point(&self, p: &ServicePoint) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO service_points (code, org_code, name, kind, description, parent_code, active)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (code) DO UPDATE SET org_code = excluded.org_code, name = excluded.name,
                           kind = excluded.kind, description = excluded.description,
                           parent_code = excluded.parent_code, active = excluded.active",
                    )
                    .bind(p.code.as_str().to_owned())
                    .bind(p.org.as_str().to_owned())
                    .bind(p.name.clone())
                    .bind(p.kind.as_str())
                    .bind(p.description.clone())
                    .bind(p.parent.as_ref().map(|c| c.as_str().to_owned()))
                    .bind(p.active)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn point(&self, code: &PointCode) -> Result<Option<ServicePoint>> {
                    point_in(&self.pool, code.as_str()).await
                }

                async fn points(&self, org: Option<&OrgCode>) -> Result<Vec<ServicePoint>> {
                    let mut q = QueryBuilder::<$db>::new(format!("SELECT {POINT_COLUMNS} FROM service_points"));
                    if let Some(o) = org {
                        q.push(" WHERE org_code = ").push_bind(o.as_str().to_owned());
                    }
                    q.push(" ORDER BY name, code");
                    q.build().fetch_all(&self.pool).await?.iter().map(point_from_row).collect()
                }

                async fn add_slots(&self, point: &PointCode, slots: &[NewSlot]) -> Result<u64> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let mut added = 0;
                    for s in slots {
                        added += sqlx::query(
                            "INSERT INTO appointment_slots (point_code, starts_at, ends_at, capacity, booked)
                             VALUES ($1, $2, $3, $4, 0) ON CONFLICT (point_code, starts_at) DO NOTHING",
                        )
                        .bind(point.as_str().to_owned())
                        .bind(micros(s.starts_at))
                        .bind(micros(s.ends_at))
                        .bind(i32::try_from(s.capacity.get()).unwrap_or(i32::MAX))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    }
                    tx.commit().await?;
                    Ok(added)
                }

                async fn slot(&self, id: i64) -> Result<Option<Slot>> {
                    sqlx::query(AssertSqlSafe(format!("SELECT {SLOT_COLUMNS} FROM appointment_slots WHERE id = $1")))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?
                        .as_ref()
                        .map(slot_from_row)
                        .transpose()
                }

                async fn slots(&self, point: &PointCode, from: Timestamp, to: Timestamp) -> Result<Vec<Slot>> {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT {SLOT_COLUMNS} FROM appointment_slots
                         WHERE point_code = $1 AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at"
                    )))
                    .bind(point.as_str().to_owned())
                    .bind(micros(from))
                    .bind(micros(to))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(slot_from_row)
                    .collect()
                }

                async fn book(
                    &self,
                    slot_id: i64,
                    a: &Appointment,
                    messages: &[NewNotification],
                    now: Timestamp,
                ) -> Result<BookOutcome> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let Some(slot) = slot_in(&mut tx, slot_id).await? else { rollback_with!(tx, BookOutcome::NoSlot) };
                    if slot.starts_at <= now {
                        rollback_with!(tx, BookOutcome::NoSlot);
                    }
                    let Some(point) = point_in(&mut *tx, slot.point.as_str()).await? else {
                        rollback_with!(tx, BookOutcome::NoSlot);
                    };
                    if !point.active {
                        rollback_with!(tx, BookOutcome::NoSlot);
                    }
                    if !take_place(&mut tx, slot_id).await? {
                        rollback_with!(tx, BookOutcome::Full);
                    }
                    sqlx::query(
                        "INSERT INTO appointments (code, slot_id, full_name, phone, email, note, account_id, status,
                           created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'booked', $8, $8)",
                    )
                    .bind(a.code.as_str().to_owned())
                    .bind(slot_id)
                    .bind(a.full_name.clone())
                    .bind(a.phone.clone())
                    .bind(a.email.clone())
                    .bind(a.note.clone())
                    .bind(a.account_id)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
                    let booking = booking_in(&mut *tx, a.code.as_str()).await?;
                    $notes(&mut tx, messages, now).await?;
                    tx.commit().await?;
                    booking.map_or(Ok(BookOutcome::NoSlot), |b| Ok(BookOutcome::Booked(Box::new(b))))
                }

                async fn booking(&self, code: &ConfirmationCode) -> Result<Option<Booking>> {
                    let mut c = self.pool.acquire().await?;
                    booking_in(&mut c, code.as_str()).await
                }

                async fn reschedule(
                    &self,
                    code: &ConfirmationCode,
                    slot_id: i64,
                    messages: &[NewNotification],
                    now: Timestamp,
                ) -> Result<BookOutcome> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    // Locks the appointment first, so two changes of it queue up.
                    let old = sqlx::query(
                        "UPDATE appointments SET updated_at = $1 WHERE code = $2 AND status = 'booked' RETURNING slot_id",
                    )
                    .bind(micros(now))
                    .bind(code.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(old) = old else { rollback_with!(tx, BookOutcome::NotActive) };
                    let old: i64 = old.try_get("slot_id")?;
                    let (Some(from), Some(to)) = (slot_in(&mut tx, old).await?, slot_in(&mut tx, slot_id).await?) else {
                        rollback_with!(tx, BookOutcome::NoSlot);
                    };
                    if to.point != from.point || to.starts_at <= now {
                        rollback_with!(tx, BookOutcome::NoSlot);
                    }
                    if to.id != from.id {
                        // Slots are changed in id order so that two moves in opposite
                        // directions never wait on each other.
                        if to.id < from.id {
                            if !take_place(&mut tx, to.id).await? {
                                rollback_with!(tx, BookOutcome::Full);
                            }
                            give_back(&mut tx, from.id).await?;
                        } else {
                            give_back(&mut tx, from.id).await?;
                            if !take_place(&mut tx, to.id).await? {
                                rollback_with!(tx, BookOutcome::Full);
                            }
                        }
                        sqlx::query("UPDATE appointments SET slot_id = $1, reminded_for = NULL WHERE code = $2")
                            .bind(to.id)
                            .bind(code.as_str().to_owned())
                            .execute(&mut *tx)
                            .await?;
                    }
                    let booking = booking_in(&mut *tx, code.as_str()).await?;
                    if to.id != from.id {
                        $notes(&mut tx, messages, now).await?;
                    }
                    tx.commit().await?;
                    booking.map_or(Ok(BookOutcome::NotActive), |b| Ok(BookOutcome::Booked(Box::new(b))))
                }

                async fn cancel_appointment(
                    &self,
                    code: &ConfirmationCode,
                    messages: &[NewNotification],
                    now: Timestamp,
                ) -> Result<bool> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let row = sqlx::query(
                        "UPDATE appointments SET status = 'cancelled', updated_at = $1
                         WHERE code = $2 AND status = 'booked' RETURNING slot_id",
                    )
                    .bind(micros(now))
                    .bind(code.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(row) = row else { rollback_with!(tx, false) };
                    give_back(&mut tx, row.try_get("slot_id")?).await?;
                    $notes(&mut tx, messages, now).await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn attend_appointment(&self, code: &ConfirmationCode, now: Timestamp) -> Result<bool> {
                    let n = sqlx::query(
                        "UPDATE appointments SET status = 'attended', updated_at = $1 WHERE code = $2 AND status = 'booked'",
                    )
                    .bind(micros(now))
                    .bind(code.as_str().to_owned())
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn appointments_between(
                    &self,
                    point: &PointCode,
                    from: Timestamp,
                    to: Timestamp,
                ) -> Result<Vec<Booking>> {
                    let rows = sqlx::query(AssertSqlSafe(format!(
                        "SELECT {BOOKING_COLUMNS} FROM appointments a JOIN appointment_slots s ON s.id = a.slot_id
                         WHERE s.point_code = $1 AND s.starts_at >= $2 AND s.starts_at < $3
                         ORDER BY s.starts_at, a.created_at, a.code"
                    )))
                    .bind(point.as_str().to_owned())
                    .bind(micros(from))
                    .bind(micros(to))
                    .fetch_all(&self.pool)
                    .await?;
                    bookings_of(self, &rows).await
                }

                async fn reminders_due(&self, now: Timestamp, before: Timestamp, limit: i64) -> Result<Vec<Booking>> {
                    let rows = sqlx::query(AssertSqlSafe(format!(
                        "SELECT {BOOKING_COLUMNS} FROM appointments a JOIN appointment_slots s ON s.id = a.slot_id
                         WHERE a.status = 'booked' AND s.starts_at > $1 AND s.starts_at <= $2
                           AND (a.reminded_for IS NULL OR a.reminded_for <> s.starts_at)
                         ORDER BY s.starts_at, a.code LIMIT $3"
                    )))
                    .bind(micros(now))
                    .bind(micros(before))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    bookings_of(self, &rows).await
                }

                async fn queue_reminder(
                    &self,
                    code: &ConfirmationCode,
                    starts_at: Timestamp,
                    messages: &[NewNotification],
                    now: Timestamp,
                ) -> Result<()> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    $notes(&mut tx, messages, now).await?;
                    sqlx::query("UPDATE appointments SET reminded_for = $1 WHERE code = $2")
                        .bind(micros(starts_at))
                        .bind(code.as_str().to_owned())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn account_id_by_cccd(&self, cccd: &motcua_domain::Cccd) -> Result<Option<i64>> {
                    Ok(sqlx::query("SELECT id FROM accounts WHERE cccd = $1")
                        .bind(cccd.as_str().to_owned())
                        .fetch_optional(&self.pool)
                        .await?
                        .map(|r| r.try_get::<i64, _>(0))
                        .transpose()?)
                }

                async fn messages_about(&self, prefix: &str) -> Result<Vec<crate::payments::Notification>> {
                    $messages(&self.pool, prefix).await
                }

                async fn create_otp(
                    &self,
                    account_id: i64,
                    challenge_hash: &str,
                    code_hash: &str,
                    expires_at: Timestamp,
                    messages: &[NewNotification],
                    now: Timestamp,
                ) -> Result<i64> {
                    // A new code does not cancel a live one: each answers its own challenge, so
                    // someone else asking with the same CCCD cannot spoil the holder's sign-in.
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let id: i64 = sqlx::query(
                        "INSERT INTO kiosk_otps (account_id, challenge_hash, code_hash, expires_at, created_at)
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(account_id)
                    .bind(challenge_hash.to_owned())
                    .bind(code_hash.to_owned())
                    .bind(micros(expires_at))
                    .bind(micros(now))
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                    $notes(&mut tx, messages, now).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn erase_spent_codes(&self, before: Timestamp) -> Result<u64> {
                    // A registration's password hash is kept only while it waits for its code.
                    sqlx::query(
                        "UPDATE registration_codes SET body = '' WHERE body <> '' AND (used_at IS NOT NULL OR expires_at < $1)",
                    )
                    .bind(micros(before))
                    .execute(&self.pool)
                    .await?;
                    // Literals, as in the partial index notifications_live_codes (migration 0011).
                    Ok(sqlx::query(
                        "UPDATE notifications SET body = '[Mã xác thực đã hết hiệu lực; không lưu lại]'
                         WHERE topic LIKE 'otp:%' AND body <> '[Mã xác thực đã hết hiệu lực; không lưu lại]'
                           AND created_at < $1",
                    )
                    .bind(micros(before))
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
                }

                async fn otps_since(&self, account_id: i64, since: Timestamp) -> Result<i64> {
                    Ok(sqlx::query("SELECT COUNT(*) FROM kiosk_otps WHERE account_id = $1 AND created_at >= $2")
                        .bind(account_id)
                        .bind(micros(since))
                        .fetch_one(&self.pool)
                        .await?
                        .try_get(0)?)
                }

                async fn check_otp(
                    &self,
                    challenge_hash: &str,
                    code_hash: &str,
                    now: Timestamp,
                    max_attempts: i64,
                ) -> Result<OtpCheck> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let outcome = match check_code(&mut tx, "kiosk_otps", "account_id", challenge_hash, code_hash, now, max_attempts).await? {
                        CodeCheck::Valid(payload) => OtpCheck::Valid(payload.parse().map_err(|_| StoreError::Corrupt("kiosk_otps.account_id".into()))?),
                        CodeCheck::Wrong(left) => OtpCheck::Wrong(left),
                        CodeCheck::Spent => OtpCheck::Spent,
                    };
                    tx.commit().await?;
                    Ok(outcome)
                }

                async fn create_registration(
                    &self,
                    r: &PendingRegistration,
                    messages: &[NewNotification],
                    now: Timestamp,
                ) -> Result<()> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    sqlx::query(
                        "INSERT INTO registration_codes (challenge_hash, code_hash, phone, body, expires_at, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(r.challenge_hash.clone())
                    .bind(r.code_hash.clone())
                    .bind(r.phone.clone())
                    .bind(r.body.clone())
                    .bind(micros(r.expires_at))
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
                    $notes(&mut tx, messages, now).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn registrations_to_phone_since(&self, phone: &str, since: Timestamp) -> Result<i64> {
                    Ok(sqlx::query("SELECT COUNT(*) FROM registration_codes WHERE phone = $1 AND created_at >= $2")
                        .bind(phone.to_owned())
                        .bind(micros(since))
                        .fetch_one(&self.pool)
                        .await?
                        .try_get(0)?)
                }

                async fn take_registration(
                    &self,
                    challenge_hash: &str,
                    code_hash: &str,
                    now: Timestamp,
                    max_attempts: i64,
                ) -> Result<RegistrationCheck> {
                    let mut tx = self.pool.begin_with($begin_write).await?;
                    let outcome = match check_code(&mut tx, "registration_codes", "body", challenge_hash, code_hash, now, max_attempts).await? {
                        CodeCheck::Valid(body) => RegistrationCheck::Valid(body),
                        CodeCheck::Wrong(left) => RegistrationCheck::Wrong(left),
                        CodeCheck::Spent => RegistrationCheck::Spent,
                    };
                    tx.commit().await?;
                    Ok(outcome)
                }
            }

            /// What checking a code of `table` found; for the right code, the row's `payload`
            /// column (as text), the row then used up.
            enum CodeCheck {
                Valid(String),
                Wrong(i64),
                Spent,
            }

            /// One try at a one-time code of `table` (kiosk codes, registrations): spent when
            /// used, expired or out of tries; right once; wrong, with the tries left.
            async fn check_code(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &'static str,
                payload: &'static str,
                challenge_hash: &str,
                code_hash: &str,
                now: Timestamp,
                max_attempts: i64,
            ) -> Result<CodeCheck> {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT id, CAST({payload} AS TEXT) AS payload, code_hash, expires_at, attempts, used_at FROM {table}
                     WHERE challenge_hash = $1"
                )))
                .bind(challenge_hash.to_owned())
                .fetch_optional(&mut **tx)
                .await?;
                let Some(row) = row else { return Ok(CodeCheck::Spent) };
                let id: i64 = row.try_get("id")?;
                let attempts = i64::from(row.try_get::<i32, _>("attempts")?);
                let spent = row.try_get::<Option<i64>, _>("used_at")?.is_some()
                    || row.try_get::<i64, _>("expires_at")? <= micros(now)
                    || attempts >= max_attempts;
                if spent {
                    return Ok(CodeCheck::Spent);
                }
                if same(row.try_get::<&str, _>("code_hash")?, code_hash) {
                    let n = sqlx::query(AssertSqlSafe(format!(
                        "UPDATE {table} SET used_at = $1, attempts = attempts + 1
                         WHERE id = $2 AND used_at IS NULL AND attempts < $3"
                    )))
                    .bind(micros(now))
                    .bind(id)
                    .bind(max_attempts)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                    return Ok(if n == 1 { CodeCheck::Valid(row.try_get("payload")?) } else { CodeCheck::Spent });
                }
                let left = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 RETURNING attempts"
                )))
                .bind(id)
                .bind(max_attempts)
                .fetch_optional(&mut **tx)
                .await?;
                Ok(match left {
                    Some(r) => CodeCheck::Wrong(max_attempts - i64::from(r.try_get::<i32, _>(0)?)),
                    None => CodeCheck::Spent,
                })
            }
        }
    };
}

service_impl!(
    sqlite_service,
    SqliteStore,
    sqlx::Sqlite,
    "BEGIN IMMEDIATE",
    crate::sql_payments::sqlite_payments::insert_notifications,
    crate::sql_payments::sqlite_payments::messages_about
);
service_impl!(
    postgres_service,
    PostgresStore,
    sqlx::Postgres,
    "BEGIN",
    crate::sql_payments::postgres_payments::insert_notifications,
    crate::sql_payments::postgres_payments::messages_about
);
