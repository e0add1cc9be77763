//! [`AccountStore`]: accounts, their roles and sessions, for both engines, written once as
//! code generic over the engine (the `where` clauses: see `sql_catalog.rs`).

use std::collections::HashMap;

use async_trait::async_trait;
use jiff::Timestamp;
use motcua_domain::{
    Account, AccountKind, Cccd, Email, Name, NewAccount, OrgCode, Phone, Role, RoleAssignment, Username,
};
use sqlx::{AssertSqlSafe, Row};

use crate::{Result, StoreError};

use crate::AccountStore;
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
    /// An account row (columns [`ACCOUNT_COLUMNS`]) with its roles.
    pub(crate) fn account_from_row(r: &DB::Row, roles: Vec<RoleAssignment>) -> Result<Account> {
        Ok(Account {
            id: r.try_get("id")?,
            username: Username::parse(r.try_get::<&str, _>("username")?).map_err(corrupt("tên đăng nhập"))?,
            full_name: Name::parse("họ tên", r.try_get::<&str, _>("full_name")?).map_err(corrupt("họ tên"))?,
            kind: AccountKind::parse(r.try_get::<&str, _>("kind")?).map_err(corrupt("loại tài khoản"))?,
            cccd: r.try_get::<Option<&str>, _>("cccd")?.map(Cccd::parse).transpose().map_err(corrupt("CCCD"))?,
            email: r.try_get::<Option<&str>, _>("email")?.map(Email::parse).transpose().map_err(corrupt("email"))?,
            phone: r
                .try_get::<Option<&str>, _>("phone")?
                .map(Phone::parse)
                .transpose()
                .map_err(corrupt("điện thoại"))?,
            roles,
            created_at: timestamp(r.try_get("created_at")?)?,
            disabled: r.try_get("disabled")?,
        })
    }

    async fn roles_of<'e, E>(executor: E, account_id: i64) -> Result<Vec<RoleAssignment>>
    where
        E: sqlx::Executor<'e, Database = DB>,
    {
        let rows =
            sqlx::query("SELECT org_code, role FROM role_assignments WHERE account_id = $1 ORDER BY org_code, role")
                .bind(account_id)
                .fetch_all(executor)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(RoleAssignment {
                    org: OrgCode::parse(r.try_get::<&str, _>("org_code")?).map_err(corrupt("mã cơ quan"))?,
                    role: Role::parse(r.try_get::<&str, _>("role")?).map_err(corrupt("vai trò"))?,
                })
            })
            .collect()
    }

    /// Inserts an account and its roles; its id, or None when `skip_taken` and the
    /// username is taken (otherwise a taken username or CCCD is a `Conflict`).
    pub(crate) async fn insert_account(
        tx: &mut crate::sql_write::WriteTx<DB>,
        a: &NewAccount,
        skip_taken: bool,
    ) -> Result<Option<i64>> {
        let a = a.clone().check().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let on_conflict = if skip_taken { " ON CONFLICT (username) DO NOTHING" } else { "" };
        let id: Option<i64> = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO accounts (username, full_name, kind, cccd, email, phone, password_hash, created_at, disabled)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE){on_conflict} RETURNING id"
        )))
        .bind(a.username.as_str().to_owned())
        .bind(a.full_name.as_str().to_owned())
        .bind(a.kind.as_str())
        .bind(a.cccd.as_ref().map(|c| c.as_str().to_owned()))
        .bind(a.email.as_ref().map(|e| e.as_str().to_owned()))
        .bind(a.phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(a.password_hash.clone())
        .bind(micros(Timestamp::now()))
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        let Some(id) = id else { return Ok(None) };
        for r in &a.roles {
            sqlx::query(
                "INSERT INTO role_assignments (account_id, org_code, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(r.org.as_str().to_owned())
            .bind(r.role.as_str())
            .execute(&mut **tx)
            .await?;
        }
        Ok(Some(id))
    }
}

