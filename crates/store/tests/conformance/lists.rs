//! Dossier lists at volume (issue 28), on both engines: every list pages by cursor in its
//! order with nothing lost or repeated, counts what it shows, finds a unit's dossiers by
//! their words, and each of its queries is served by an index (`EXPLAIN`), so a missing index
//! fails here and not in a province with ten years of dossiers.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::audit::{EventDraft, GENESIS};
use motcua_domain::calendar::WorkCalendar;
use motcua_domain::workflow::{self, Applicant, Channel, Dossier, Status, Workflow};
use motcua_domain::{
    AccountKind, Cccd, DossierCode, FieldCode, Name, NewAccount, OrgCode, ProcedureCode, Role, TimeLimit,
};
use motcua_store::{Backend, DossierCursor, DossierFilter, DossierPage, ImportedDossier, ListOrder, ListTotal, Store};

use super::{dossiers, new_staff};

const DESK: &str = dossiers::DESK;
const OTHER: &str = "000.00.32.H22";
const DEPARTMENT: &str = "000.00.01.H22";

fn org(code: &str) -> OrgCode {
    OrgCode::parse(code).unwrap()
}

/// Dossier `i` of the sample: two desks, some processed by the department, ties in
/// submission time, half with a deadline, some finished, two applicants.
fn sample(wf: &Workflow, i: u32, owner: i64, base: Timestamp) -> ImportedDossier {
    let desk = if i.is_multiple_of(3) { org(OTHER) } else { org(DESK) };
    let processing = if i.is_multiple_of(5) { org(DEPARTMENT) } else { desk.clone() };
    let submitted = base + SignedDuration::from_mins(i64::from(i / 2));
    let name = if i.is_multiple_of(4) { "Nguyễn Văn An" } else { "Trần Thị Bình" };
    let applicant = Applicant {
        full_name: Name::parse("n", name).unwrap(),
        cccd: (i == 4).then(|| Cccd::parse("022301001234").unwrap()),
        phone: None,
        email: None,
        address: None,
    };
    let code = DossierCode::new(&desk, jiff::civil::date(2025, 3, 3), 100 + i).unwrap();
    let mut d = workflow::new_dossier(
        wf,
        &WorkCalendar::default(),
        code,
        ProcedureCode::parse("1.004194").unwrap(),
        TimeLimit::working_days(7).unwrap(),
        applicant,
        (i.is_multiple_of(2)).then_some(owner),
        Channel::Online,
        desk,
        processing,
        false,
        submitted,
    )
    .unwrap();
    if i.is_multiple_of(2) {
        d.due_at = Some(base + SignedDuration::from_hours(30 - i64::from(i)));
    }
    if i.is_multiple_of(7) {
        d.status = Status::Returned;
        d.step = None;
        d.finished_at = Some(submitted + SignedDuration::from_hours(1));
    }
    let placement = d.placement(wf);
    let body = serde_json::to_string(&d).unwrap();
    let draft = EventDraft {
        at_us: submitted.as_microsecond(),
        actor_account: None,
        actor: "applicant".into(),
        action: "submit".into(),
        from_status: None,
        to_status: d.status.code(),
        from_step: None,
        to_step: d.step.clone(),
        details: "{}".into(),
    };
    let event = draft.into_event(d.code.as_str(), 1, &body, GENESIS);
    ImportedDossier { dossier: d, body, placement, events: vec![event], rating: None }
}

/// The citizen who applied online for half of the sample.
async fn citizen(s: &Arc<dyn Store>) -> motcua_domain::Account {
    s.create_account(&NewAccount {
        kind: AccountKind::Citizen,
        cccd: Some(Cccd::parse("022301001234").unwrap()),
        roles: vec![],
        ..new_staff("congdan", &[])
    })
    .await
    .unwrap()
}

/// Which dossiers a search finds.
type Hits = dyn Fn(&Dossier) -> bool;

