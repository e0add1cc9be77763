//! [`AppointmentStore`]: service points, slots, bookings and reminders, for both engines, written
//! once as code generic over the engine (the `where` clauses: see `sql_catalog.rs`).

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::OrgCode;
use motcua_domain::service::{ConfirmationCode, PointCode, PointKind};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

use crate::payments::NewNotification;
use crate::service::*;
use crate::sql_service::*;
use crate::sql_shared::{Column, Engine, RowsAffected, SqlStore};
use crate::sql_shared::{corrupt, micros, timestamp};
use crate::{Result, StoreError};

impl<DB: Engine> SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r, 'q> &'r str: sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    bool: Column<DB>,
    i32: Column<DB>,
    i64: Column<DB>,
    f64: Column<DB>,
    Vec<u8>: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
    Option<f64>: Column<DB>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, DB>,
    Option<i32>: Column<DB>,
{
    fn point_from_row(r: &DB::Row) -> Result<ServicePoint> {
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

    fn slot_from_row(r: &DB::Row) -> Result<Slot> {
        Ok(Slot {
            id: r.try_get("id")?,
            point: PointCode::parse(r.try_get::<&str, _>("point_code")?).map_err(corrupt("mã điểm hẹn"))?,
            starts_at: timestamp(r.try_get("starts_at")?)?,
            ends_at: timestamp(r.try_get("ends_at")?)?,
            capacity: i64::from(r.try_get::<i32, _>("capacity")?),
            booked: i64::from(r.try_get::<i32, _>("booked")?),
        })
    }

    fn appointment_from_row(r: &DB::Row) -> Result<Appointment> {
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

    async fn point_in<'e, E: sqlx::Executor<'e, Database = DB>>(ex: E, code: &str) -> Result<Option<ServicePoint>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {POINT_COLUMNS} FROM service_points WHERE code = $1")))
            .bind(code.to_owned())
            .fetch_optional(ex)
            .await?
            .as_ref()
            .map(Self::point_from_row)
            .transpose()
    }

    async fn slot_in(tx: &mut crate::sql_write::WriteTx<DB>, id: i64) -> Result<Option<Slot>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {SLOT_COLUMNS} FROM appointment_slots WHERE id = $1")))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .as_ref()
            .map(Self::slot_from_row)
            .transpose()
    }

    /// Takes a place of the slot if one is free.
    async fn take_place(tx: &mut crate::sql_write::WriteTx<DB>, slot: i64) -> Result<bool> {
        let n = sqlx::query("UPDATE appointment_slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity")
            .bind(slot)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    async fn give_back(tx: &mut crate::sql_write::WriteTx<DB>, slot: i64) -> Result<()> {
        sqlx::query("UPDATE appointment_slots SET booked = booked - 1 WHERE id = $1 AND booked > 0")
            .bind(slot)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn booking_in(ex: &mut <DB as sqlx::Database>::Connection, code: &str) -> Result<Option<Booking>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {BOOKING_COLUMNS} FROM appointments a JOIN appointment_slots s ON s.id = a.slot_id
             WHERE a.code = $1"
        )))
        .bind(code.to_owned())
        .fetch_optional(&mut *ex)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let appointment = Self::appointment_from_row(&row)?;
        let slot = Self::slot_from_row(&row)?;
        let point = Self::point_in(&mut *ex, slot.point.as_str())
            .await?
            .ok_or_else(|| StoreError::Corrupt("lịch hẹn không có điểm hẹn".into()))?;
        Ok(Some(Booking { appointment, slot, point }))
    }

    /// Bookings from joined rows, with their points looked up once each.
    async fn bookings_of(store: &Self, rows: &[DB::Row]) -> Result<Vec<Booking>> {
        let mut points: Vec<ServicePoint> = Vec::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let appointment = Self::appointment_from_row(r)?;
            let slot = Self::slot_from_row(r)?;
            let point = match points.iter().find(|p| p.code == slot.point) {
                Some(p) => p.clone(),
                None => {
                    let p = Self::point_in(&store.pool, slot.point.as_str())
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
}

#[async_trait]
impl<DB: Engine> AppointmentStore for SqlStore<DB>
where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'r> &'r str: sqlx::ColumnIndex<DB::Row> + sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'r, 'q> &'r str: sqlx::Encode<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    String: Column<DB>,
    bool: Column<DB>,
    i32: Column<DB>,
    i64: Column<DB>,
    f64: Column<DB>,
    Vec<u8>: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
    Option<f64>: Column<DB>,
    for<'r> Option<&'r str>: sqlx::Decode<'r, DB>,
    Option<i32>: Column<DB>,
{
    async fn upsert_point(&self, p: &ServicePoint) -> Result<()> {
        self.writer
            .execute(
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
                .bind(p.active),
            )
            .await?;
        Ok(())
    }

    async fn point(&self, code: &PointCode) -> Result<Option<ServicePoint>> {
        Self::point_in(&self.pool, code.as_str()).await
    }

    async fn points(&self, org: Option<&OrgCode>) -> Result<Vec<ServicePoint>> {
        let mut q = QueryBuilder::<DB>::new(format!("SELECT {POINT_COLUMNS} FROM service_points"));
        if let Some(o) = org {
            q.push(" WHERE org_code = ").push_bind(o.as_str().to_owned());
        }
        q.push(" ORDER BY name, code");
        q.build().fetch_all(&self.pool).await?.iter().map(Self::point_from_row).collect()
    }

    async fn add_slots(&self, point: &PointCode, slots: &[NewSlot]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
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
            .map(Self::slot_from_row)
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
        .map(Self::slot_from_row)
        .collect()
    }

    async fn book(
        &self,
        slot_id: i64,
        a: &Appointment,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<BookOutcome> {
        let mut tx = self.writer.begin().await?;
        let Some(slot) = Self::slot_in(&mut tx, slot_id).await? else { rollback_with!(tx, BookOutcome::NoSlot) };
        if slot.starts_at <= now {
            rollback_with!(tx, BookOutcome::NoSlot);
        }
        let Some(point) = Self::point_in(&mut *tx, slot.point.as_str()).await? else {
            rollback_with!(tx, BookOutcome::NoSlot);
        };
        if !point.active {
            rollback_with!(tx, BookOutcome::NoSlot);
        }
        if !Self::take_place(&mut tx, slot_id).await? {
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
        let booking = Self::booking_in(&mut *tx, a.code.as_str()).await?;
        Self::insert_notifications(&mut tx, messages, now).await?;
        tx.commit().await?;
        booking.map_or(Ok(BookOutcome::NoSlot), |b| Ok(BookOutcome::Booked(Box::new(b))))
    }

    async fn booking(&self, code: &ConfirmationCode) -> Result<Option<Booking>> {
        let mut c = self.pool.acquire().await?;
        Self::booking_in(&mut c, code.as_str()).await
    }

    async fn reschedule(
        &self,
        code: &ConfirmationCode,
        slot_id: i64,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<BookOutcome> {
        let mut tx = self.writer.begin().await?;
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
        let (Some(from), Some(to)) = (Self::slot_in(&mut tx, old).await?, Self::slot_in(&mut tx, slot_id).await?)
        else {
            rollback_with!(tx, BookOutcome::NoSlot);
        };
        if to.point != from.point || to.starts_at <= now {
            rollback_with!(tx, BookOutcome::NoSlot);
        }
        if to.id != from.id {
            // Slots are changed in id order so that two moves in opposite
            // directions never wait on each other.
            if to.id < from.id {
                if !Self::take_place(&mut tx, to.id).await? {
                    rollback_with!(tx, BookOutcome::Full);
                }
                Self::give_back(&mut tx, from.id).await?;
            } else {
                Self::give_back(&mut tx, from.id).await?;
                if !Self::take_place(&mut tx, to.id).await? {
                    rollback_with!(tx, BookOutcome::Full);
                }
            }
            sqlx::query("UPDATE appointments SET slot_id = $1, reminded_for = NULL WHERE code = $2")
                .bind(to.id)
                .bind(code.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
        }
        let booking = Self::booking_in(&mut *tx, code.as_str()).await?;
        if to.id != from.id {
            Self::insert_notifications(&mut tx, messages, now).await?;
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
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "UPDATE appointments SET status = 'cancelled', updated_at = $1
             WHERE code = $2 AND status = 'booked' RETURNING slot_id",
        )
        .bind(micros(now))
        .bind(code.as_str().to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { rollback_with!(tx, false) };
        Self::give_back(&mut tx, row.try_get("slot_id")?).await?;
        Self::insert_notifications(&mut tx, messages, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn attend_appointment(&self, code: &ConfirmationCode, now: Timestamp) -> Result<bool> {
        let n = self.writer.execute(sqlx::query(
            "UPDATE appointments SET status = 'attended', updated_at = $1 WHERE code = $2 AND status = 'booked'",
        )
        .bind(micros(now))
        .bind(code.as_str().to_owned())
        )
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn appointments_between(&self, point: &PointCode, from: Timestamp, to: Timestamp) -> Result<Vec<Booking>> {
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
        Self::bookings_of(self, &rows).await
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
        Self::bookings_of(self, &rows).await
    }

    async fn queue_reminder(
        &self,
        code: &ConfirmationCode,
        starts_at: Timestamp,
        messages: &[NewNotification],
        now: Timestamp,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::insert_notifications(&mut tx, messages, now).await?;
        sqlx::query("UPDATE appointments SET reminded_for = $1 WHERE code = $2")
            .bind(micros(starts_at))
            .bind(code.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