#[async_trait]
impl<DB: Engine> AccountStore for SqlStore<DB>
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
    async fn create_account(&self, a: &NewAccount) -> Result<Account> {
        let mut tx = self.writer.begin().await?;
        let id =
            Self::insert_account(&mut tx, a, false).await?.ok_or_else(|| StoreError::Conflict("tài khoản".into()))?;
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1")))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let roles = Self::roles_of(&mut *tx, id).await?;
        let account = Self::account_from_row(&row, roles)?;
        tx.commit().await?;
        Ok(account)
    }

    async fn create_accounts(&self, list: &[NewAccount]) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let mut made = 0;
        for a in list {
            if Self::insert_account(&mut tx, a, true).await?.is_some() {
                made += 1;
            }
        }
        tx.commit().await?;
        Ok(made)
    }

    async fn account(&self, id: i64) -> Result<Option<Account>> {
        let Some(row) = sqlx::query(AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let roles = Self::roles_of(&self.pool, id).await?;
        Self::account_from_row(&row, roles).map(Some)
    }

    async fn account_credentials(&self, username: &Username) -> Result<Option<(Account, String)>> {
        let Some(row) = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.username = $1"
        )))
        .bind(username.as_str().to_owned())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let roles = Self::roles_of(&self.pool, id).await?;
        let hash: String = row.try_get("password_hash")?;
        Ok(Some((Self::account_from_row(&row, roles)?, hash)))
    }

    async fn set_password(&self, account_id: i64, password_hash: &str, keep_session: Option<&str>) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_owned())
            .bind(account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
            .bind(account_id)
            .bind(keep_session.unwrap_or("").to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn set_account_disabled(&self, username: &Username, disabled: bool) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let id: Option<i64> = sqlx::query("UPDATE accounts SET disabled = $1 WHERE username = $2 RETURNING id")
            .bind(disabled)
            .bind(username.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if let (Some(id), true) = (id, disabled) {
            sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id.is_some())
    }

    async fn list_staff(&self, org: &OrgCode) -> Result<Vec<Account>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.kind = 'staff' AND a.id IN
               (SELECT account_id FROM role_assignments WHERE org_code = $1) ORDER BY a.username"
        )))
        .bind(org.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let roles = Self::roles_of(&self.pool, row.try_get("id")?).await?;
            out.push(Self::account_from_row(row, roles)?);
        }
        Ok(out)
    }

    async fn create_session(&self, token_hash: &str, account_id: i64, expires_at: Timestamp) -> Result<()> {
        self.writer
            .execute(
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash.to_owned())
                .bind(account_id)
                .bind(micros(Timestamp::now()))
                .bind(micros(expires_at)),
            )
            .await?;
        Ok(())
    }

    /// One statement: the session's account with one row per role (a LEFT JOIN, so an account
    /// without roles comes back too), and the meta values asked for beside it; every request
    /// that signs in with a session asks this.
    async fn session_account_and_metas(
        &self,
        token_hash: &str,
        now: Timestamp,
        keys: &[&str],
    ) -> Result<Option<(Account, Vec<Option<String>>)>> {
        let mut qb = sqlx::QueryBuilder::<DB>::new(format!(
            "SELECT {ACCOUNT_COLUMNS}, r.org_code AS role_org, r.role AS role_name"
        ));
        for k in keys {
            qb.push(", (SELECT value FROM meta WHERE key = ").push_bind((*k).to_owned()).push(")");
        }
        qb.push(
            " FROM sessions s JOIN accounts a ON a.id = s.account_id
             LEFT JOIN role_assignments r ON r.account_id = a.id
             WHERE s.token_hash = ",
        );
        qb.push_bind(token_hash.to_owned()).push(" AND s.expires_at > ").push_bind(micros(now));
        qb.push(" AND a.disabled = FALSE ORDER BY r.org_code, r.role");
        let rows = qb.build().fetch_all(&self.pool).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut roles = Vec::with_capacity(rows.len());
        for r in &rows {
            let (Some(org), Some(role)) =
                (r.try_get::<Option<&str>, _>("role_org")?, r.try_get::<Option<&str>, _>("role_name")?)
            else {
                continue;
            };
            roles.push(RoleAssignment {
                org: OrgCode::parse(org).map_err(corrupt("mã cơ quan"))?,
                role: Role::parse(role).map_err(corrupt("vai trò"))?,
            });
        }
        let metas_at = first.len() - keys.len();
        let metas = (metas_at..first.len()).map(|i| first.try_get::<Option<String>, _>(i)).collect::<Result<_, _>>()?;
        Ok(Some((Self::account_from_row(first, roles)?, metas)))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let r = self
            .writer
            .execute(sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash.to_owned()))
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let r =
            self.writer.execute(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(micros(now))).await?;
        Ok(r.rows_affected())
    }

    async fn staff_counts(&self) -> Result<HashMap<OrgCode, i64>> {
        let rows = sqlx::query("SELECT org_code, COUNT(DISTINCT account_id) FROM role_assignments GROUP BY org_code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let org = OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?;
                Ok((org, r.try_get::<i64, _>(1)?))
            })
            .collect()
    }

    async fn staffed(&self, org: &OrgCode, role: motcua_domain::Role) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT r.account_id FROM role_assignments r JOIN accounts a ON a.id = r.account_id
              WHERE r.org_code = $1 AND r.role = $2 AND a.kind = 'staff' AND a.disabled = FALSE LIMIT 1",
        )
        .bind(org.as_str().to_owned())
        .bind(role.as_str().to_owned())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    async fn staffed_roles(&self) -> Result<std::collections::HashSet<(OrgCode, motcua_domain::Role)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT r.org_code, r.role FROM role_assignments r JOIN accounts a ON a.id = r.account_id
              WHERE a.kind = 'staff' AND a.disabled = FALSE",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let org = OrgCode::parse(r.try_get::<&str, _>(0)?).map_err(corrupt("mã cơ quan"))?;
                let role = motcua_domain::Role::parse(r.try_get::<&str, _>(1)?).map_err(corrupt("vai trò"))?;
                Ok((org, role))
            })
            .collect()
    }

    async fn set_roles(&self, username: &Username, roles: &[motcua_domain::RoleAssignment]) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let Some(id) = sqlx::query("SELECT id FROM accounts WHERE username = $1 AND kind = 'staff'")
            .bind(username.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
        else {
            // Explicitly: a dropped transaction is only rolled back when its
            // connection is next used, holding its locks until then.
            tx.rollback().await?;
            return Ok(false);
        };
        sqlx::query("DELETE FROM role_assignments WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        for r in roles {
            sqlx::query(
                "INSERT INTO role_assignments (account_id, org_code, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(r.org.as_str().to_owned())
            .bind(r.role.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