/// What the filter keeps of the sample, in the list's order (the words of a search as the
/// test gives them).
fn expected(all: &[ImportedDossier], f: &DossierFilter, search_hits: &Hits) -> Vec<DossierCode> {
    let mut kept: Vec<&ImportedDossier> = all
        .iter()
        .filter(|x| {
            let d = &x.dossier;
            let at = |o: &OrgCode| &d.desk_org == o || &d.processing_org == o;
            f.owner.is_none_or(|o| d.owner_account == Some(o))
                && f.waiting_at.as_ref().is_none_or(|pairs| x.placement.as_ref().is_some_and(|p| pairs.contains(p)))
                && f.involving.as_ref().is_none_or(|orgs| orgs.iter().any(at))
                && f.status.is_none_or(|s| d.status == s)
                && f.procedure.as_ref().is_none_or(|p| &d.procedure == p)
                && f.step.as_ref().is_none_or(|s| d.step.as_ref() == Some(s))
                && f.open_due_before.is_none_or(|t| d.finished_at.is_none() && d.due_at.is_some_and(|due| due < t))
                && (f.order() == ListOrder::Recent || d.step.is_some())
                && (f.search.is_none() || search_hits(d))
        })
        .collect();
    match f.order() {
        ListOrder::Recent => kept
            .sort_by(|a, b| (b.dossier.submitted_at, &b.dossier.code).cmp(&(a.dossier.submitted_at, &a.dossier.code))),
        ListOrder::Due => kept.sort_by_key(|x| {
            let d = &x.dossier;
            (d.due_at.map_or(i64::MAX, |t| t.as_microsecond()), std::cmp::Reverse(d.submitted_at), d.code.clone())
        }),
    }
    kept.into_iter().map(|x| x.dossier.code.clone()).collect()
}

/// Every page of the list, `limit` at a time: the codes in order, checking the count and
/// the cursor on each page.
async fn page_through(s: &Arc<dyn Store>, f: &DossierFilter, limit: i64, want: usize) -> Vec<DossierCode> {
    let mut page = DossierPage::first(limit);
    let mut out = Vec::new();
    loop {
        let got = s.list_dossiers(f, &page).await.unwrap();
        assert_eq!(got.total, ListTotal::Exact(want as i64), "{f:?} after {:?}", page.after);
        out.extend(got.items.iter().map(|d| d.code.clone()));
        match got.next {
            Some(next) => {
                assert_eq!(got.items.len() as i64, limit, "a page with a next one is full");
                assert_eq!(next, DossierCursor::after(got.items.last().unwrap(), f.order()));
                assert_eq!(DossierCursor::parse(&next.encode()), Some(next.clone()));
                page.after = Some(next);
            }
            None => return out,
        }
        assert!(out.len() <= want, "{f:?}: more rows than the list has");
    }
}

