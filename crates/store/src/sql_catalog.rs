//! [`CatalogStore`]: administrative units, organisations and the procedure catalog, for both
//! engines, written once as ordinary code generic over the engine (no macro): the impl blocks
//! name, in their `where` clauses, what the SQL needs of the engine — executors for the pool
//! and a connection, and the column types it binds and reads. Rust does not carry such bounds
//! from a trait to its users, so each impl block states them; the two engines satisfy them.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::{AdminUnit, BoundedText, Name, OrgCode, OrgKind, Organisation, Procedure, ProcedureCode, UnitCode};
use sqlx::{QueryBuilder, Row};

use crate::{OrgFilter, Page, Paged, ProcedureFilter, Result, StoreError, UnitFilter};

use crate::CatalogStore;
use crate::sql_shared::*;

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
    fn unit_from_row(r: &DB::Row) -> Result<AdminUnit> {
        let level: i32 = r.try_get("level")?;
        Ok(AdminUnit {
            code: UnitCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã đơn vị"))?,
            name: Name::parse("tên", r.try_get::<&str, _>("name")?).map_err(corrupt("tên đơn vị"))?,
            kind: BoundedText::parse("loại", r.try_get::<&str, _>("kind")?).map_err(corrupt("loại đơn vị"))?,
            parent: r
                .try_get::<Option<&str>, _>("parent_code")?
                .map(UnitCode::parse)
                .transpose()
                .map_err(corrupt("đơn vị cha"))?,
            level: u8::try_from(level).map_err(corrupt("cấp đơn vị"))?,
        })
    }

    fn org_from_row(r: &DB::Row) -> Result<Organisation> {
        Ok(Organisation {
            code: OrgCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã cơ quan"))?,
            name: Name::parse("tên", r.try_get::<&str, _>("name")?).map_err(corrupt("tên cơ quan"))?,
            kind: OrgKind::parse(r.try_get::<&str, _>("kind")?)
                .ok_or_else(|| StoreError::Corrupt("loại cơ quan".into()))?,
            unit: UnitCode::parse(r.try_get::<&str, _>("unit_code")?).map_err(corrupt("đơn vị của cơ quan"))?,
            parent: r
                .try_get::<Option<&str>, _>("parent_code")?
                .map(OrgCode::parse)
                .transpose()
                .map_err(corrupt("cơ quan cấp trên"))?,
        })
    }

    fn procedure_from_row(r: &DB::Row) -> Result<Procedure> {
        let body: &str = r.try_get("body")?;
        serde_json::from_str(body).map_err(corrupt("thủ tục"))
    }

    fn push_unit_filter(qb: &mut QueryBuilder<DB>, f: &UnitFilter) {
        qb.push(" WHERE 1 = 1");
        if let Some(p) = &f.parent {
            qb.push(" AND parent_code = ").push_bind(p.as_str().to_owned());
        }
        if let Some(l) = f.level {
            qb.push(" AND level = ").push_bind(i32::from(l));
        }
    }

    fn push_org_filter(qb: &mut QueryBuilder<DB>, f: &OrgFilter) {
        qb.push(" WHERE 1 = 1");
        if let Some(u) = &f.unit {
            qb.push(" AND unit_code = ").push_bind(u.as_str().to_owned());
        }
        if let Some(k) = f.kind {
            qb.push(" AND kind = ").push_bind(k.as_str());
        }
        if let Some(p) = &f.parent {
            qb.push(" AND parent_code = ").push_bind(p.as_str().to_owned());
        }
    }

    fn push_procedure_filter(qb: &mut QueryBuilder<DB>, f: &ProcedureFilter) {
        qb.push(" WHERE 1 = 1");
        if let Some(o) = &f.org {
            qb.push(" AND code IN (SELECT procedure_code FROM procedure_orgs WHERE org_code = ")
                .push_bind(o.as_str().to_owned())
                .push(")");
        }
        if let Some(u) = &f.unit {
            qb.push(
                " AND code IN (SELECT po.procedure_code FROM procedure_orgs po \
                 JOIN organisations o ON o.code = po.org_code WHERE o.unit_code = ",
            )
            .push_bind(u.as_str().to_owned())
            .push(")");
        }
        if let Some(fc) = &f.field {
            qb.push(" AND field_code = ").push_bind(fc.as_str().to_owned());
        }
        if let Some(o) = f.online {
            qb.push(" AND online = ").push_bind(o.as_str());
        }
        if let Some(l) = f.level {
            qb.push(" AND level = ").push_bind(l.as_str());
        }
        if let Some(text) = &f.text {
            for word in motcua_domain::text::fold(text).split_whitespace().take(10) {
                qb.push(" AND name_folded LIKE ").push_bind(like_contains(word)).push(" ESCAPE '\\'");
            }
        }
    }
}

