//! Dossier lists on either engine, each query served by an index in its own order (issue 28;
//! the plans are checked by `conformance::list_queries_follow_their_indexes`):
//!
//! - work waiting (an inbox, a step, overdue, due soon) reads the waiting dossiers only
//!   (`dossiers_inbox`, or the partial `dossiers_active_*` indexes of dossiers at a step) and
//!   sorts that small set by deadline;
//! - every dossier of a unit, newest first, reads each of its organisations' indexes by
//!   submission time from the top (`dossiers_desk_recent`, `dossiers_processing_recent`, or
//!   `dossier_terms` for a search) down to the page's last row, so page 1 and page 1,000 cost
//!   the same and the archive behind them costs nothing;
//! - a citizen's own dossiers read `dossiers_owner_recent` the same way.
//!
//! A page goes on after the last row shown (a keyset cursor), and counts stop at
//! [`COUNT_BOUND`] rows.

use sqlx::QueryBuilder;

use crate::dossier_list::{COUNT_BOUND, DossierCursor, DossierList, DossierPage, ListOrder, ListTotal, NO_DUE};
use crate::sql_shared::*;
use crate::{DossierFilter, Result};

/// Where the rows of a unit's list are read from. A unit's sources never give the same
/// dossier twice (a dossier its desk received is read from there only), so a count can stop
/// at its bound.
enum Source {
    /// Dossiers whose `column` is the organisation (and in `status`, when given), by `index`
    /// (named to SQLite, which has no statistics to choose by; PostgreSQL chooses by its own).
    Column { column: &'static str, org: String, status: Option<i32>, index: &'static str },
    /// `dossier_terms` of `org` for this word; `org` is the unit's `at`-th organisation, and
    /// dossiers of the organisations before it are theirs. With `recent`, SQLite's
    /// `dossier_terms_recent` instead (a few moments' new dossiers, read whole), but for the
    /// rows `dossier_terms` has too.
    Term { org: String, at: usize, term: String, recent: bool },
}

/// Every status code, for a list of all of them read one status's run at a time.
const STATUSES: std::ops::RangeInclusive<i32> = 1..=10;