pub async fn lists_page_by_cursor_in_their_order(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let owner = citizen(&s).await;
    let base = Timestamp::from_second(1_740_000_000).unwrap();
    let all: Vec<ImportedDossier> = (0..23).map(|i| sample(&wf, i, owner.id, base)).collect();
    s.import_dossiers(&all).await.unwrap();
    let first_step = wf.steps[0].key.clone();
    let an = |d: &Dossier| d.applicant.full_name.as_str() == "Nguyễn Văn An";
    let binh = |d: &Dossier| d.applicant.full_name.as_str() == "Trần Thị Bình";
    let cccd = |d: &Dossier| d.applicant.cccd.is_some();
    let none = |_: &Dossier| false;
    let f = DossierFilter::default;
    let own_field = s.procedure(&ProcedureCode::parse("1.004194").unwrap()).await.unwrap().unwrap().field.code;
    let cases: Vec<(DossierFilter, &Hits)> = vec![
        (
            DossierFilter {
                involving: Some(vec![org(DEPARTMENT), org(DESK)]),
                procedure: Some(ProcedureCode::parse("1.004194").unwrap()),
                ..f()
            },
            &none,
        ),
        (DossierFilter { involving: Some(vec![org(DESK), org(OTHER)]), field: Some(own_field.clone()), ..f() }, &none),
        (DossierFilter { involving: Some(vec![org(DEPARTMENT), org(DESK)]), status: Some(Status::New), ..f() }, &none),
        (f(), &none),
        (DossierFilter { owner: Some(owner.id), ..f() }, &none),
        (DossierFilter { waiting_at: Some(vec![(org(DESK), Role::DeskOfficer)]), ..f() }, &none),
        (
            DossierFilter {
                waiting_at: Some(vec![(org(DESK), Role::DeskOfficer), (org(OTHER), Role::DeskOfficer)]),
                ..f()
            },
            &none,
        ),
        (DossierFilter { involving: Some(vec![org(DESK)]), ..f() }, &none),
        (DossierFilter { involving: Some(vec![org(DESK), org(DEPARTMENT)]), ..f() }, &none),
        (DossierFilter { involving: Some(vec![org(DEPARTMENT)]), ..f() }, &none),
        (DossierFilter { involving: Some(vec![org(DESK)]), status: Some(Status::Returned), ..f() }, &none),
        (DossierFilter { involving: Some(vec![org(DESK)]), step: Some(first_step.clone()), ..f() }, &none),
        (
            DossierFilter {
                involving: Some(vec![org(DESK), org(OTHER)]),
                open_due_before: Some(base + SignedDuration::from_hours(20)),
                ..f()
            },
            &none,
        ),
        (DossierFilter { involving: Some(vec![org(DESK)]), search: Some("Nguyễn Văn An".into()), ..f() }, &an),
        (DossierFilter { involving: Some(vec![org(DESK), org(OTHER)]), search: Some("nguyen van".into()), ..f() }, &an),
        (DossierFilter { involving: Some(vec![org(DEPARTMENT)]), search: Some("BINH".into()), ..f() }, &binh),
        (DossierFilter { involving: Some(vec![org(DESK), org(OTHER)]), search: Some("thi binh".into()), ..f() }, &binh),
        (
            DossierFilter { involving: Some(vec![org(DESK), org(OTHER)]), search: Some("022301001234".into()), ..f() },
            &cccd,
        ),
        // A word in the middle of a name is no name's start or end.
        (DossierFilter { involving: Some(vec![org(DESK), org(OTHER)]), search: Some("thi".into()), ..f() }, &none),
        (
            DossierFilter {
                procedure: Some(ProcedureCode::parse("1.004194").unwrap()),
                status: Some(Status::New),
                ..f()
            },
            &none,
        ),
        (DossierFilter { owner: Some(owner.id), search: Some("van an".into()), ..f() }, &an),
    ];
    for (filter, hits) in &cases {
        let want = expected(&all, filter, *hits);
        for limit in [1, 4, 50] {
            let got = page_through(&s, filter, limit, want.len()).await;
            assert_eq!(got, want, "{filter:?}, {limit} a page");
        }
    }
    assert!(!expected(&all, &cases[4].0, &none).is_empty(), "the sample fills the lists");
    // A dossier is found by its code and by its code's end, as read off a paper.
    let code = all[4].dossier.code.clone();
    for q in
        [code.as_str().to_owned(), code.as_str().to_lowercase(), code.as_str()[code.as_str().len() - 11..].to_owned()]
    {
        let found = s
            .list_dossiers(
                &DossierFilter { involving: Some(vec![org(DESK)]), search: Some(q.clone()), ..f() },
                &DossierPage::first(5),
            )
            .await
            .unwrap();
        assert_eq!(found.items.iter().map(|d| &d.code).collect::<Vec<_>>(), vec![&code], "{q}");
    }
    // Transferred to the department, a dossier is found there by its applicant's name too.
    let moved = &all[1].dossier;
    let search_department =
        DossierFilter { involving: Some(vec![org(DEPARTMENT)]), search: Some("tran thi binh".into()), ..f() };
    let before = s.count_dossiers(&search_department).await.unwrap();
    let mut changed = moved.clone();
    changed.processing_org = org(DEPARTMENT);
    let draft = EventDraft {
        at_us: Timestamp::now().as_microsecond(),
        actor_account: None,
        actor: "staff".into(),
        action: "transfer".into(),
        from_status: Some(moved.status.code()),
        to_status: moved.status.code(),
        from_step: moved.step.clone(),
        to_step: changed.step.clone(),
        details: "{}".into(),
    };
    s.record_action(&moved.code, 1, &changed, changed.placement(&wf), draft, &[]).await.unwrap();
    assert_eq!(s.count_dossiers(&search_department).await.unwrap(), ListTotal::Exact(before.value() + 1));
    // A cursor of another list is refused by its order; the field filter keeps the procedure's.
    let field = s.procedure(&ProcedureCode::parse("1.004194").unwrap()).await.unwrap().unwrap().field.code;
    let by_field = DossierFilter { involving: Some(vec![org(DESK)]), field: Some(field), ..f() };
    let everything = DossierFilter { involving: Some(vec![org(DESK)]), ..f() };
    assert_eq!(s.count_dossiers(&by_field).await.unwrap(), s.count_dossiers(&everything).await.unwrap());
    let other_field = DossierFilter { field: Some(FieldCode::parse("khac").unwrap()), ..everything };
    assert_eq!(s.count_dossiers(&other_field).await.unwrap(), ListTotal::Exact(0));
}