#[async_trait]
impl<DB: Engine> CatalogStore for SqlStore<DB>
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
    async fn upsert_units(&self, units: &[AdminUnit]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        for u in units {
            sqlx::query(
                "INSERT INTO units (code, name, name_folded, kind, parent_code, level) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_folded = excluded.name_folded,
                   kind = excluded.kind, parent_code = excluded.parent_code, level = excluded.level",
            )
            .bind(u.code.as_str().to_owned())
            .bind(u.name.as_str().to_owned())
            .bind(u.name.folded())
            .bind(u.kind.as_str().to_owned())
            .bind(u.parent.as_ref().map(|p| p.as_str().to_owned()))
            .bind(i32::from(u.level))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(units.len() as u64)
    }

    async fn unit(&self, code: &UnitCode) -> Result<Option<AdminUnit>> {
        sqlx::query("SELECT code, name, kind, parent_code, level FROM units WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::unit_from_row(&r))
            .transpose()
    }

    async fn list_units(&self, filter: &UnitFilter, page: Page) -> Result<Paged<AdminUnit>> {
        let mut qb = QueryBuilder::new("SELECT code, name, kind, parent_code, level FROM units");
        Self::push_unit_filter(&mut qb, filter);
        qb.push(" ORDER BY level, code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM units");
        Self::push_unit_filter(&mut cq, filter);
        let items = rows.iter().map(Self::unit_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Paged { total: Self::total(cq, &self.pool, page, items.len()).await?, items })
    }

    async fn unit_levels(&self) -> Result<HashMap<UnitCode, u8>> {
        let rows = sqlx::query("SELECT code, level FROM units").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let code = UnitCode::parse(r.try_get::<&str, _>("code")?).map_err(corrupt("mã đơn vị"))?;
                let level = u8::try_from(r.try_get::<i32, _>("level")?).map_err(corrupt("cấp đơn vị"))?;
                Ok((code, level))
            })
            .collect()
    }

    async fn upsert_organisations(&self, orgs: &[Organisation]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        for o in orgs {
            sqlx::query(
                "INSERT INTO organisations (code, name, kind, unit_code, parent_code) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                   unit_code = excluded.unit_code, parent_code = excluded.parent_code",
            )
            .bind(o.code.as_str().to_owned())
            .bind(o.name.as_str().to_owned())
            .bind(o.kind.as_str())
            .bind(o.unit.as_str().to_owned())
            .bind(o.parent.as_ref().map(|p| p.as_str().to_owned()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(orgs.len() as u64)
    }

    async fn organisation(&self, code: &OrgCode) -> Result<Option<Organisation>> {
        sqlx::query("SELECT code, name, kind, unit_code, parent_code FROM organisations WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::org_from_row(&r))
            .transpose()
    }

    async fn list_organisations(&self, filter: &OrgFilter, page: Page) -> Result<Paged<Organisation>> {
        let mut qb = QueryBuilder::new("SELECT code, name, kind, unit_code, parent_code FROM organisations");
        Self::push_org_filter(&mut qb, filter);
        qb.push(" ORDER BY code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM organisations");
        Self::push_org_filter(&mut cq, filter);
        let items = rows.iter().map(Self::org_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Paged { total: Self::total(cq, &self.pool, page, items.len()).await?, items })
    }

    async fn existing_organisations(&self, codes: &[OrgCode]) -> Result<HashSet<OrgCode>> {
        let mut found = HashSet::new();
        for chunk in codes.chunks(500) {
            let mut qb = QueryBuilder::<DB>::new("SELECT code FROM organisations WHERE code IN (");
            let mut sep = qb.separated(", ");
            for c in chunk {
                sep.push_bind(c.as_str().to_owned());
            }
            qb.push(")");
            for r in qb.build().fetch_all(&self.pool).await? {
                found.insert(OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?);
            }
        }
        Ok(found)
    }

    async fn upsert_procedures(&self, procedures: &[Procedure]) -> Result<u64> {
        let now = micros(Timestamp::now());
        let mut tx = self.writer.begin().await?;
        for p in procedures {
            let body = serde_json::to_string(p).map_err(corrupt("thủ tục"))?;
            let (tl_kind, tl_value) = p.time_limit.parts();
            sqlx::query(
                "INSERT INTO procedures (code, name, name_folded, field_code, level, online, time_limit_kind,
                   time_limit_value, total_fee, body, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_folded = excluded.name_folded,
                   field_code = excluded.field_code, level = excluded.level, online = excluded.online,
                   time_limit_kind = excluded.time_limit_kind, time_limit_value = excluded.time_limit_value,
                   total_fee = excluded.total_fee, body = excluded.body, updated_at = excluded.updated_at",
            )
            .bind(p.code.as_str().to_owned())
            .bind(p.name.as_str().to_owned())
            .bind(p.name.folded())
            .bind(p.field.code.as_str().to_owned())
            .bind(p.level.as_str())
            .bind(p.online.as_str())
            .bind(tl_kind)
            .bind(tl_value)
            .bind(p.total_fee().amount())
            .bind(body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM procedure_orgs WHERE procedure_code = $1")
                .bind(p.code.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            for o in &p.organisations {
                sqlx::query("INSERT INTO procedure_orgs (procedure_code, org_code) VALUES ($1, $2)")
                    .bind(p.code.as_str().to_owned())
                    .bind(o.as_str().to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(crate::CATALOG_VERSION_KEY)
        .bind(Timestamp::now().as_nanosecond().to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(procedures.len() as u64)
    }

    async fn procedure(&self, code: &ProcedureCode) -> Result<Option<Procedure>> {
        sqlx::query("SELECT body FROM procedures WHERE code = $1")
            .bind(code.as_str().to_owned())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Self::procedure_from_row(&r))
            .transpose()
    }

    async fn list_procedures(&self, filter: &ProcedureFilter, page: Page) -> Result<Paged<Procedure>> {
        let mut qb = QueryBuilder::new("SELECT body FROM procedures");
        Self::push_procedure_filter(&mut qb, filter);
        qb.push(" ORDER BY code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut cq = QueryBuilder::new("SELECT COUNT(*) FROM procedures");
        Self::push_procedure_filter(&mut cq, filter);
        let items = rows.iter().map(Self::procedure_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Paged { total: Self::total(cq, &self.pool, page, items.len()).await?, items })
    }
}