/// The sort key of a list over the rows of `alias` (the deadline is `due` in a union).
fn order_by(order: ListOrder, alias: &str, due: &str) -> String {
    match order {
        ListOrder::Recent => format!(" ORDER BY {alias}.submitted_at DESC, {alias}.code DESC"),
        ListOrder::Due => format!(" ORDER BY {due}, {alias}.submitted_at DESC, {alias}.code"),
    }
}

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
    /// One page of the list `filter` describes; see the module's comment.
    pub(crate) async fn dossier_list(&self, filter: &DossierFilter, page: &DossierPage) -> Result<DossierList> {
        let order = filter.order();
        let sources = self.sources(filter, order).await?;
        let mut qb = Self::list_query("", filter, sources.as_deref(), page, order);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let mut items = rows.iter().map(|r| Self::stored_from_row(r).map(|s| s.dossier)).collect::<Result<Vec<_>>>()?;
        let more = items.len() as i64 > page.limit;
        items.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
        let next = if more { items.last().map(|d| DossierCursor::after(d, order)) } else { None };
        let total = if page.after.is_none() && !more {
            ListTotal::Exact(items.len() as i64)
        } else {
            self.count_from(filter, sources.as_deref()).await?
        };
        Ok(DossierList { items, total, next })
    }

    /// How many dossiers `filter` keeps, up to [`COUNT_BOUND`].
    pub(crate) async fn dossier_count(&self, filter: &DossierFilter) -> Result<ListTotal> {
        let sources = self.sources(filter, filter.order()).await?;
        self.count_from(filter, sources.as_deref()).await
    }

    async fn count_from(&self, filter: &DossierFilter, sources: Option<&[Source]>) -> Result<ListTotal> {
        let mut cq = Self::count_query("", filter, sources, filter.order());
        let n: i64 = sqlx::Row::try_get(&cq.build().fetch_one(&self.pool).await?, 0)?;
        Ok(if n > COUNT_BOUND { ListTotal::MoreThan(COUNT_BOUND) } else { ListTotal::Exact(n) })
    }

    /// The page's rows (one more than asked, to know whether another page follows); `head`
    /// goes before it (`EXPLAIN`).
    fn list_query(
        head: &str,
        filter: &DossierFilter,
        sources: Option<&[Source]>,
        page: &DossierPage,
        order: ListOrder,
    ) -> QueryBuilder<DB> {
        let n = page.limit + 1;
        let mut qb = QueryBuilder::new(head);
        qb.push("SELECT d.body, d.last_event_seq, d.last_event_hash FROM dossiers d WHERE ");
        let due = format!("COALESCE(d.due_at, {NO_DUE})");
        match sources {
            // A field without procedures: nothing to read.
            Some([]) => {
                qb.push("1 = 0");
                return qb;
            }
            Some(sources) => {
                // The first n of each source, then the first n of those.
                qb.push("d.code IN (SELECT u.code FROM (");
                for (i, s) in sources.iter().enumerate() {
                    if i > 0 {
                        qb.push(" UNION ALL ");
                    }
                    qb.push(format!("SELECT s{i}.code, s{i}.submitted_at, s{i}.due FROM ("));
                    Self::push_source(&mut qb, s, filter, (order, true), page.after.as_ref(), n);
                    qb.push(format!(") s{i}"));
                }
                qb.push(") u").push(order_by(order, "u", "u.due")).push(" LIMIT ").push_bind(n).push(")");
            }
            None => {
                Self::push_filter(&mut qb, filter, true);
                Self::push_after(&mut qb, order, ("d.submitted_at", "d.code", &due), page.after.as_ref());
                qb.push(order_by(order, "d", &due)).push(" LIMIT ").push_bind(n);
                return qb;
            }
        }
        qb.push(order_by(order, "d", &due));
        qb
    }

    /// How many rows the list has, counted up to one past [`COUNT_BOUND`]; `head` goes
    /// before it.
    fn count_query(
        head: &str,
        filter: &DossierFilter,
        sources: Option<&[Source]>,
        order: ListOrder,
    ) -> QueryBuilder<DB> {
        let bound = COUNT_BOUND + 1;
        let mut qb = QueryBuilder::new(head);
        qb.push("SELECT COUNT(*) FROM (");
        match sources {
            Some([]) => {
                qb.push("SELECT 1 AS code WHERE 1 = 0");
            }
            Some(sources) => {
                // The sources are disjoint: read one after another, up to the bound in all.
                qb.push("SELECT a.code FROM (");
                for (i, s) in sources.iter().enumerate() {
                    if i > 0 {
                        qb.push(" UNION ALL ");
                    }
                    qb.push(format!("SELECT s{i}.code FROM ("));
                    Self::push_source(&mut qb, s, filter, (order, false), None, bound);
                    qb.push(format!(") s{i}"));
                }
                qb.push(") a LIMIT ").push_bind(bound);
            }
            None => {
                qb.push("SELECT 1 FROM dossiers d WHERE ");
                Self::push_filter(&mut qb, filter, true);
                qb.push(" LIMIT ").push_bind(bound);
            }
        }
        qb.push(") c");
        qb
    }

    /// The plans of the page's query and of its count, a line per step (`EXPLAIN QUERY PLAN`
    /// on SQLite; `EXPLAIN` on PostgreSQL, told to avoid scanning whole tables and sorting
    /// when it can, so a small test database shows the plan a large one gets).
    pub(crate) async fn explain_list(&self, filter: &DossierFilter, page: &DossierPage) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let order = filter.order();
        let postgres = DB::BACKEND == crate::Backend::Postgres;
        let head = if postgres { "EXPLAIN " } else { "EXPLAIN QUERY PLAN " };
        let sources = self.sources(filter, order).await?;
        let sources = sources.as_deref();
        for (what, mut qb) in [
            ("list", Self::list_query(head, filter, sources, page, order)),
            ("count", Self::count_query(head, filter, sources, order)),
        ] {
            let mut tx = self.pool.begin().await?;
            if postgres {
                for set in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL {set} = off"))).execute(&mut *tx).await?;
                }
            }
            out.push(format!("-- {what}"));
            for row in qb.build().fetch_all(&mut *tx).await? {
                let column = if postgres { 0 } else { 3 };
                out.push(sqlx::Row::try_get::<String, _>(&row, column)?);
            }
            tx.rollback().await?;
        }
        Ok(out)
    }

    /// The sources of a unit's list (the organisations' dossiers, with no citizen or inbox
    /// to narrow them). Newest first: each organisation's desk and processing indexes, a run
    /// per status shown; or, for a search, a procedure or a field, its words
    /// (`dossier_terms`). Work waiting: the partial indexes of dossiers at a step.
    async fn sources(&self, filter: &DossierFilter, order: ListOrder) -> Result<Option<Vec<Source>>> {
        let Some(orgs) = filter.involving.as_ref() else { return Ok(None) };
        if filter.owner.is_some() || filter.waiting_at.is_some() || orgs.is_empty() {
            return Ok(None);
        }
        let unit: Vec<String> = orgs.iter().map(|o| o.as_str().to_owned()).collect();
        let mut out = Vec::new();
        let terms = match (order, &filter.search, &filter.procedure, &filter.field) {
            (ListOrder::Due, ..) => None,
            (_, Some(q), ..) => Some(vec![crate::dossier_list::search_term(q)]),
            (_, None, Some(p), _) => Some(vec![crate::dossier_list::procedure_term(p.as_str())]),
            (_, None, None, Some(field)) => Some(
                sqlx::query("SELECT code FROM procedures WHERE field_code = $1 ORDER BY code")
                    .bind(field.as_str().to_owned())
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| sqlx::Row::try_get::<String, _>(r, 0).map(|c| crate::dossier_list::procedure_term(&c)))
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            ),
            _ => None,
        };
        if let Some(terms) = terms {
            let tables: &[bool] = if DB::BACKEND == crate::Backend::Sqlite { &[false, true] } else { &[false] };
            for (at, org) in unit.iter().enumerate() {
                for term in &terms {
                    for &recent in tables {
                        out.push(Source::Term { org: org.clone(), at, term: term.clone(), recent });
                    }
                }
            }
            return Ok(Some(out));
        }
        let (desk, processing) = match order {
            ListOrder::Recent => ("dossiers_desk_recent", "dossiers_processing_recent"),
            ListOrder::Due => ("dossiers_active_desk", "dossiers_active_processing"),
        };
        let statuses: Vec<Option<i32>> = match (order, filter.status) {
            (ListOrder::Due, st) => vec![st.map(|s| i32::from(s.code()))],
            (ListOrder::Recent, Some(st)) => vec![Some(i32::from(st.code()))],
            (ListOrder::Recent, None) => STATUSES.map(Some).collect(),
        };
        for org in &unit {
            for (column, index) in [("desk_org", desk), ("processing_org", processing)] {
                for status in &statuses {
                    out.push(Source::Column { column, org: org.clone(), status: *status, index });
                }
            }
        }
        Ok(Some(out))
    }

    /// `SELECT code, submitted_at, due …` of one source, at most `n` rows: the first in the
    /// list's order when `sorted` (a count takes any).
    fn push_source(
        qb: &mut QueryBuilder<DB>,
        s: &Source,
        f: &DossierFilter,
        (order, sorted): (ListOrder, bool),
        after: Option<&DossierCursor>,
        n: i64,
    ) {
        let due = format!("COALESCE(d.due_at, {NO_DUE})");
        match s {
            Source::Column { column, org, status, index } => {
                let indexed =
                    if DB::BACKEND == crate::Backend::Sqlite { format!(" INDEXED BY {index}") } else { String::new() };
                qb.push(format!(
                    "SELECT d.code, d.submitted_at, {due} AS due FROM dossiers d{indexed} WHERE d.{column} = "
                ))
                .push_bind(org.clone());
                if let Some(st) = status {
                    qb.push(" AND d.status = ").push_bind(*st);
                }
                if *column == "processing_org" {
                    // Those the unit's desks received are read from there.
                    Self::push_none_of(qb, "d.desk_org", f.involving.as_deref().unwrap_or_default());
                }
                // The unit is this source's; the other filters apply to its rows (a search in
                // work waiting reads their words: they are few).
                let rest = DossierFilter {
                    involving: None,
                    status: if status.is_some() { None } else { f.status },
                    ..f.clone()
                };
                qb.push(" AND ");
                Self::push_filter(qb, &rest, true);
                Self::push_after(qb, order, ("d.submitted_at", "d.code", &due), after);
                if sorted {
                    qb.push(order_by(order, "d", &due));
                }
                qb.push(" LIMIT ").push_bind(n);
            }
            Source::Term { org, at, term, recent: false } => {
                qb.push(format!(
                    "SELECT t.dossier_code AS code, t.submitted_at, {due} AS due FROM dossier_terms t \
                     JOIN dossiers d ON d.code = t.dossier_code WHERE t.org_code = "
                ))
                .push_bind(org.clone());
                qb.push(" AND t.term = ").push_bind(term.clone());
                Self::push_term_rest(qb, f, *at, (order, sorted), after, n, false);
            }
            Source::Term { org, at, term, recent: true } => {
                // Its alias is its own: a whole-table read of it is meant (few rows).
                qb.push(format!(
                    "SELECT r.dossier_code AS code, r.submitted_at, {due} AS due FROM dossier_terms_recent r \
                     JOIN dossiers d ON d.code = r.dossier_code WHERE instr(r.orgs, "
                ))
                .push_bind(crate::sql_dossier_words::recent_key(org));
                qb.push(") > 0 AND instr(r.terms, ").push_bind(crate::sql_dossier_words::recent_key(term));
                // A word also in `dossier_terms` (a transfer back writes its words there
                // straight away) is read from there.
                qb.push(") > 0 AND NOT EXISTS (SELECT 1 FROM dossier_terms x WHERE x.org_code = ")
                    .push_bind(org.clone());
                qb.push(" AND x.term = ").push_bind(term.clone());
                qb.push(" AND x.submitted_at = r.submitted_at AND x.dossier_code = r.dossier_code)");
                Self::push_term_rest(qb, f, *at, (order, sorted), after, n, true);
            }
        }
    }

    /// The rest of a source of words (`t`, or `r` for the recent ones): the unit's other
    /// organisations and the other filters, the page's place, its order and size.
    fn push_term_rest(
        qb: &mut QueryBuilder<DB>,
        f: &DossierFilter,
        at: usize,
        (order, sorted): (ListOrder, bool),
        after: Option<&DossierCursor>,
        n: i64,
        recent: bool,
    ) {
        let t = if recent { "r" } else { "t" };
        let due = format!("COALESCE(d.due_at, {NO_DUE})");
        // Those of the organisations before this one are read from theirs.
        let before: Vec<motcua_domain::OrgCode> = f.involving.iter().flatten().take(at).cloned().collect();
        Self::push_none_of(qb, "d.desk_org", &before);
        Self::push_none_of(qb, "d.processing_org", &before);
        // Words outlive a transfer: the dossier must still be the unit's.
        let rest = DossierFilter { search: None, ..f.clone() };
        qb.push(" AND ");
        Self::push_filter(qb, &rest, false);
        Self::push_after(qb, order, (&format!("{t}.submitted_at"), &format!("{t}.dossier_code"), &due), after);
        if sorted && recent {
            // The recent words, all of them (few): sorted with the other sources' rows.
            return;
        }
        if sorted {
            qb.push(format!(" ORDER BY {t}.submitted_at DESC, {t}.dossier_code DESC"));
        }
        qb.push(" LIMIT ").push_bind(n);
    }

    /// ` AND column NOT IN (…)` (nothing when the list is empty).
    fn push_none_of(qb: &mut QueryBuilder<DB>, column: &str, orgs: &[motcua_domain::OrgCode]) {
        if orgs.is_empty() {
            return;
        }
        qb.push(format!(" AND {column} NOT IN ("));
        let mut list = qb.separated(", ");
        for o in orgs {
            list.push_bind(o.as_str().to_owned());
        }
        qb.push(")");
    }

    /// ` AND` (rows after the cursor in the list's order), over these (submitted, code, due)
    /// expressions.
    fn push_after(
        qb: &mut QueryBuilder<DB>,
        order: ListOrder,
        (at, code, due): (&str, &str, &str),
        after: Option<&DossierCursor>,
    ) {
        let Some(c) = after else { return };
        match order {
            ListOrder::Recent => {
                qb.push(format!(" AND {at} <= ")).push_bind(c.submitted);
                qb.push(format!(" AND ({at} < ")).push_bind(c.submitted);
                qb.push(format!(" OR {code} < ")).push_bind(c.code.as_str().to_owned()).push(")");
            }
            ListOrder::Due => {
                let key = c.due.unwrap_or(NO_DUE);
                qb.push(format!(" AND {due} >= ")).push_bind(key);
                qb.push(format!(" AND ({due} > ")).push_bind(key);
                qb.push(format!(" OR {at} < ")).push_bind(c.submitted);
                qb.push(format!(" OR ({at} = ")).push_bind(c.submitted);
                qb.push(format!(" AND {code} > ")).push_bind(c.code.as_str().to_owned()).push("))");
            }
        }
    }

    /// The filter's conditions on `dossiers d`, joined by AND (`1 = 1` when none). A search
    /// reads the words (`search_text`) of the rows the other conditions leave, when
    /// `search_text` is set; a unit's search goes through `dossier_terms` instead.
    pub(crate) fn push_filter(qb: &mut QueryBuilder<DB>, f: &DossierFilter, search_text: bool) {
        qb.push("1 = 1");
        if let Some(o) = f.owner {
            qb.push(" AND d.owner_account = ").push_bind(o);
        }
        if let Some(pairs) = &f.waiting_at {
            if pairs.is_empty() {
                qb.push(" AND 1 = 0");
            } else {
                qb.push(" AND (");
                for (i, (org, role)) in pairs.iter().enumerate() {
                    qb.push(if i == 0 { "(d.waiting_org = " } else { " OR (d.waiting_org = " });
                    qb.push_bind(org.as_str().to_owned());
                    qb.push(" AND d.waiting_role = ").push_bind(role.as_str()).push(")");
                }
                qb.push(")");
            }
        }
        if let Some(orgs) = &f.involving {
            if orgs.is_empty() {
                qb.push(" AND 1 = 0");
            } else {
                qb.push(" AND (");
                for (i, org) in orgs.iter().enumerate() {
                    qb.push(if i == 0 { "d.desk_org = " } else { " OR d.desk_org = " });
                    qb.push_bind(org.as_str().to_owned());
                    qb.push(" OR d.processing_org = ").push_bind(org.as_str().to_owned());
                }
                qb.push(")");
            }
        }
        if f.order() == ListOrder::Due {
            // Work waiting is at a step: the partial indexes of such dossiers serve it.
            qb.push(" AND d.step IS NOT NULL");
        }
        if let Some(st) = f.status {
            qb.push(" AND d.status = ").push_bind(i32::from(st.code()));
        }
        if let Some(step) = &f.step {
            qb.push(" AND d.step = ").push_bind(step.clone());
        }
        if let Some(t) = f.open_due_before {
            qb.push(" AND d.finished_at IS NULL AND d.due_at < ").push_bind(micros(t));
        }
        if let Some(p) = &f.procedure {
            qb.push(" AND d.procedure_code = ").push_bind(p.as_str().to_owned());
        }
        if let Some(field) = &f.field {
            qb.push(" AND d.procedure_code IN (SELECT p.code FROM procedures p WHERE p.field_code = ")
                .push_bind(field.as_str().to_owned())
                .push(")");
        }
        if let (Some(q), true) = (&f.search, search_text) {
            // A code (or its end, as read off a paper), else the applicant's name, CCCD or
            // phone; LIKE's own wildcards in the query are matched literally.
            let folded = motcua_domain::text::fold(q.trim());
            let pattern = like_contains(&folded);
            qb.push(" AND (d.code = ").push_bind(q.trim().to_owned());
            qb.push(" OR d.code LIKE ").push_bind(pattern.to_uppercase()).push(" ESCAPE '\\'");
            qb.push(" OR d.search_text LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
        }
    }
}