/// The filters whose plans are checked, each with the indexes its plan must use (each entry:
/// one of these).
type Indexes = Vec<&'static [&'static str]>;
fn plan_cases(first_step: &str, owner: i64) -> Vec<(&'static str, DossierFilter, Indexes)> {
    let f = DossierFilter::default;
    let unit = || Some(vec![org(DESK)]);
    let units = || Some(vec![org(DESK), org(DEPARTMENT)]);
    let procedure = || Some(ProcedureCode::parse("1.004194").unwrap());
    let recent: Indexes = vec![&["dossiers_desk_recent"], &["dossiers_processing_recent"]];
    let active: Indexes = vec![&["dossiers_active_desk"], &["dossiers_active_processing"]];
    // Overdue work is also in the index of open dossiers by deadline: either serves it.
    let waiting: Indexes = vec![&["dossiers_inbox", "dossiers_open_step_due", "dossiers_open_due"]];
    let now = Some(Timestamp::now());
    // The words' key (PostgreSQL names it; SQLite says "t", the table's alias).
    let words: Indexes = vec![&["dossier_terms_pkey", "SEARCH t USING PRIMARY KEY (org_code=? AND term=?)"]];
    vec![
        ("citizen", DossierFilter { owner: Some(owner), ..f() }, vec![&["dossiers_owner_recent"]]),
        (
            "inbox",
            DossierFilter { waiting_at: Some(vec![(org(DESK), Role::DeskOfficer)]), ..f() },
            vec![&["dossiers_inbox"]],
        ),
        (
            "inbox of two roles, overdue",
            DossierFilter {
                waiting_at: Some(vec![(org(DESK), Role::DeskOfficer), (org(DEPARTMENT), Role::Leader)]),
                open_due_before: now,
                ..f()
            },
            waiting,
        ),
        ("unit", DossierFilter { involving: unit(), ..f() }, recent.clone()),
        ("two units", DossierFilter { involving: units(), ..f() }, recent.clone()),
        ("unit by status", DossierFilter { involving: unit(), status: Some(Status::Returned), ..f() }, recent.clone()),
        ("unit by procedure", DossierFilter { involving: unit(), procedure: procedure(), ..f() }, words.clone()),
        (
            "unit by field",
            DossierFilter { involving: units(), field: Some(FieldCode::parse("cu-tru").unwrap()), ..f() },
            words.clone(),
        ),
        ("unit overdue", DossierFilter { involving: units(), open_due_before: now, ..f() }, active.clone()),
        ("unit by step", DossierFilter { involving: unit(), step: Some(first_step.into()), ..f() }, active),
        ("unit search", DossierFilter { involving: units(), search: Some("nguyen van an".into()), ..f() }, words),
        (
            "linked applications' pass",
            DossierFilter { procedure: procedure(), status: Some(Status::InProcess), ..f() },
            vec![&["dossiers_procedure_status"]],
        ),
    ]
}

pub async fn list_queries_follow_their_indexes(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let sample = sample(&wf, 1, 1, Timestamp::now());
    s.import_dossiers(std::slice::from_ref(&sample)).await.unwrap();
    let cursor = |f: &DossierFilter| DossierCursor::after(&sample.dossier, f.order());
    for (name, filter, indexes) in plan_cases(&wf.steps[0].key, 1) {
        for page in [DossierPage::first(50), DossierPage::after(Some(cursor(&filter)), 50)] {
            let plan = s.explain_dossier_list(&filter, &page).await.unwrap();
            let text = plan.join("\n");
            for one_of in &indexes {
                assert!(one_of.iter().any(|i| text.contains(i)), "{name}: none of {one_of:?} in the plan\n{text}");
            }
            for line in &plan {
                let whole_table = match s.backend() {
                    Backend::Sqlite => ["SCAN d", "SCAN t", "SCAN dossiers", "SCAN dossier_terms"]
                        .iter()
                        .any(|scan| line.trim_start_matches(|c: char| !c.is_ascii_alphabetic()).starts_with(scan)),
                    Backend::Postgres => line.contains("Seq Scan on dossier"),
                };
                assert!(!whole_table, "{name}: reads a whole table: {line}\n{text}");
            }
            if s.backend() == Backend::Sqlite && filter.order() == ListOrder::Recent {
                // Lists newest first read their indexes in order: only the page's rows from
                // each source are sorted together (two sorts: the sources' rows, then the
                // page's), a citizen's not at all. (Work waiting is a small set, sorted.)
                let sorts = plan.iter().filter(|l| l.contains("FOR ORDER BY") || l.contains("RIGHT PART")).count();
                let allowed = match (filter.involving.is_some(), filter.owner.is_some()) {
                    (true, _) => 2,
                    (false, true) => 0,
                    (false, false) => 1,
                };
                assert!(sorts <= allowed, "{name}: sorts {sorts} times\n{text}");
            }
        }
    }
}

pub async fn counts_stop_at_their_bound(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let owner = citizen(&s).await;
    let base = Timestamp::from_second(1_740_000_000).unwrap();
    let n = motcua_store::COUNT_BOUND as u32 + 1;
    let all: Vec<ImportedDossier> = (0..n).map(|i| sample(&wf, i, owner.id, base)).collect();
    for chunk in all.chunks(400) {
        s.import_dossiers(chunk).await.unwrap();
    }
    let unit = DossierFilter { involving: Some(vec![org(DESK), org(OTHER)]), ..DossierFilter::default() };
    let bound = ListTotal::MoreThan(motcua_store::COUNT_BOUND);
    assert_eq!(s.count_dossiers(&unit).await.unwrap(), bound, "every one of them");
    let page = s.list_dossiers(&unit, &DossierPage::first(50)).await.unwrap();
    assert_eq!((page.total, page.items.len()), (bound, 50));
    // Below the bound the count is exact (the citizen has every other one).
    let mine = DossierFilter { owner: Some(owner.id), ..DossierFilter::default() };
    assert_eq!(s.count_dossiers(&mine).await.unwrap(), ListTotal::Exact(i64::from(n.div_ceil(2))));
    let returned = DossierFilter { status: Some(Status::Returned), ..unit };
    let want = all.iter().filter(|x| x.dossier.status == Status::Returned).count() as i64;
    assert_eq!(s.count_dossiers(&returned).await.unwrap(), ListTotal::Exact(want));
}

/// A bulk load (COPY on PostgreSQL, multi-row inserts on SQLite) stores every character as
/// given: backslashes, tabs, newlines and carriage returns in an event's details and in the
/// body, NULLs where nothing is, and the hash chain still verifies.
pub async fn imported_dossiers_keep_every_character(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let owner = citizen(&s).await;
    let mut one = sample(&wf, 1, owner.id, Timestamp::now());
    let odd = "a\\b\tc\nd\\N \t x\ny\rz \\ \\N Đặng {\"k\":\"\\\"\"}";
    let draft = EventDraft {
        at_us: one.events[0].at_us + 1,
        actor_account: None,
        actor: "staff:canbo\tab".into(),
        action: "note".into(),
        from_status: Some(one.dossier.status.code()),
        to_status: one.dossier.status.code(),
        from_step: one.dossier.step.clone(),
        to_step: None,
        details: odd.into(),
    };
    let second = draft.into_event(one.dossier.code.as_str(), 2, &one.body, &one.events[0].hash);
    one.events.push(second);
    let other = sample(&wf, 2, owner.id, Timestamp::now());
    s.import_dossiers(&[one.clone(), other.clone()]).await.unwrap();
    for d in [&one, &other] {
        let stored = s.dossier(&d.dossier.code).await.unwrap().expect("imported");
        assert_eq!(stored.body, d.body);
        assert_eq!(stored.dossier, d.dossier);
        assert_eq!(
            (stored.last_seq, stored.last_hash.as_str()),
            (d.events.len() as i64, d.events.last().unwrap().hash.as_str())
        );
        assert_eq!(s.events(&d.dossier.code).await.unwrap(), d.events, "{}", d.dossier.code);
    }
    assert_eq!(s.events(&one.dossier.code).await.unwrap()[1].details, odd);
}

/// A bulk load on SQLite sets its writing connection for the load (commits that do not wait
/// for the disk, a 256 MB cache, a checkpoint every 1 GB of log, what savepoints change kept
/// in a temporary file) and gives it back as it was: every write after it waits for the disk
/// again, savepoints keep their copies in memory, and the whole log is in the file.
pub async fn sqlite_a_bulk_load_gives_its_writer_back(store: motcua_store::SqliteStore, file: &std::path::Path) {
    const AS_OPENED: [i64; 4] = [2, -2000, 1000, 2];
    assert_eq!(store.writer_settings().await.unwrap(), Some(AS_OPENED.to_vec()));
    let s: Arc<dyn Store> = Arc::new(store.clone());
    let wf = dossiers::seed(&s).await;
    let owner = citizen(&s).await;
    let batch: Vec<_> = (1..=20).map(|i| sample(&wf, i, owner.id, Timestamp::now())).collect();
    s.import_dossiers(&batch[..10]).await.unwrap();
    assert_eq!(store.writer_settings().await.unwrap(), Some(vec![1, -262_144, 262_144, 1]));
    s.import_dossiers(&batch[10..]).await.unwrap();
    let wal = file.with_extension("db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0, "the load's batches wait in the log");
    s.bulk_loaded().await.unwrap();
    assert_eq!(store.writer_settings().await.unwrap(), Some(AS_OPENED.to_vec()));
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0, "the log is copied into the file and emptied");
    // Writes after the load go through the writer as before, and a fresh connection reads all.
    dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 5), None).await;
    let fresh: Arc<dyn Store> = Arc::new(
        motcua_store::SqliteStore::connect(&motcua_store::sqlite_url(file), &Default::default()).await.unwrap(),
    );
    for d in &batch {
        assert!(fresh.dossier(&d.dossier.code).await.unwrap().is_some(), "{}", d.dossier.code);
    }
}

/// Submissions to one desk written as groups are each found by the unit's search (by code and
/// by name) as soon as they are answered, whichever way the engine writes their words
/// (PostgreSQL after the group's commit, out of the desk's chain), and no word is left to
/// write once all are answered.
pub async fn grouped_submissions_are_found_as_soon_as_answered(db: &motcua_store::testing::TestDb) {
    let s = db.store.clone();
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 9);
    let desk = OrgCode::parse(DESK).unwrap();
    let unit = |q: &str| DossierFilter {
        involving: Some(vec![OrgCode::parse(DESK).unwrap()]),
        search: Some(q.into()),
        ..Default::default()
    };
    let (written_before, transactions_before) = s.submission_writes();
    let n = 40;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (s, desk, build) = (s.clone(), desk.clone(), dossiers::builder(&wf, None, Timestamp::now()));
        tasks.spawn(async move {
            let made = s.create_dossier(&desk, day, None, &[], &[], build).await.unwrap();
            let motcua_store::CreateOutcome::Created(c) = made else { panic!("a new dossier") };
            let code = c.0.dossier.code.clone();
            // Asked by the submitter straight after the answer, while others are written.
            let found = s.count_dossiers(&unit(&code.as_str().to_lowercase())).await.unwrap();
            assert_eq!(found, ListTotal::Exact(1), "{code} found as soon as it was answered");
            code
        });
    }
    let codes = tasks.join_all().await;
    assert_eq!(codes.len(), n);
    let (written, transactions) = s.submission_writes();
    assert!(
        transactions - transactions_before < written - written_before,
        "{} transactions for {} dossiers: nothing was grouped",
        transactions - transactions_before,
        written - written_before
    );
    assert_eq!(s.count_dossiers(&unit("van an")).await.unwrap(), ListTotal::Exact(n as i64));
    assert_eq!(db.execute_raw("DELETE FROM dossier_terms_pending").await, 0, "no word left to write");
}
