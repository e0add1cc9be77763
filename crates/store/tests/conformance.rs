//! One conformance suite for every `Store` implementation: each test below runs on a
//! temporary SQLite file and on a fresh PostgreSQL schema.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use motcua_domain::attachment::{Attachment, AttachmentKind};
use motcua_domain::{
    AccountKind, AdminUnit, BoundedText, Cccd, Email, FieldCode, Name, NewAccount, OnlineLevel, OrgCode, OrgKind,
    Organisation, Procedure, ProcedureCode, ProcedureLevel, Role, RoleAssignment, UnitCode, Username,
};
use motcua_store::testing::{Engine, TestDb};
use motcua_store::{OrgFilter, Page, ProcedureFilter, Store, StoreError, UnitFilter};

#[path = "conformance/limits.rs"]
mod limits;
use limits::{failures_lock_at_their_maximum_and_start_afresh, quotas_pass_a_burst_then_refill};
#[path = "conformance/documents_once.rs"]
mod documents_once;
use documents_once::a_key_numbers_its_document_once;
#[path = "conformance/second_factor.rs"]
mod second_factor;
use second_factor::second_factors_are_used_once;
#[path = "conformance/identity.rs"]
mod identity;
use identity::identity_requests_and_links_hold_across_servers;
#[path = "conformance/feedback.rs"]
mod feedback;
use feedback::feedback_is_kept_changed_once_and_listed;
#[path = "conformance/meetings.rs"]
mod meetings;
use meetings::meetings_are_kept_changed_once_and_final_when_signed;
#[path = "conformance/work.rs"]
mod work;
use work::work_is_kept_changed_once_and_listed_by_whoever_works_on_it;
#[path = "conformance/lists.rs"]
mod lists;
use lists::{
    counts_stop_at_their_bound, grouped_submissions_are_found_as_soon_as_answered,
    imported_dossiers_keep_every_character, list_queries_follow_their_indexes, lists_page_by_cursor_in_their_order,
};
#[path = "conformance/notifier.rs"]
mod notifier;
#[path = "conformance/recent_words.rs"]
mod recent_words;
use notifier::a_pass_reads_its_dossiers_at_once_and_marks_events_by_key;
#[path = "conformance/workflows.rs"]
mod workflows;
use workflows::{escalations_fire_once, only_active_staff_receive, workflows_keep_every_version};

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() {
                let db = super::TestDb::new(super::Engine::Sqlite).await.expect("sqlite");
                super::$name(db.store.clone()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() {
                let Some(db) = super::TestDb::new(super::Engine::Postgres).await else { return };
                super::$name(db.store.clone()).await;
            })*
        }
    };
}

conformance!(
    lists_page_by_cursor_in_their_order,
    counts_stop_at_their_bound,
    imported_dossiers_keep_every_character,
    list_queries_follow_their_indexes,
    feedback_is_kept_changed_once_and_listed,
    meetings_are_kept_changed_once_and_final_when_signed,
    work_is_kept_changed_once_and_listed_by_whoever_works_on_it,
    units_form_a_tree,
    unit_with_unknown_parent_is_refused,
    organisations_filter_and_exist,
    procedures_round_trip_and_filter,
    procedure_batch_is_all_or_none,
    accounts_are_unique_and_scoped,
    account_with_unknown_org_leaves_nothing,
    sessions_expire_and_end,
    disabling_ends_sessions,
    calendar_adjustments_replace_by_date,
    dossier_codes_are_sequential_per_unit_and_day,
    idempotency_keys_return_the_first_dossier,
    a_key_numbers_its_document_once,
    actions_chain_events_and_refuse_stale_writes,
    actions_append_numbered_files,
    dossier_lists_filter_inboxes,
    ratings_are_once_per_dossier,
    notifications_mark_their_events_in_chunks,
    a_pass_reads_its_dossiers_at_once_and_marks_events_by_key,
    statistics_follow_every_change,
    drafts_belong_to_their_account,
    staff_roles_are_replaced_whole,
    concurrent_submissions_get_distinct_gap_free_codes,
    submissions_to_one_desk_share_a_transaction_and_fail_alone,
    a_desk_whose_writer_panics_lets_the_next_submissions_through,
    meta_overwrites,
    reference_version_counts_every_catalog_change,
    certificates_replace_the_active_identity,
    peers_round_trip,
    registers_number_gap_free_and_dedupe_incoming,
    document_changes_refuse_stale_writes,
    statuses_are_recorded_once,
    outbox_delivers_and_retries,
    outbox_delivers_the_package_stored_once,
    quarantine_keeps_the_package,
    concurrent_documents_get_distinct_numbers,
    bank_accounts_and_gateways_round_trip,
    callbacks_are_recorded_once_per_transaction,
    receipts_number_gap_free_and_link_their_callback,
    results_are_numbered_once_per_file,
    queue_tickets_number_per_service_and_day,
    counters_never_call_the_same_ticket,
    queue_stats_count_and_time_the_wait,
    slots_never_overbook_under_concurrency,
    appointments_move_cancel_and_remind,
    otps_work_once_and_run_out,
    quotas_pass_a_burst_then_refill,
    failures_lock_at_their_maximum_and_start_afresh,
    second_factors_are_used_once,
    identity_requests_and_links_hold_across_servers,
    workflows_keep_every_version,
    only_active_staff_receive,
    escalations_fire_once,
);

fn unit(code: &str, name: &str, parent: Option<&str>, level: u8) -> AdminUnit {
    AdminUnit {
        code: UnitCode::parse(code).unwrap(),
        name: Name::parse("n", name).unwrap(),
        kind: BoundedText::parse("k", if level == 1 { "tỉnh" } else { "phường" }).unwrap(),
        parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        level,
    }
}

fn org(code: &str, unit: &str, kind: OrgKind) -> Organisation {
    Organisation {
        code: OrgCode::parse(code).unwrap(),
        name: Name::parse("n", &format!("Cơ quan {code}")).unwrap(),
        kind,
        unit: UnitCode::parse(unit).unwrap(),
        parent: None,
    }
}

async fn seed_units_and_orgs(s: &Arc<dyn Store>) {
    s.upsert_units(&[
        unit("22", "Tỉnh Quảng Ninh", None, 1),
        unit("06850", "Phường Hạ Long", Some("22"), 2),
        unit("07030", "Phường Bãi Cháy", Some("22"), 2),
        unit("01", "Thành phố Hà Nội", None, 1),
    ])
    .await
    .unwrap();
    s.upsert_organisations(&[
        org("000.00.01.H22", "22", OrgKind::Department),
        org("000.00.31.H22", "06850", OrgKind::PeoplesCommittee),
        org("000.00.32.H22", "07030", OrgKind::PeoplesCommittee),
    ])
    .await
    .unwrap();
}

fn procedure(code: &str, name: &str, field: &str, online: &str, orgs: &[&str]) -> Procedure {
    serde_json::from_value::<Procedure>(serde_json::json!({
        "code": code, "name": name, "field": field, "level": "commune",
        "agency": "Ủy ban nhân dân cấp xã", "organisations": orgs, "online": online,
        "time_limit": {"kind": "working_days", "value": 3},
        "fees": [{"kind": "charge", "description": "Lệ phí", "amount": 15000}],
        "components": [{"name": "Tờ khai", "required": true, "form": "original"}],
        "applicants": ["Công dân Việt Nam"], "legal_basis": ["Luật Cư trú 2020"],
        "result": "Kết quả", "description": "Mô tả"
    }))
    .unwrap()
    .check()
    .unwrap()
}

async fn units_form_a_tree(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let children = s
        .list_units(&UnitFilter { parent: Some(UnitCode::parse("22").unwrap()), level: None }, Page::default())
        .await
        .unwrap();
    assert_eq!(children.total, 2);
    assert_eq!(children.items.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), vec!["06850", "07030"]);
    let roots = s.list_units(&UnitFilter { parent: None, level: Some(1) }, Page::default()).await.unwrap();
    assert_eq!(roots.total, 2);
    // Upserting again renames without duplicating; a third level attaches below.
    s.upsert_units(&[unit("06850", "Phường Hạ Long (mới)", Some("22"), 2), unit("0685001", "Khu 1", Some("06850"), 3)])
        .await
        .unwrap();
    let all = s.list_units(&UnitFilter::default(), Page::new(Some(0), Some(2))).await.unwrap();
    assert_eq!((all.total, all.items.len()), (5, 2));
    // The total is right whether the page is short (then it is the whole list, counted
    // without a second query), exactly full, further on, or past the end.
    for (offset, limit, items) in [(0, 5, 5), (0, 6, 5), (3, 10, 2), (4, 1, 1), (7, 10, 0)] {
        let page = s.list_units(&UnitFilter::default(), Page::new(Some(offset), Some(limit))).await.unwrap();
        assert_eq!((page.total, page.items.len()), (5, items), "offset {offset}, limit {limit}");
    }
    let got = s.unit(&UnitCode::parse("06850").unwrap()).await.unwrap().unwrap();
    assert_eq!(got.name.as_str(), "Phường Hạ Long (mới)");
    assert_eq!(s.unit(&UnitCode::parse("0685001").unwrap()).await.unwrap().unwrap().level, 3);
    assert!(s.unit(&UnitCode::parse("99").unwrap()).await.unwrap().is_none());
    assert_eq!(s.unit_levels().await.unwrap().len(), 5);
    // Unpaged listing (exports) returns everything on both engines.
    let everything = s.list_units(&UnitFilter::default(), Page::all()).await.unwrap();
    assert_eq!((everything.total, everything.items.len()), (5, 5));
}

async fn unit_with_unknown_parent_is_refused(s: Arc<dyn Store>) {
    let err = s
        .upsert_units(&[unit("22", "Tỉnh Quảng Ninh", None, 1), unit("06850", "Phường Hạ Long", Some("99"), 2)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    // All or none: the good first row was rolled back too.
    assert_eq!(s.list_units(&UnitFilter::default(), Page::default()).await.unwrap().total, 0);
}

async fn organisations_filter_and_exist(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let depts = s
        .list_organisations(&OrgFilter { kind: Some(OrgKind::Department), ..Default::default() }, Page::default())
        .await
        .unwrap();
    assert_eq!(depts.total, 1);
    let in_halong = s
        .list_organisations(
            &OrgFilter { unit: Some(UnitCode::parse("06850").unwrap()), ..Default::default() },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(in_halong.items[0].code.as_str(), "000.00.31.H22");
    let found = s
        .existing_organisations(&[OrgCode::parse("000.00.01.H22").unwrap(), OrgCode::parse("000.00.99.H22").unwrap()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(found.contains(&OrgCode::parse("000.00.01.H22").unwrap()));
    let o = s.organisation(&OrgCode::parse("000.00.32.H22").unwrap()).await.unwrap().unwrap();
    assert_eq!(o.unit.as_str(), "07030");
}

async fn procedures_round_trip_and_filter(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let a = procedure("1.004194", "Đăng ký thường trú", "Đăng ký, quản lý cư trú", "full", &["000.00.31.H22"]);
    let b = procedure(
        "1.004222",
        "Đăng ký tạm trú",
        "Đăng ký, quản lý cư trú",
        "partial",
        &["000.00.31.H22", "000.00.32.H22"],
    );
    let c = procedure("1.001193", "Đăng ký khai sinh", "Hộ tịch", "full", &["000.00.32.H22"]);
    assert_eq!(s.meta(motcua_store::CATALOG_VERSION_KEY).await.unwrap(), None);
    s.upsert_procedures(&[a.clone(), b.clone(), c.clone()]).await.unwrap();
    let v1 = s.meta(motcua_store::CATALOG_VERSION_KEY).await.unwrap();
    assert!(v1.is_some(), "a catalog change is announced");
    s.upsert_procedures(std::slice::from_ref(&a)).await.unwrap();
    assert_ne!(s.meta(motcua_store::CATALOG_VERSION_KEY).await.unwrap(), v1, "every change");
    assert_eq!(s.procedure(&a.code).await.unwrap().unwrap(), a);
    assert!(s.procedure(&ProcedureCode::parse("9.999999").unwrap()).await.unwrap().is_none());

    let list = |f: ProcedureFilter| {
        let s = s.clone();
        async move {
            s.list_procedures(&f, Page::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|p| p.code.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(ProcedureFilter { org: Some(OrgCode::parse("000.00.31.H22").unwrap()), ..Default::default() }).await,
        vec!["1.004194", "1.004222"]
    );
    // By administrative unit: whatever organisations serve Phường Bãi Cháy process.
    assert_eq!(
        list(ProcedureFilter { unit: Some(UnitCode::parse("07030").unwrap()), ..Default::default() }).await,
        vec!["1.001193", "1.004222"]
    );
    assert_eq!(
        list(ProcedureFilter { field: Some(FieldCode::parse("Hộ tịch").unwrap()), ..Default::default() }).await,
        vec!["1.001193"]
    );
    assert_eq!(
        list(ProcedureFilter { online: Some(OnlineLevel::Full), ..Default::default() }).await,
        vec!["1.001193", "1.004194"]
    );
    assert_eq!(
        list(ProcedureFilter { level: Some(ProcedureLevel::Province), ..Default::default() }).await,
        Vec::<String>::new()
    );
    // Text matches with or without diacritics, and LIKE wildcards are literal.
    assert_eq!(
        list(ProcedureFilter { text: Some("dang ky khai sinh".into()), ..Default::default() }).await,
        vec!["1.001193"]
    );
    assert_eq!(list(ProcedureFilter { text: Some("TẠM TRÚ".into()), ..Default::default() }).await, vec!["1.004222"]);
    assert_eq!(list(ProcedureFilter { text: Some("%".into()), ..Default::default() }).await, Vec::<String>::new());

    let page = s.list_procedures(&ProcedureFilter::default(), Page::new(Some(1), Some(1))).await.unwrap();
    assert_eq!((page.total, page.items[0].code.as_str()), (3, "1.004194"));

    // Re-upserting replaces the organisation links.
    let mut b2 = b.clone();
    b2.organisations = vec![OrgCode::parse("000.00.32.H22").unwrap()];
    s.upsert_procedures(&[b2]).await.unwrap();
    assert_eq!(
        list(ProcedureFilter { org: Some(OrgCode::parse("000.00.31.H22").unwrap()), ..Default::default() }).await,
        vec!["1.004194"]
    );
}

async fn procedure_batch_is_all_or_none(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let good = procedure("1.004194", "Đăng ký thường trú", "Cư trú", "full", &["000.00.31.H22"]);
    let bad = procedure("1.004222", "Đăng ký tạm trú", "Cư trú", "full", &["000.00.77.H22"]);
    let err = s.upsert_procedures(&[good, bad]).await.unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    assert_eq!(s.list_procedures(&ProcedureFilter::default(), Page::default()).await.unwrap().total, 0);
}

fn new_staff(username: &str, roles: &[(&str, Role)]) -> NewAccount {
    NewAccount {
        username: Username::parse(username).unwrap(),
        full_name: Name::parse("n", "Nguyễn Thị Hoa").unwrap(),
        kind: AccountKind::Staff,
        cccd: None,
        email: Some(Email::parse("hoa@example.vn").unwrap()),
        phone: None,
        roles: roles.iter().map(|(o, r)| RoleAssignment { org: OrgCode::parse(o).unwrap(), role: *r }).collect(),
        password_hash: "$argon2id$fake".into(),
    }
}

/// A citizen, `congdan`, with a CCCD and no roles.
fn new_citizen() -> NewAccount {
    NewAccount {
        kind: AccountKind::Citizen,
        cccd: Some(Cccd::parse("022301001234").unwrap()),
        roles: vec![],
        ..new_staff("congdan", &[])
    }
}

async fn accounts_are_unique_and_scoped(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let a = s.create_account(&new_staff("halong.motcua", &[("000.00.31.H22", Role::DeskOfficer)])).await.unwrap();
    assert_eq!(a.roles.len(), 1);
    assert!(a.can_act(&OrgCode::parse("000.00.31.H22").unwrap(), Role::DeskOfficer));
    let dup = s.create_account(&new_staff("halong.motcua", &[("000.00.31.H22", Role::Leader)])).await.unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");

    let citizen = new_citizen();
    let c = s.create_account(&citizen).await.unwrap();
    assert_eq!(c.cccd.as_ref().unwrap().as_str(), "022301001234");
    let same_cccd = NewAccount { username: Username::parse("congdan2").unwrap(), ..citizen };
    assert!(matches!(s.create_account(&same_cccd).await.unwrap_err(), StoreError::Conflict(_)));

    s.create_account(&new_staff(
        "baichay.lanhdao",
        &[("000.00.32.H22", Role::Leader), ("000.00.32.H22", Role::Administrator)],
    ))
    .await
    .unwrap();
    let staff = s.list_staff(&OrgCode::parse("000.00.32.H22").unwrap()).await.unwrap();
    assert_eq!(staff.iter().map(|a| a.username.as_str()).collect::<Vec<_>>(), vec!["baichay.lanhdao"]);
    assert_eq!(staff[0].roles.len(), 2);

    let (acc, hash) = s.account_credentials(&Username::parse("halong.motcua").unwrap()).await.unwrap().unwrap();
    assert_eq!((acc.id, hash.as_str()), (a.id, "$argon2id$fake"));
    assert!(s.account_credentials(&Username::parse("nobody").unwrap()).await.unwrap().is_none());
    assert_eq!(s.account(c.id).await.unwrap().unwrap().kind, AccountKind::Citizen);
}

async fn account_with_unknown_org_leaves_nothing(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let err = s
        .create_account(&new_staff("x.motcua", &[("000.00.31.H22", Role::Clerk), ("000.99.99.H22", Role::Clerk)]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    assert!(s.account_credentials(&Username::parse("x.motcua").unwrap()).await.unwrap().is_none());
}

async fn sessions_expire_and_end(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let a = s.create_account(&new_staff("stp.motcua", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap();
    let now = Timestamp::now();
    s.create_session("live", a.id, now + SignedDuration::from_hours(1)).await.unwrap();
    s.create_session("old", a.id, now - SignedDuration::from_secs(1)).await.unwrap();
    assert_eq!(s.session_account("live", now).await.unwrap().unwrap().id, a.id);
    // The session's account comes with all its roles, in order, and one without roles too.
    let two = s
        .create_account(&new_staff(
            "stp.hai",
            &[("000.00.31.H22", Role::Specialist), ("000.00.01.H22", Role::Leader), ("000.00.01.H22", Role::Clerk)],
        ))
        .await
        .unwrap();
    let citizen = NewAccount {
        kind: AccountKind::Citizen,
        cccd: Some(Cccd::parse("022301009876").unwrap()),
        ..new_staff("congdan.khong", &[])
    };
    let none = s.create_account(&citizen).await.unwrap();
    s.create_session("two", two.id, now + SignedDuration::from_hours(1)).await.unwrap();
    s.create_session("none", none.id, now + SignedDuration::from_hours(1)).await.unwrap();
    let got = s.session_account("two", now).await.unwrap().unwrap();
    assert_eq!((got.username.as_str(), got.roles.len()), ("stp.hai", 3));
    assert_eq!(got.roles, s.account(two.id).await.unwrap().unwrap().roles);
    assert!(s.session_account("none", now).await.unwrap().unwrap().roles.is_empty());
    assert!(s.session_account("old", now).await.unwrap().is_none());
    assert!(s.session_account("nope", now).await.unwrap().is_none());
    // With meta values read in the same statement: the same account and roles, the values as
    // `metas` gives them, in the order asked (a missing one is None), whatever the roles.
    s.set_meta("conformance.a", "một").await.unwrap();
    s.set_meta("conformance.b", "2").await.unwrap();
    let keys = ["conformance.b", "conformance.missing", "conformance.a"];
    let expected = s.metas(&keys).await.unwrap();
    assert_eq!(expected, [Some("2".to_owned()), None, Some("một".to_owned())]);
    for token in ["two", "none", "live"] {
        let (account, metas) = s.session_account_and_metas(token, now, &keys).await.unwrap().unwrap();
        assert_eq!(Some(account), s.session_account(token, now).await.unwrap(), "{token}");
        assert_eq!(metas, expected, "{token}");
    }
    assert!(s.session_account_and_metas("old", now, &keys).await.unwrap().is_none());
    assert!(s.session_account_and_metas("nope", now, &keys).await.unwrap().is_none());
    assert_eq!(s.purge_expired_sessions(now).await.unwrap(), 1);
    assert!(s.delete_session("live").await.unwrap());
    assert!(!s.delete_session("live").await.unwrap());
    assert!(s.session_account("live", now).await.unwrap().is_none());
}

async fn disabling_ends_sessions(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let a = s.create_account(&new_staff("stp.motcua", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap();
    let now = Timestamp::now();
    s.create_session("tok", a.id, now + SignedDuration::from_hours(1)).await.unwrap();
    let name = Username::parse("stp.motcua").unwrap();
    assert!(s.set_account_disabled(&name, true).await.unwrap());
    assert!(s.session_account("tok", now).await.unwrap().is_none());
    let (acc, _) = s.account_credentials(&name).await.unwrap().unwrap();
    assert!(acc.disabled);
    assert!(!acc.can_act(&OrgCode::parse("000.00.01.H22").unwrap(), Role::DeskOfficer));
    // Unlocking does not bring old sessions back; a new one works.
    assert!(s.set_account_disabled(&name, false).await.unwrap());
    assert!(s.session_account("tok", now).await.unwrap().is_none());
    s.create_session("tok2", a.id, now + SignedDuration::from_hours(1)).await.unwrap();
    assert_eq!(s.session_account("tok2", now).await.unwrap().unwrap().id, a.id);
    assert!(!s.set_account_disabled(&Username::parse("nobody").unwrap(), true).await.unwrap());
}

async fn calendar_adjustments_replace_by_date(s: Arc<dyn Store>) {
    use motcua_domain::calendar::{Adjustment, AdjustmentKind};
    let d = |m, day| jiff::civil::date(2025, m, day);
    assert!(s.calendar_adjustments().await.unwrap().is_empty());
    s.upsert_calendar_adjustments(&[
        Adjustment { date: d(5, 2), kind: AdjustmentKind::Off, name: "Nghỉ hoán đổi".into() },
        Adjustment { date: d(4, 26), kind: AdjustmentKind::Work, name: "Làm bù".into() },
    ])
    .await
    .unwrap();
    let v1 = s.meta(motcua_store::CALENDAR_VERSION_KEY).await.unwrap().expect("version set");
    s.upsert_calendar_adjustments(&[Adjustment {
        date: d(5, 2), kind: AdjustmentKind::Work, name: "Đổi ý".into()
    }])
    .await
    .unwrap();
    let v2 = s.meta(motcua_store::CALENDAR_VERSION_KEY).await.unwrap().unwrap();
    assert_ne!(v1, v2, "running servers see the change");
    let all = s.calendar_adjustments().await.unwrap();
    assert_eq!(
        all.iter().map(|a| (a.date, a.kind, a.name.as_str())).collect::<Vec<_>>(),
        vec![(d(4, 26), AdjustmentKind::Work, "Làm bù"), (d(5, 2), AdjustmentKind::Work, "Đổi ý")]
    );
}

async fn meta_overwrites(s: Arc<dyn Store>) {
    assert_eq!(s.meta("demo").await.unwrap(), None);
    s.set_meta("demo", "1").await.unwrap();
    s.set_meta("demo", "2").await.unwrap();
    assert_eq!(s.meta("demo").await.unwrap().as_deref(), Some("2"));
    s.set_meta("other", "x").await.unwrap();
    let asked = s.metas(&["other", "missing", "demo"]).await.unwrap();
    assert_eq!(asked, vec![Some("x".to_owned()), None, Some("2".to_owned())], "in the order asked");
}

/// Servers keep procedures, workflows, organisations, who is staffed where and bank accounts in
/// memory while this number stands: every change to them, whichever way it comes, must count it up.
async fn reference_version_counts_every_catalog_change(s: Arc<dyn Store>) {
    let version = || {
        let s = s.clone();
        async move { s.meta(motcua_store::REFERENCE_VERSION_KEY).await.unwrap().unwrap().parse::<i64>().unwrap() }
    };
    let mut last = version().await;
    let mut changed = |now: i64, what: &str| {
        assert!(now > last, "{what}: {last} → {now}");
        last = now;
    };
    seed_units_and_orgs(&s).await;
    changed(version().await, "organisations");
    s.upsert_procedures(&[procedure("1.004194", "Đăng ký thường trú", "Cư trú", "full", &["000.00.31.H22"])])
        .await
        .unwrap();
    changed(version().await, "a procedure");
    s.upsert_procedures(&[procedure("1.004194", "Đăng ký thường trú", "Cư trú", "full", &["000.00.32.H22"])])
        .await
        .unwrap();
    changed(version().await, "the procedure's organisations");
    s.upsert_workflows(&motcua_domain::workflow::default_workflows().unwrap()).await.unwrap();
    changed(version().await, "workflows");
    // Who is staffed where: an account with roles, its roles changed, it disabled and back.
    let officer = s.create_account(&new_staff("halong.motcua", &[("000.00.31.H22", Role::DeskOfficer)])).await.unwrap();
    changed(version().await, "a staff account with a role");
    let user = officer.username.clone();
    s.set_roles(&user, &[RoleAssignment { org: OrgCode::parse("000.00.32.H22").unwrap(), role: Role::Leader }])
        .await
        .unwrap();
    changed(version().await, "its roles");
    s.set_account_disabled(&user, true).await.unwrap();
    changed(version().await, "disabled");
    s.set_account_disabled(&user, false).await.unwrap();
    changed(version().await, "enabled again");
    // Where fees are paid: a bank account set, then replaced.
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    let bank = motcua_domain::payment::BankAccount::parse("970415", "113000123456", "UBND PHUONG HA LONG").unwrap();
    s.set_bank_account(&org, &bank).await.unwrap();
    changed(version().await, "a bank account");
    let bank = motcua_domain::payment::BankAccount::parse("970436", "0011001932418", "UBND PHUONG HA LONG").unwrap();
    s.set_bank_account(&org, &bank).await.unwrap();
    changed(version().await, "a bank account replaced");
    // What does not touch those tables, or not who is staffed, leaves it.
    s.set_meta("demo", "1").await.unwrap();
    s.upsert_units(&[unit("01", "Thành phố Hà Nội", None, 1)]).await.unwrap();
    s.set_account_disabled(&user, false).await.unwrap();
    s.set_password(officer.id, "$argon2id$other", None).await.unwrap();
    let citizen = new_citizen();
    let c = s.create_account(&citizen).await.unwrap();
    s.create_session("phien", c.id, Timestamp::now() + jiff::SignedDuration::from_hours(1)).await.unwrap();
    assert_eq!(version().await, last, "units, other values, passwords, citizens and sessions are not reference data");
}

mod dossiers {
    use super::*;
    use motcua_domain::audit::EventDraft;
    use motcua_domain::calendar::WorkCalendar;
    use motcua_domain::workflow::{self, Applicant, Channel, Workflow};
    use motcua_domain::{DossierCode, TimeLimit};
    use motcua_store::{CreateOutcome, IdempotencyKey};

    pub const DESK: &str = "000.00.31.H22";

    pub async fn seed(s: &Arc<dyn Store>) -> Workflow {
        seed_units_and_orgs(s).await;
        s.upsert_procedures(&[procedure("1.004194", "Đăng ký thường trú", "Cư trú", "full", &[DESK])]).await.unwrap();
        let wfs = workflow::default_workflows().unwrap();
        s.upsert_workflows(&wfs).await.unwrap();
        assert_eq!(s.workflows().await.unwrap(), wfs);
        wfs.into_iter().next().unwrap()
    }

    pub fn builder(wf: &Workflow, owner: Option<i64>, now: Timestamp) -> motcua_store::BuildDossier {
        let wf = wf.clone();
        Arc::new(move |code: DossierCode| {
            let d = workflow::new_dossier(
                &wf,
                &WorkCalendar::default(),
                code,
                ProcedureCode::parse("1.004194").unwrap(),
                TimeLimit::working_days(7).unwrap(),
                Applicant {
                    full_name: Name::parse("n", "Nguyễn Văn An").unwrap(),
                    cccd: None,
                    phone: None,
                    email: None,
                    address: None,
                },
                owner,
                Channel::Online,
                OrgCode::parse(DESK).unwrap(),
                OrgCode::parse(DESK).unwrap(),
                false,
                now,
            )
            .map_err(|e| e.to_string())?;
            let placement = d.placement(&wf);
            let draft = EventDraft {
                at_us: now.as_microsecond(),
                actor_account: owner,
                actor: "applicant".into(),
                action: "submit".into(),
                from_status: None,
                to_status: d.status.code(),
                from_step: None,
                to_step: d.step.clone(),
                details: "{}".into(),
            };
            Ok((d, placement, draft))
        })
    }

    pub async fn create(
        s: &Arc<dyn Store>,
        wf: &Workflow,
        day: jiff::civil::Date,
        key: Option<&IdempotencyKey>,
    ) -> CreateOutcome {
        let b = builder(wf, None, Timestamp::now());
        s.create_dossier(&OrgCode::parse(DESK).unwrap(), day, key, &[], &[], b).await.unwrap()
    }

    pub fn created(o: CreateOutcome) -> motcua_store::StoredDossier {
        match o {
            CreateOutcome::Created(c) => c.0,
            CreateOutcome::Existing { code, .. } => panic!("expected a new dossier, got existing {code}"),
        }
    }
}

async fn dossier_codes_are_sequential_per_unit_and_day(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 3);
    let a = dossiers::created(dossiers::create(&s, &wf, day, None).await);
    let b = dossiers::created(dossiers::create(&s, &wf, day, None).await);
    let c = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 4), None).await);
    assert_eq!(a.dossier.code.as_str(), "000.00.31.H22-250303-0001");
    assert_eq!(b.dossier.code.as_str(), "000.00.31.H22-250303-0002");
    assert_eq!(c.dossier.code.as_str(), "000.00.31.H22-250304-0001");
    let got = s.dossier(&a.dossier.code).await.unwrap().unwrap();
    assert_eq!(got.dossier, a.dossier);
    assert_eq!((got.last_seq, got.last_hash.as_str()), (1, a.last_hash.as_str()));
    assert_eq!(s.dossier_sequences().await.unwrap().len(), 2);
}

async fn idempotency_keys_return_the_first_dossier(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 3);
    let key = motcua_store::IdempotencyKey { account_id: 1, key: "k-1".into(), request_hash: "h1".into() };
    // The key must belong to an account: create one.
    s.create_account(&new_staff("stp.motcua", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap();
    let first = dossiers::created(dossiers::create(&s, &wf, day, Some(&key)).await);
    match dossiers::create(&s, &wf, day, Some(&key)).await {
        motcua_store::CreateOutcome::Existing { code, request_hash } => {
            assert_eq!((code, request_hash.as_str()), (first.dossier.code.clone(), "h1"));
        }
        other => panic!("{other:?}"),
    }
    // No code was used up by the retry.
    let next = dossiers::created(dossiers::create(&s, &wf, day, None).await);
    assert_eq!(next.dossier.code.sequence(), 2);
}

async fn actions_chain_events_and_refuse_stale_writes(s: Arc<dyn Store>) {
    use motcua_domain::audit::{EventDraft, verify_chain};
    let wf = dossiers::seed(&s).await;
    let d = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 3), None).await);
    let mut next = d.dossier.clone();
    next.status = motcua_domain::workflow::Status::Accepted;
    next.step = Some("appraise".into());
    let draft = |action: &str| EventDraft {
        at_us: 1,
        actor_account: None,
        actor: "staff:test".into(),
        action: action.into(),
        from_status: Some(1),
        to_status: 2,
        from_step: Some("receive".into()),
        to_step: Some("appraise".into()),
        details: "{}".into(),
    };
    let placement = next.placement(&wf);
    let (stored, e2) =
        s.record_action(&d.dossier.code, 1, &next, placement.clone(), draft("receive"), &[]).await.unwrap();
    assert_eq!((e2.seq, e2.prev_hash.as_str()), (2, d.last_hash.as_str()));
    // Someone acting on the old version is refused and changes nothing, files included.
    let stale = s
        .record_action(&d.dossier.code, 1, &next, placement, draft("refuse"), &[file(9, AttachmentKind::Result)])
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
    assert!(s.attachments(&d.dossier.code).await.unwrap().is_empty());
    let events = s.events(&d.dossier.code).await.unwrap();
    assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["submit", "receive"]);
    assert_eq!(verify_chain(d.dossier.code.as_str(), &events, &stored.body, &stored.last_hash), Ok(()));
    let batch = s.audit_batch(None, 10).await.unwrap();
    assert_eq!((batch.len(), batch[0].events.len(), batch[0].columns.status), (1, 2, 2));
    assert_eq!(batch[0].columns.waiting_org.as_deref(), Some(dossiers::DESK));
}

fn file(index: i32, kind: AttachmentKind) -> Attachment {
    Attachment {
        index,
        component: Some(0),
        filename: format!("tep-{index}.pdf"),
        content_type: "application/pdf".into(),
        size: 1234,
        sha256: format!("{index:02}").repeat(32),
        kind,
    }
}

async fn actions_append_numbered_files(s: Arc<dyn Store>) {
    use motcua_domain::audit::EventDraft;
    let wf = dossiers::seed(&s).await;
    let now = Timestamp::now();
    let b = dossiers::builder(&wf, None, now);
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let first = [file(1, AttachmentKind::Applicant), file(2, AttachmentKind::Applicant)];
    let d = dossiers::created(
        s.create_dossier(&desk, jiff::civil::date(2025, 3, 3), None, &first, &[], b.clone()).await.unwrap(),
    );
    let draft = |action: &str| EventDraft {
        at_us: 1,
        actor_account: None,
        actor: "applicant".into(),
        action: action.into(),
        from_status: Some(1),
        to_status: 1,
        from_step: None,
        to_step: None,
        details: "{}".into(),
    };
    // The index given by the caller is ignored: the store numbers after what is there (from 1
    // on a dossier without files).
    let bare = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 3), None).await);
    s.record_action(&bare.dossier.code, 1, &bare.dossier, None, draft("sign"), &[file(5, AttachmentKind::Result)])
        .await
        .unwrap();
    assert_eq!(s.attachments(&bare.dossier.code).await.unwrap().iter().map(|a| a.index).collect::<Vec<_>>(), vec![1]);
    let supplement = [file(1, AttachmentKind::Supplement)];
    let (after, _) = s
        .record_action(&d.dossier.code, 1, &d.dossier, d.dossier.placement(&wf), draft("supplement"), &supplement)
        .await
        .unwrap();
    let result = [file(7, AttachmentKind::Result)];
    s.record_action(&d.dossier.code, after.last_seq, &d.dossier, None, draft("sign"), &result).await.unwrap();
    let stored = s.attachments(&d.dossier.code).await.unwrap();
    assert_eq!(
        stored.iter().map(|a| (a.index, a.kind, a.sha256.clone())).collect::<Vec<_>>(),
        vec![
            (1, AttachmentKind::Applicant, first[0].sha256.clone()),
            (2, AttachmentKind::Applicant, first[1].sha256.clone()),
            (3, AttachmentKind::Supplement, supplement[0].sha256.clone()),
            (4, AttachmentKind::Result, result[0].sha256.clone()),
        ]
    );
}

/// The notifier's pass: its messages and the events it looked at are written a hundred to a
/// statement; every one must land, a repeated message must not, and events left out of the
/// pass stay to be looked at.
async fn notifications_mark_their_events_in_chunks(s: Arc<dyn Store>) {
    use motcua_store::payments::NewNotification;
    let wf = dossiers::seed(&s).await;
    let mut codes = Vec::new();
    for _ in 0..230 {
        codes
            .push(dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 3), None).await).dossier.code);
    }
    let events = s.unnotified_events(500).await.unwrap();
    assert_eq!(events.len(), 230);
    let note = |code: &motcua_domain::DossierCode| NewNotification {
        dossier: Some(code.clone()),
        event_seq: 1,
        topic: None,
        channel: "sms".into(),
        recipient: "0912345678".into(),
        subject: "Hồ sơ".into(),
        body: format!("Hồ sơ {code} đã được tiếp nhận"),
    };
    // 210 events looked at (three statements of marks), 211 messages with one repeated.
    let looked: Vec<_> = codes[..210].iter().map(|c| (c.clone(), 1)).collect();
    let mut notes: Vec<_> = codes[..210].iter().map(note).collect();
    notes.push(note(&codes[0]));
    s.queue_notifications(&looked, &notes, Timestamp::now()).await.unwrap();
    let left = s.unnotified_events(500).await.unwrap();
    let left: Vec<_> = left.iter().map(|e| e.dossier_code.clone()).collect();
    let expected: Vec<_> = codes[210..].iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(left, expected, "exactly the events outside the pass are left");
    for c in [&codes[0], &codes[99], &codes[100], &codes[209]] {
        assert_eq!(s.notifications_of(c).await.unwrap().len(), 1, "{c}: one message, the repeat ignored");
    }
    assert!(s.notifications_of(&codes[210]).await.unwrap().is_empty());
}

async fn ratings_are_once_per_dossier(s: Arc<dyn Store>) {
    use motcua_domain::rating::Stars;
    use motcua_store::Rating;
    let wf = dossiers::seed(&s).await;
    let owner = s
        .create_account(&NewAccount {
            kind: AccountKind::Citizen,
            cccd: Some(Cccd::parse("022301001234").unwrap()),
            roles: vec![],
            ..new_staff("congdan", &[])
        })
        .await
        .unwrap();
    let d = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 3), None).await);
    assert_eq!(s.rating(&d.dossier.code).await.unwrap(), None);
    let at = Timestamp::from_second(1_750_000_000).unwrap();
    let r = Rating {
        dossier: d.dossier.code.clone(),
        account_id: owner.id,
        stars: Stars::new(5).unwrap(),
        comment: Some("Cán bộ hướng dẫn tận tình".into()),
        at,
    };
    assert!(s.rate(&r).await.unwrap());
    let again = Rating { stars: Stars::new(1).unwrap(), comment: None, ..r.clone() };
    assert!(!s.rate(&again).await.unwrap(), "a second rating is refused");
    assert_eq!(s.rating(&d.dossier.code).await.unwrap(), Some(r));
}

async fn drafts_belong_to_their_account(s: Arc<dyn Store>) {
    use motcua_store::Draft;
    dossiers::seed(&s).await;
    let citizen = |name: &str, cccd: &str| NewAccount {
        kind: AccountKind::Citizen,
        cccd: Some(Cccd::parse(cccd).unwrap()),
        roles: vec![],
        ..new_staff(name, &[])
    };
    let a = s.create_account(&citizen("congdan.a", "022301001234")).await.unwrap();
    let b = s.create_account(&citizen("congdan.b", "001203004567")).await.unwrap();
    let at = Timestamp::from_second(1_750_000_000).unwrap();
    let mut d = Draft {
        id: None,
        account_id: a.id,
        procedure: ProcedureCode::parse("1.004194").unwrap(),
        body: r#"{"address":"Tổ 3"}"#.into(),
        updated_at: at,
    };
    let id = s.save_draft(&d).await.unwrap();
    d.id = Some(id);
    assert_eq!(s.draft(id, a.id).await.unwrap(), Some(d.clone()));
    assert_eq!(s.draft(id, b.id).await.unwrap(), None, "another account does not see it");
    // Another account cannot overwrite or delete it.
    let theft = Draft { account_id: b.id, body: "{}".into(), ..d.clone() };
    assert!(matches!(s.save_draft(&theft).await, Err(StoreError::MissingReference(_))));
    assert!(!s.delete_draft(id, b.id).await.unwrap());
    d.body = r#"{"address":"Tổ 4"}"#.into();
    d.updated_at = at + SignedDuration::from_secs(60);
    assert_eq!(s.save_draft(&d).await.unwrap(), id);
    let second = s.save_draft(&Draft { id: None, updated_at: at, ..d.clone() }).await.unwrap();
    assert_ne!(second, id);
    let list = s.drafts(a.id).await.unwrap();
    assert_eq!(list.iter().map(|x| x.id).collect::<Vec<_>>(), vec![Some(id), Some(second)], "last changed first");
    assert_eq!(list[0].body, d.body);
    assert!(s.drafts(b.id).await.unwrap().is_empty());
    assert!(s.delete_draft(id, a.id).await.unwrap());
    assert_eq!(s.draft(id, a.id).await.unwrap(), None);
}

async fn staff_roles_are_replaced_whole(s: Arc<dyn Store>) {
    seed_units_and_orgs(&s).await;
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let staff = s.create_account(&new_staff("canbo", &[(dossiers::DESK, Role::DeskOfficer)])).await.unwrap();
    let roles = vec![
        RoleAssignment { org: desk.clone(), role: Role::Specialist },
        RoleAssignment { org: desk.clone(), role: Role::Leader },
    ];
    assert!(s.set_roles(&staff.username, &roles).await.unwrap());
    assert_eq!(s.staff_counts().await.unwrap().get(&desk), Some(&1), "one account, two roles");
    let mut got = s.account(staff.id).await.unwrap().unwrap().roles;
    got.sort_by_key(|r| r.role.as_str());
    assert_eq!(got.iter().map(|r| r.role).collect::<Vec<_>>(), vec![Role::Leader, Role::Specialist]);
    // An unknown organisation leaves the old roles in place.
    let bad = vec![RoleAssignment { org: OrgCode::parse("999.99.99.H22").unwrap(), role: Role::Leader }];
    assert!(s.set_roles(&staff.username, &bad).await.is_err());
    assert_eq!(s.account(staff.id).await.unwrap().unwrap().roles.len(), 2);
    assert!(!s.set_roles(&Username::parse("khongco").unwrap(), &roles).await.unwrap());
}

async fn dossier_lists_filter_inboxes(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let now = Timestamp::now();
    let owner = s
        .create_account(&NewAccount {
            kind: AccountKind::Citizen,
            cccd: Some(Cccd::parse("022301001234").unwrap()),
            roles: vec![],
            ..new_staff("congdan", &[])
        })
        .await
        .unwrap();
    let b = dossiers::builder(&wf, Some(owner.id), now);
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let files = [file(1, AttachmentKind::Applicant)];
    let created = dossiers::created(
        s.create_dossier(&desk, jiff::civil::date(2025, 3, 3), None, &files, &[], b.clone()).await.unwrap(),
    );
    assert_eq!(s.attachments(&created.dossier.code).await.unwrap(), files);
    dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 3), None).await;
    let count = |f: motcua_store::DossierFilter| {
        let s = s.clone();
        async move { s.list_dossiers(&f, &motcua_store::DossierPage::first(50)).await.unwrap().total.value() }
    };
    use motcua_store::DossierFilter;
    assert_eq!(count(DossierFilter::default()).await, 2);
    assert_eq!(count(DossierFilter { owner: Some(owner.id), ..Default::default() }).await, 1);
    assert_eq!(
        count(DossierFilter { waiting_at: Some(vec![(desk.clone(), Role::DeskOfficer)]), ..Default::default() }).await,
        2
    );
    assert_eq!(
        count(DossierFilter { waiting_at: Some(vec![(desk.clone(), Role::Leader)]), ..Default::default() }).await,
        0
    );
    assert_eq!(count(DossierFilter { waiting_at: Some(vec![]), ..Default::default() }).await, 0, "no roles, no inbox");
    assert_eq!(
        count(DossierFilter { involving: Some(vec![OrgCode::parse("000.00.01.H22").unwrap()]), ..Default::default() })
            .await,
        0
    );
    assert_eq!(
        count(DossierFilter { status: Some(motcua_domain::workflow::Status::New), ..Default::default() }).await,
        2
    );
    assert_eq!(count(DossierFilter { step: Some("appraise".into()), ..Default::default() }).await, 0);
    let field = |f: &str| DossierFilter { field: Some(FieldCode::parse(f).unwrap()), ..Default::default() };
    let own_field = s.procedure(&ProcedureCode::parse("1.004194").unwrap()).await.unwrap().unwrap().field.code;
    assert_eq!(count(field(own_field.as_str())).await, 2);
    assert_eq!(count(field("khac")).await, 0);
    // Not yet received: no due time, so never overdue.
    assert_eq!(
        count(DossierFilter { open_due_before: Some(now + SignedDuration::from_hours(10_000)), ..Default::default() })
            .await,
        0
    );
}

async fn concurrent_submissions_get_distinct_gap_free_codes(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 3);
    let n = 200;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (s, wf) = (s.clone(), wf.clone());
        tasks.spawn(
            async move { dossiers::created(dossiers::create(&s, &wf, day, None).await).dossier.code.sequence() },
        );
    }
    let mut seqs: Vec<u32> = tasks.join_all().await;
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=n).collect::<Vec<u32>>());
}

/// Submissions to one desk on one day that arrive together are written in shared
/// transactions (the day's sequence row taken once for several), and each still stands
/// alone: a dossier its builder refuses fails by itself and takes no number, a key sent twice
/// at once creates one dossier and finds it the second time, a key used before finds its
/// dossier (twice in one group); the codes of the rest are distinct and gap-free, their events chain, and the
/// statistics counters equal a recount.
async fn submissions_to_one_desk_share_a_transaction_and_fail_alone(s: Arc<dyn Store>) {
    use motcua_domain::audit::verify_chain;
    use motcua_store::{CreateOutcome, IdempotencyKey};
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 5);
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let owner = s.create_account(&new_staff("nhom.mot.cua", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap().id;
    let key = |k: &str| IdempotencyKey { account_id: owner, key: k.into(), request_hash: "h".into() };
    let old = dossiers::created(dossiers::create(&s, &wf, day, Some(&key("old"))).await);
    let (written_before, transactions_before) = s.submission_writes();
    let n = 60;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (s, desk) = (s.clone(), desk.clone());
        let good = dossiers::builder(&wf, None, Timestamp::now());
        let build: motcua_store::BuildDossier =
            if i == 17 { Arc::new(|_| Err("refused by its builder".to_owned())) } else { good };
        let k = match i {
            5 | 20 => Some(key("twice")),
            40 | 50 => Some(key("old")),
            _ => None,
        };
        tasks.spawn(async move { (i, s.create_dossier(&desk, day, k.as_ref(), &[], &[], build).await) });
    }
    let (mut made, mut twice) = (Vec::new(), Vec::new());
    for (i, outcome) in tasks.join_all().await {
        match (i, outcome) {
            (17, Err(StoreError::Corrupt(e))) => assert!(e.contains("refused by its builder"), "{e}"),
            (17, other) => panic!("the refused dossier: {other:?}"),
            (40 | 50, Ok(CreateOutcome::Existing { code, .. })) => assert_eq!(code, old.dossier.code),
            (5 | 20, Ok(CreateOutcome::Created(c))) => {
                twice.push(c.0.dossier.code.clone());
                made.push(c.0);
            }
            (5 | 20, Ok(CreateOutcome::Existing { code, .. })) => twice.push(code),
            (_, Ok(CreateOutcome::Created(c))) => made.push(c.0),
            (i, other) => panic!("submission {i}: {other:?}"),
        }
    }
    assert_eq!(twice.len(), 2);
    assert_eq!(twice[0], twice[1], "a key sent twice at once makes one dossier");
    assert_eq!(made.len(), n - 4);
    let mut seqs: Vec<u32> = made.iter().map(|d| d.dossier.code.sequence()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (2..=made.len() as u32 + 1).collect::<Vec<u32>>(), "distinct, gap-free after the first");
    let (written, transactions) = s.submission_writes();
    assert_eq!(written - written_before, made.len() as u64);
    assert!(
        transactions - transactions_before < written - written_before,
        "{} transactions for {} dossiers: nothing was grouped",
        transactions - transactions_before,
        written - written_before
    );
    for d in &made {
        let stored = s.dossier(&d.dossier.code).await.unwrap().expect("acknowledged, so stored");
        assert_eq!(stored.body, d.body);
        let events = s.events(&d.dossier.code).await.unwrap();
        assert_eq!(verify_chain(d.dossier.code.as_str(), &events, &stored.body, &stored.last_hash), Ok(()));
    }
    assert_eq!(s.stat_snapshot().await.unwrap(), s.recompute_stats().await.unwrap(), "counters equal a recount");
}

/// A builder that panics ends its desk's writing task: the submissions it held are answered
/// with an error (none waits for ever), nothing of them is written, and the next submissions
/// to that desk start a new task and get the next codes.
async fn a_desk_whose_writer_panics_lets_the_next_submissions_through(s: Arc<dyn Store>) {
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 7);
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (s, desk) = (s.clone(), desk.clone());
        let build: motcua_store::BuildDossier = if i == 0 {
            Arc::new(|_| panic!("a builder's bug"))
        } else {
            dossiers::builder(&wf, None, Timestamp::now())
        };
        tasks.spawn(async move { s.create_dossier(&desk, day, None, &[], &[], build).await });
    }
    let outcomes = tokio::time::timeout(std::time::Duration::from_secs(10), tasks.join_all())
        .await
        .expect("every submission is answered");
    let written = outcomes.iter().filter(|o| o.is_ok()).count();
    assert!(outcomes[0].is_err(), "the panicking one: {:?}", outcomes[0]);
    for o in outcomes.iter().filter(|o| o.is_err()) {
        assert!(matches!(o, Err(StoreError::WriteAborted(_))), "{o:?}");
    }
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), dossiers::create(&s, &wf, day, None))
        .await
        .expect("the desk takes submissions again");
    assert_eq!(dossiers::created(next).dossier.code.sequence() as usize, written + 1, "gap-free after the panic");
}

/// PostgreSQL: two servers on one database each group their own submissions to a desk, and
/// the day's sequence row orders their groups between them: the codes stay distinct and
/// gap-free, and both servers wrote some, in fewer transactions than dossiers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_servers_group_their_own_submissions_gap_free() {
    let Some(db) = TestDb::new(Engine::Postgres).await else { return };
    let wf = dossiers::seed(&db.store).await;
    let options = motcua_store::ConnectOptions { max_connections: 4, ..Default::default() };
    let other = motcua_store::connect(&db.url, &options).await.unwrap();
    let day = jiff::civil::date(2025, 3, 6);
    let n = 80;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let s = if i % 2 == 0 { db.store.clone() } else { other.clone() };
        let wf = wf.clone();
        tasks.spawn(
            async move { dossiers::created(dossiers::create(&s, &wf, day, None).await).dossier.code.sequence() },
        );
    }
    let mut seqs: Vec<u32> = tasks.join_all().await;
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=n).collect::<Vec<u32>>());
    let ((a, a_tx), (b, b_tx)) = (db.store.submission_writes(), other.submission_writes());
    assert_eq!((a, b), (u64::from(n) / 2, u64::from(n) / 2), "each server wrote its own");
    assert!(a_tx + b_tx < u64::from(n), "{} transactions for {n} dossiers", a_tx + b_tx);
}

/// Two servers on one database (PostgreSQL; on SQLite, which one server uses, four senders in
/// one) sending notifications at once: each message is taken by one of them only, all are
/// taken, and one a server took and never finished (it died) is due again once its claim
/// runs out — not before.
async fn two_servers_take_each_notification_once(engine: Engine) {
    use motcua_store::payments::{NOTIFICATION_CLAIM_SECS, NewNotification};
    let Some(db) = TestDb::new(engine).await else { return };
    let other = match engine {
        Engine::Postgres => motcua_store::connect(&db.url, &motcua_store::ConnectOptions::default()).await.unwrap(),
        Engine::Sqlite => db.store.clone(),
    };
    let now = Timestamp::now();
    let notes: Vec<NewNotification> = (0..90)
        .map(|i| NewNotification {
            dossier: None,
            event_seq: 0,
            topic: Some(format!("thu-nghiem:{i}")),
            channel: "sms".into(),
            recipient: "0912345678".into(),
            subject: "Nhắc lịch hẹn".into(),
            body: format!("Tin nhắn số {i}"),
        })
        .collect();
    db.store.queue_notifications(&[], &notes, now).await.unwrap();
    let mut senders = tokio::task::JoinSet::new();
    for s in [db.store.clone(), other.clone(), db.store.clone(), other.clone()] {
        senders.spawn(async move {
            let mut taken = Vec::new();
            // Bounded: a store that hands out the same messages again never runs dry.
            for _ in 0..60 {
                let due = s.due_notifications(now, 7).await.unwrap();
                if due.is_empty() {
                    break;
                }
                for n in due {
                    tokio::task::yield_now().await;
                    taken.push(n.id);
                    s.notification_sent(n.id, now).await.unwrap();
                }
            }
            taken
        });
    }
    let mut taken: Vec<i64> = senders.join_all().await.into_iter().flatten().collect();
    let n = taken.len();
    taken.sort_unstable();
    taken.dedup();
    assert_eq!(n, taken.len(), "{} messages taken twice", n - taken.len());
    assert_eq!(taken.len(), 90, "every message taken");

    // A message one server took and did not finish is kept from the others until its
    // claim runs out, then due again.
    let late = NewNotification { topic: Some("thu-nghiem:muon".into()), ..notes[0].clone() };
    db.store.queue_notifications(&[], &[late], now).await.unwrap();
    let held = db.store.due_notifications(now, 10).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(other.due_notifications(now + SignedDuration::from_secs(60), 10).await.unwrap().is_empty());
    let again =
        other.due_notifications(now + SignedDuration::from_secs(NOTIFICATION_CLAIM_SECS + 1), 10).await.unwrap();
    assert_eq!(again.iter().map(|n| n.id).collect::<Vec<_>>(), vec![held[0].id], "due again after the claim");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_servers_take_each_notification_once() {
    two_servers_take_each_notification_once(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_servers_take_each_notification_once() {
    two_servers_take_each_notification_once(Engine::Postgres).await;
}

/// A background job is held by one server at a time on PostgreSQL: another asking meanwhile
/// is told no; once dropped, or once the holder's connection is gone, the next gets it; other
/// jobs are not held up. On SQLite (one server) the lead is always given.
#[tokio::test]
async fn postgres_one_server_leads_a_job_at_a_time() {
    let Some(db) = TestDb::new(Engine::Postgres).await else { return };
    let options = motcua_store::ConnectOptions { max_connections: 2, ..Default::default() };
    let other = motcua_store::connect(&db.url, &options).await.unwrap();
    let lead = db.store.lead("exchange_outbox").await.unwrap().expect("free: taken");
    assert!(other.lead("exchange_outbox").await.unwrap().is_none(), "held by the first server");
    assert!(db.store.lead("exchange_outbox").await.unwrap().is_none(), "held, even for its own holder's next pass");
    assert!(other.lead("reminders").await.unwrap().is_some(), "another job is free");
    drop(lead);
    let mut taken = None;
    for _ in 0..50 {
        taken = other.lead("exchange_outbox").await.unwrap();
        if taken.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(taken.is_some(), "free again once dropped");
    drop(taken);
    let sqlite = TestDb::new(Engine::Sqlite).await.expect("sqlite");
    let first = sqlite.store.lead("exchange_outbox").await.unwrap();
    assert!(first.is_some() && sqlite.store.lead("exchange_outbox").await.unwrap().is_some());
}

/// SQLite only: what was committed is there after the store is closed and reopened.
#[tokio::test]
async fn sqlite_file_keeps_data_across_reopen() {
    let db = TestDb::new(Engine::Sqlite).await.unwrap();
    seed_units_and_orgs(&db.store).await;
    let url = db.url.clone();
    let reopened = motcua_store::connect(&url, &Default::default()).await.unwrap();
    assert_eq!(reopened.list_units(&UnitFilter::default(), Page::default()).await.unwrap().total, 4);
    assert_eq!(reopened.backend(), motcua_store::Backend::Sqlite);
}

mod documents {
    use super::*;
    use motcua_store::documents::*;

    pub fn cert(role: CertRole, org: Option<&str>, fp: &str, active: bool) -> StoredCertificate {
        StoredCertificate {
            id: 0,
            role,
            org: org.map(|o| OrgCode::parse(o).unwrap()),
            subject: format!("CN={fp}"),
            serial: "01".into(),
            fingerprint: fp.into(),
            not_before: Timestamp::from_second(1_700_000_000).unwrap(),
            not_after: Timestamp::from_second(1_900_000_000).unwrap(),
            cert_pem: "-----BEGIN CERTIFICATE-----".into(),
            key_pem: Some("-----BEGIN ENCRYPTED PRIVATE KEY-----".into()),
            active,
            created_at: Timestamp::from_second(1_800_000_000).unwrap(),
        }
    }

    pub fn write(doc_id: &str, from: &str, number: i64, outbox: usize) -> DocumentWrite {
        DocumentWrite {
            document: NewDocument {
                document_id: doc_id.into(),
                from_org: OrgCode::parse(from).unwrap(),
                subject: format!("Công văn số {number}"),
                header: "{}".into(),
                package: format!("<edXML number=\"{number}\"/>"),
                state: "sent".into(),
                revision: 0,
                at: Timestamp::now(),
            },
            statuses: vec![],
            outbox: (0..outbox)
                .map(|i| NewOutbox {
                    target: if i == 0 { "local".into() } else { format!("peer{i}") },
                    kind: "document".into(),
                    reference: doc_id.into(),
                    package: OutboxPackage::OfDocument,
                })
                .collect(),
        }
    }

    pub fn status(doc_id: &str, to: &str, code: &str, at: i64) -> DocStatus {
        DocStatus {
            document_id: doc_id.into(),
            to_org: OrgCode::parse(to).unwrap(),
            code: code.into(),
            revision: 0,
            description: String::new(),
            staff: "Văn thư".into(),
            at: Timestamp::from_second(at).unwrap(),
            package: "<s/>".into(),
        }
    }

    pub fn created(o: DocumentOutcome) -> DocumentRecord {
        match o {
            DocumentOutcome::Created(d) => d,
            DocumentOutcome::Existing(d) | DocumentOutcome::KeyUsed { document: d, .. } => {
                panic!("expected a new entry, got {}", d.id)
            }
        }
    }
}

async fn certificates_replace_the_active_identity(s: Arc<dyn Store>) {
    use motcua_store::documents::CertRole;
    seed_units_and_orgs(&s).await;
    let first = s.add_certificate(&documents::cert(CertRole::Org, Some("000.00.31.H22"), "aa", true)).await.unwrap();
    let second = s.add_certificate(&documents::cert(CertRole::Org, Some("000.00.31.H22"), "bb", true)).await.unwrap();
    s.add_certificate(&documents::cert(CertRole::Org, Some("000.00.32.H22"), "cc", true)).await.unwrap();
    s.add_certificate(&documents::cert(CertRole::Ca, None, "dd", true)).await.unwrap();
    s.add_certificate(&documents::cert(CertRole::Trusted, None, "ee", true)).await.unwrap();
    s.add_certificate(&documents::cert(CertRole::Trusted, None, "ff", true)).await.unwrap();
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    let mine = s.certificates(Some(CertRole::Org), Some(&org)).await.unwrap();
    assert_eq!(mine.iter().map(|c| (c.id, c.active)).collect::<Vec<_>>(), vec![(second, true), (first, false)]);
    assert_eq!(mine[0].key_pem.as_deref(), Some("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    // Trusted CAs accumulate; they do not replace each other.
    assert!(s.certificates(Some(CertRole::Trusted), None).await.unwrap().iter().all(|c| c.active));
    assert_eq!(s.certificates(None, None).await.unwrap().len(), 6);
    assert!(matches!(
        s.add_certificate(&documents::cert(CertRole::Org, Some("000.00.31.H22"), "aa", true)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.add_certificate(&documents::cert(CertRole::Org, Some("000.00.99.H22"), "zz", true)).await,
        Err(StoreError::MissingReference(_))
    ));
}

async fn peers_round_trip(s: Arc<dyn Store>) {
    use motcua_store::documents::Peer;
    let mut p = Peer {
        name: "hungyen".into(),
        base_url: "http://127.0.0.1:1".into(),
        ca_pem: "pem".into(),
        ca_fingerprint: "ab".into(),
        orgs: vec![(OrgCode::parse("000.00.00.H26").unwrap(), "UBND tỉnh Hưng Yên".into())],
        created_at: Timestamp::from_second(1_800_000_000).unwrap(),
    };
    s.upsert_peer(&p).await.unwrap();
    p.base_url = "http://127.0.0.1:2".into();
    p.orgs.push((OrgCode::parse("000.00.01.H26").unwrap(), String::new()));
    s.upsert_peer(&p).await.unwrap();
    assert_eq!(s.peers().await.unwrap(), vec![p]);
}

async fn registers_number_gap_free_and_dedupe_incoming(s: Arc<dyn Store>) {
    use motcua_store::documents::*;
    seed_units_and_orgs(&s).await;
    let a = OrgCode::parse("000.00.31.H22").unwrap();
    let b = OrgCode::parse("000.00.32.H22").unwrap();
    let mut numbers = Vec::new();
    for i in 0..3 {
        let id = format!("000.00.31.H22,2026/11/23,{}/UBND", i + 1);
        let d = documents::created(
            s.create_document(&a, Direction::Outgoing, 2026, Dedup::ByDocumentId(&id), &|n| {
                Ok(documents::write(&id, "000.00.31.H22", n, 2))
            })
            .await
            .unwrap(),
        );
        numbers.push(d.number);
        assert_eq!(d.package, format!("<edXML number=\"{}\"/>", d.number), "the build saw its number");
    }
    assert_eq!(numbers, vec![1, 2, 3]);
    // Another year, another register; the incoming register counts apart.
    let id = "000.00.31.H22,2027/01/02,1/UBND";
    let d = documents::created(
        s.create_document(&a, Direction::Outgoing, 2027, Dedup::New, &|n| {
            Ok(documents::write(id, "000.00.31.H22", n, 0))
        })
        .await
        .unwrap(),
    );
    assert_eq!(d.number, 1);
    let incoming = "000.00.31.H22,2026/11/23,1/UBND";
    let d = documents::created(
        s.create_document(&b, Direction::Incoming, 2026, Dedup::ByDocumentId(incoming), &|n| {
            Ok(documents::write(incoming, "000.00.31.H22", n, 0))
        })
        .await
        .unwrap(),
    );
    assert_eq!((d.number, d.direction), (1, Direction::Incoming));
    // The same document again: nothing new, not even a number.
    let again = s
        .create_document(&b, Direction::Incoming, 2026, Dedup::ByDocumentId(incoming), &|_| {
            panic!("must not build a duplicate")
        })
        .await
        .unwrap();
    assert!(matches!(again, DocumentOutcome::Existing(ref e) if e.id == d.id));
    let other = "000.00.31.H22,2026/11/23,2/UBND";
    let next = documents::created(
        s.create_document(&b, Direction::Incoming, 2026, Dedup::ByDocumentId(other), &|n| {
            Ok(documents::write(other, "000.00.31.H22", n, 0))
        })
        .await
        .unwrap(),
    );
    assert_eq!(next.number, 2, "no gap after the duplicate");
    // A failing build leaves nothing, not even a used number.
    let bad = "000.00.31.H22,2026/11/23,9/UBND";
    assert!(
        s.create_document(&a, Direction::Outgoing, 2026, Dedup::ByDocumentId(bad), &|_| Err("signing failed".into()))
            .await
            .is_err()
    );
    let id4 = "000.00.31.H22,2026/11/23,4/UBND";
    let d4 = documents::created(
        s.create_document(&a, Direction::Outgoing, 2026, Dedup::ByDocumentId(id4), &|n| {
            Ok(documents::write(id4, "000.00.31.H22", n, 0))
        })
        .await
        .unwrap(),
    );
    assert_eq!(d4.number, 4);

    let list = |f: DocumentFilter| {
        let s = s.clone();
        async move { s.list_documents(&f, Page::default()).await.unwrap() }
    };
    let out = list(DocumentFilter {
        orgs: Some(vec![a.clone()]),
        direction: Some(Direction::Outgoing),
        ..Default::default()
    })
    .await;
    assert_eq!(out.total, 5);
    assert_eq!(out.items[0].id, d4.id, "newest first");
    // A list carries each entry as a single read gives it, only without its package.
    for e in &out.items {
        assert_eq!(Some(e), s.document(e.id).await.unwrap().as_ref().map(|d| &d.entry));
    }
    assert_eq!(out.items[0], d4.entry, "what creating returned is what is stored");
    assert_eq!(
        list(DocumentFilter { orgs: Some(vec![a.clone()]), year: Some(2027), ..Default::default() }).await.total,
        1
    );
    assert_eq!(list(DocumentFilter { orgs: Some(vec![]), ..Default::default() }).await.total, 0);
    assert_eq!(list(DocumentFilter { direction: Some(Direction::Incoming), ..Default::default() }).await.total, 2);
    let found = s.document_by_document_id(&b, Direction::Incoming, incoming).await.unwrap().unwrap();
    assert_eq!(found.id, d.id);
    assert_eq!(s.document(d.id).await.unwrap().unwrap().entry, found, "the entry, without its package");
    assert_eq!(s.document_entry(d.id).await.unwrap(), Some(found));
    assert_eq!(s.document_entry(i64::MAX).await.unwrap(), None);
    assert!(s.document_by_document_id(&a, Direction::Incoming, incoming).await.unwrap().is_none());
    // Three outgoing documents with two outbox items each, and one created later.
    assert_eq!(s.outbox(None).await.unwrap().len(), 6);
}

async fn document_changes_refuse_stale_writes(s: Arc<dyn Store>) {
    use motcua_store::documents::*;
    seed_units_and_orgs(&s).await;
    let b = OrgCode::parse("000.00.32.H22").unwrap();
    let id = "000.00.31.H22,2026/11/23,1/UBND";
    let d = documents::created(
        s.create_document(&b, Direction::Incoming, 2026, Dedup::ByDocumentId(id), &|n| {
            Ok(documents::write(id, "000.00.31.H22", n, 0))
        })
        .await
        .unwrap(),
    );
    let change = DocumentChange {
        expected_state: "sent".into(),
        expected_revision: 0,
        state: "03".into(),
        revision: 0,
        content: None,
        pending: Some(Some("<recall/>".into())),
        at: Timestamp::now(),
    };
    let st = documents::status(id, "000.00.32.H22", "03", 1_800_000_000);
    let out = NewOutbox {
        target: "local".into(),
        kind: "status".into(),
        reference: id.into(),
        package: OutboxPackage::Own("<s/>".into()),
    };
    let changed =
        s.change_document(d.id, &change, std::slice::from_ref(&st), std::slice::from_ref(&out)).await.unwrap();
    assert_eq!((changed.state.as_str(), changed.pending.as_deref()), ("03", Some("<recall/>")));
    // The same change again is stale: nothing more is written.
    assert!(matches!(
        s.change_document(d.id, &change, std::slice::from_ref(&st), std::slice::from_ref(&out)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(s.change_document(999_999, &change, &[], &[]).await, Err(StoreError::MissingReference(_))));
    assert_eq!(s.statuses(id, None).await.unwrap().len(), 1);
    assert_eq!(s.outbox(Some(id)).await.unwrap().len(), 1);
    let replace = DocumentChange {
        expected_state: "03".into(),
        expected_revision: 0,
        state: "03".into(),
        revision: 1,
        content: Some(("Trích yếu mới".into(), "{\"v\":1}".into(), "<v1/>".into())),
        pending: Some(None),
        at: Timestamp::now(),
    };
    let r = s.change_document(d.id, &replace, &[], &[]).await.unwrap();
    assert_eq!(
        (r.subject.as_str(), r.package.as_str(), r.revision, r.pending.as_deref()),
        ("Trích yếu mới", "<v1/>", 1, None)
    );
}

async fn outbox_delivers_the_package_stored_once(s: Arc<dyn Store>) {
    use motcua_store::documents::*;
    seed_units_and_orgs(&s).await;
    let a = OrgCode::parse("000.00.31.H22").unwrap();
    let id = "000.00.31.H22,2026/12/03,1/STP";
    // Sent to this server and to a partner: two items, the package kept once, in the entry.
    let d = documents::created(
        s.create_document(&a, Direction::Outgoing, 2026, Dedup::New, &|n| {
            Ok(documents::write(id, "000.00.31.H22", n, 2))
        })
        .await
        .unwrap(),
    );
    assert_eq!(d.package, "<edXML number=\"1\"/>", "the record answered is the one written");
    assert_eq!(s.document(d.id).await.unwrap().unwrap(), d);
    let now = Timestamp::now() + SignedDuration::from_secs(1);
    let packages = |items: Vec<OutboxItem>| items.into_iter().map(|i| i.package).collect::<Vec<_>>();
    assert_eq!(packages(s.due_outbox(now, 10).await.unwrap()), vec![d.package.clone(), d.package.clone()]);
    let first = s.due_outbox(now, 10).await.unwrap()[0].id;
    s.outbox_delivered(&[first], now).await.unwrap();
    // Replaced before the partner got it: the waiting item and the delivered one keep what they
    // carried; the replacement's item carries the new package.
    let item = |package| NewOutbox { target: "peer1".into(), kind: "document".into(), reference: id.into(), package };
    let replace = DocumentChange {
        expected_state: "sent".into(),
        expected_revision: 0,
        state: "sent".into(),
        revision: 1,
        content: Some(("Thay thế".into(), "{}".into(), "<v1/>".into())),
        pending: None,
        at: Timestamp::now(),
    };
    s.change_document(d.id, &replace, &[], &[item(OutboxPackage::OfDocument)]).await.unwrap();
    assert_eq!(s.document(d.id).await.unwrap().unwrap().package, "<v1/>");
    let all = s.outbox(Some(id)).await.unwrap();
    assert_eq!(packages(all), vec![d.package.clone(), d.package.clone(), "<v1/>".to_owned()]);
    assert_eq!(packages(s.due_outbox(now, 10).await.unwrap()), vec![d.package.clone(), "<v1/>".to_owned()]);
    // A change that keeps the package cannot point an item at it (a recall carries its own):
    // refused, and nothing of it written.
    let recall = DocumentChange {
        expected_state: "sent".into(),
        expected_revision: 1,
        state: "recalled".into(),
        revision: 2,
        content: None,
        pending: None,
        at: Timestamp::now(),
    };
    assert!(matches!(
        s.change_document(d.id, &recall, &[], &[item(OutboxPackage::OfDocument)]).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(s.document(d.id).await.unwrap().unwrap().state, "sent");
    s.change_document(d.id, &recall, &[], &[item(OutboxPackage::Own("<recall/>".into()))]).await.unwrap();
    assert_eq!(
        packages(s.outbox(Some(id)).await.unwrap()),
        vec![d.package.clone(), d.package.clone(), "<v1/>".to_owned(), "<recall/>".to_owned()]
    );
    // A status has no entry to point at.
    assert!(matches!(s.record_statuses(&[], &[item(OutboxPackage::OfDocument)]).await, Err(StoreError::Corrupt(_))));
    let items = s.outbox(Some(id)).await.unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().any(|o| o.delivered_at.is_some()), "a delivered one among them");
    // A document's page lists its deliveries as they are, only without their packages.
    let entries: Vec<_> = items.into_iter().map(|o| o.entry).collect();
    assert_eq!(s.deliveries(id).await.unwrap(), entries);
    assert!(s.deliveries("no such document").await.unwrap().is_empty());
}

async fn statuses_are_recorded_once(s: Arc<dyn Store>) {
    let id = "000.00.31.H22,2026/11/23,1/UBND";
    let a = documents::status(id, "000.00.32.H22", "01", 1_800_000_000);
    let b = documents::status(id, "000.00.32.H22", "03", 1_800_000_100);
    let c = documents::status(id, "000.00.01.H22", "01", 1_800_000_050);
    assert_eq!(s.record_statuses(&[a.clone(), b.clone()], &[]).await.unwrap(), 2);
    assert_eq!(s.record_statuses(&[a.clone(), c.clone()], &[]).await.unwrap(), 1, "a repeat is ignored");
    assert_eq!(s.statuses(id, None).await.unwrap(), vec![a.clone(), c, b.clone()]);
    assert_eq!(s.statuses(id, Some(&OrgCode::parse("000.00.32.H22").unwrap())).await.unwrap(), vec![a, b]);
    assert!(s.statuses("other", None).await.unwrap().is_empty());
}

async fn outbox_delivers_and_retries(s: Arc<dyn Store>) {
    use motcua_store::documents::{NewOutbox, OutboxPackage};
    let item = |r: &str| NewOutbox {
        target: "peer".into(),
        kind: "document".into(),
        reference: r.into(),
        package: OutboxPackage::Own("<p/>".into()),
    };
    s.record_statuses(&[], &[item("a"), item("b")]).await.unwrap();
    // Stored to the microsecond.
    let now = Timestamp::from_microsecond(Timestamp::now().as_microsecond()).unwrap() + SignedDuration::from_secs(1);
    let due = s.due_outbox(now, 10).await.unwrap();
    assert_eq!(due.iter().map(|i| i.reference.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
    s.outbox_delivered(&[due[0].id], now).await.unwrap();
    let later = now + SignedDuration::from_secs(30);
    s.outbox_retry(due[1].id, "connection refused", later).await.unwrap();
    assert!(s.due_outbox(now, 10).await.unwrap().is_empty());
    assert_eq!(s.next_outbox_due().await.unwrap(), Some(later));
    let again = s.due_outbox(later, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].attempts, again[0].last_error.as_deref()), (1, Some("connection refused")));
    let a = s.outbox(Some("a")).await.unwrap();
    assert_eq!((a[0].attempts, a[0].delivered_at), (1, Some(now)));
    assert_eq!(s.outbox(None).await.unwrap().len(), 1, "only undelivered ones");
    s.outbox_delivered(&[again[0].id], later).await.unwrap();
    assert_eq!(s.next_outbox_due().await.unwrap(), None);
}

async fn quarantine_keeps_the_package(s: Arc<dyn Store>) {
    use motcua_store::documents::{NewQuarantine, QUARANTINE_KEPT_BYTES};
    let (a, b) = (OrgCode::parse("000.00.31.H22").unwrap(), OrgCode::parse("000.00.37.H22").unwrap());
    let t0 = Timestamp::now();
    let q = |reason: &'static str, for_orgs: &'static [OrgCode], package: &'static [u8], at: Timestamp| NewQuarantine {
        source: "peer:hungyen",
        reason,
        document_id: Some("x,2026/11/23,1/A"),
        from_org: None,
        for_orgs,
        package,
        sha256: "ab",
        at,
    };
    let bytes: &'static [u8] = b"\xff\x00<not xml";
    let for_a: &'static [OrgCode] = Box::leak(vec![a.clone(), a.clone()].into_boxed_slice());
    let for_both: &'static [OrgCode] = Box::leak(vec![a.clone(), b.clone()].into_boxed_slice());
    let huge: &'static [u8] = Box::leak(vec![b'x'; QUARANTINE_KEPT_BYTES * 3].into_boxed_slice());
    let id = s.quarantine(&q("chữ ký không hợp lệ", for_a, bytes, t0)).await.unwrap();
    s.quarantine(&q("XML", &[], b"<a>", t0)).await.unwrap();
    let big = s.quarantine(&q("quá lớn", for_both, huge, t0)).await.unwrap();

    let all = s.quarantined(None, Page::default()).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items[2].id, id);
    assert_eq!(all.items[2].package, bytes);
    assert_eq!(all.items[2].reason, "chữ ký không hợp lệ");
    assert_eq!(all.items[0].id, big);
    assert_eq!(all.items[0].package.len(), QUARANTINE_KEPT_BYTES, "only the start of a large package is kept");
    assert_eq!(all.items[0].size, i64::try_from(huge.len()).unwrap());
    // Each organisation sees its own; a package for nobody here, only the province.
    let of = |orgs: Vec<OrgCode>| {
        let s = s.clone();
        async move {
            s.quarantined(Some(&orgs), Page::default()).await.unwrap().items.iter().map(|x| x.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(of(vec![a.clone()]).await, vec![big, id]);
    assert_eq!(of(vec![b.clone()]).await, vec![big]);
    assert_eq!(of(vec![OrgCode::parse("000.00.56.H22").unwrap()]).await, Vec::<i64>::new());
    assert_eq!(of(vec![]).await, Vec::<i64>::new());

    // Retention: older than the cut-off, or beyond the newest `keep`.
    assert_eq!(s.purge_quarantine(t0 - jiff::SignedDuration::from_secs(1), 2).await.unwrap(), 1);
    assert_eq!(
        s.quarantined(None, Page::default()).await.unwrap().items.iter().map(|x| x.id).collect::<Vec<_>>().len(),
        2
    );
    assert_eq!(of(vec![a.clone()]).await, vec![big], "the oldest went");
    assert_eq!(s.purge_quarantine(t0 + jiff::SignedDuration::from_secs(1), 100).await.unwrap(), 2);
    assert_eq!(s.quarantined(None, Page::default()).await.unwrap().total, 0);
}

async fn concurrent_documents_get_distinct_numbers(s: Arc<dyn Store>) {
    use motcua_store::documents::Direction;
    seed_units_and_orgs(&s).await;
    let n = 60;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let s = s.clone();
        tasks.spawn(async move {
            let org = OrgCode::parse("000.00.31.H22").unwrap();
            let id = format!("doc-{i}");
            let d = s
                .create_document(
                    &org,
                    Direction::Outgoing,
                    2026,
                    motcua_store::documents::Dedup::ByDocumentId(&id),
                    &|num| Ok(documents::write(&id, "000.00.31.H22", num, 1)),
                )
                .await
                .unwrap();
            documents::created(d).number
        });
    }
    let mut numbers: Vec<i64> = tasks.join_all().await;
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=n).collect::<Vec<i64>>());
}

async fn bank_accounts_and_gateways_round_trip(s: Arc<dyn Store>) {
    use motcua_domain::payment::BankAccount;
    seed_units_and_orgs(&s).await;
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    assert_eq!(s.bank_account(&org).await.unwrap(), None);
    let a = BankAccount::parse("970415", "113000123456", "UBND PHUONG HA LONG").unwrap();
    s.set_bank_account(&org, &a).await.unwrap();
    let b = BankAccount::parse("970436", "0011001932418", "UBND PHUONG HA LONG").unwrap();
    s.set_bank_account(&org, &b).await.unwrap();
    assert_eq!(s.bank_account(&org).await.unwrap(), Some(b.clone()));
    assert!(matches!(
        s.set_bank_account(&OrgCode::parse("000.00.99.H22").unwrap(), &b).await,
        Err(StoreError::MissingReference(_))
    ));
    use motcua_domain::payment::PartnerKind::{Carrier, PaymentGateway};
    assert_eq!(s.partner_secret("napas", PaymentGateway).await.unwrap(), None);
    s.set_partner("napas", PaymentGateway, "s1").await.unwrap();
    s.set_partner("napas", PaymentGateway, "s2").await.unwrap();
    assert_eq!(s.partner_secret("napas", PaymentGateway).await.unwrap().as_deref(), Some("s2"));
    assert_eq!(s.partner_secret("napas", Carrier).await.unwrap(), None, "a payment gateway is no carrier");
    s.set_partner("vnpost", Carrier, "s3").await.unwrap();
    assert_eq!(s.partner_secret("vnpost", Carrier).await.unwrap().as_deref(), Some("s3"));
    assert_eq!(s.partner_secret("vnpost", PaymentGateway).await.unwrap(), None, "a carrier confirms no payment");
}

fn callback(txn: &str, outcome: &str, org: Option<&str>, at: i64) -> motcua_store::payments::NewCallback {
    motcua_store::payments::NewCallback {
        gateway: "napas".into(),
        transaction_id: txn.into(),
        body_sha256: format!("sha-{txn}"),
        body: format!("{{\"transaction_id\":\"{txn}\"}}"),
        dossier: None,
        org: org.map(|o| OrgCode::parse(o).unwrap()),
        amount: 15_000,
        outcome: outcome.into(),
        reason: (outcome == "mismatch").then(|| "sai số tiền".into()),
        at: Timestamp::from_second(at).unwrap(),
    }
}

async fn callbacks_are_recorded_once_per_transaction(s: Arc<dyn Store>) {
    use motcua_store::payments::CallbackOutcome;
    seed_units_and_orgs(&s).await;
    let first =
        match s.record_callback(&callback("T1", "mismatch", Some("000.00.31.H22"), 1_800_000_000)).await.unwrap() {
            CallbackOutcome::Recorded(id) => id,
            CallbackOutcome::Existing(_) => panic!("new"),
        };
    // The same transaction again, even with another body: the first record stands.
    let mut again = callback("T1", "paid", None, 1_800_000_100);
    again.body = "other".into();
    match s.record_callback(&again).await.unwrap() {
        CallbackOutcome::Existing(c) => {
            assert_eq!(
                (c.id, c.callback.outcome.as_str(), c.callback.body_sha256.as_str()),
                (first, "mismatch", "sha-T1")
            );
        }
        CallbackOutcome::Recorded(_) => panic!("recorded twice"),
    }
    s.record_callback(&callback("T2", "mismatch", None, 1_800_000_200)).await.unwrap();
    let mut other_gateway = callback("T1", "mismatch", None, 1_800_000_300);
    other_gateway.gateway = "vnpay".into();
    assert!(matches!(s.record_callback(&other_gateway).await.unwrap(), CallbackOutcome::Recorded(_)));
    let from = Timestamp::from_second(1_800_000_000).unwrap();
    let to = Timestamp::from_second(1_800_000_250).unwrap();
    let all = s.callbacks_between(None, from, to).await.unwrap();
    assert_eq!(all.iter().map(|c| c.callback.transaction_id.as_str()).collect::<Vec<_>>(), vec!["T1", "T2"]);
    let org = OrgCode::parse("000.00.31.H22").unwrap();
    assert_eq!(s.callbacks_between(Some(&org), from, to).await.unwrap().len(), 1);
}

async fn receipts_number_gap_free_and_link_their_callback(s: Arc<dyn Store>) {
    use motcua_store::payments::{CallbackOutcome, Receipt};
    let wf = dossiers::seed(&s).await;
    let d = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2026, 11, 23), None).await).dossier;
    let org = d.processing_org.clone();
    let cb = match s.record_callback(&callback("T9", "paid", Some(org.as_str()), 1_800_000_000)).await.unwrap() {
        CallbackOutcome::Recorded(id) => id,
        CallbackOutcome::Existing(_) => panic!("new"),
    };
    let make = |method: &str, at: i64| {
        let (org, code, method) = (org.clone(), d.code.clone(), method.to_owned());
        move |number: String| Receipt {
            number,
            org: org.clone(),
            dossier: code.clone(),
            amount: 15_000,
            method: method.clone(),
            payer: "Nguyễn Văn An".into(),
            gateway: None,
            transaction_id: None,
            lines: "[]".into(),
            issued_by: "test".into(),
            issued_at: Timestamp::from_second(at).unwrap(),
        }
    };
    let r1 = s.issue_receipt(&org, 2026, Some(cb), &make("transfer", 1_800_000_000)).await.unwrap();
    let r2 = s.issue_receipt(&org, 2026, None, &make("desk", 1_800_000_100)).await.unwrap();
    let r3 = s.issue_receipt(&org, 2027, None, &make("desk", 1_830_000_000)).await.unwrap();
    assert_eq!(r1.number, format!("BL-{org}-2026-000001"));
    assert_eq!(r2.number, format!("BL-{org}-2026-000002"));
    assert_eq!(r3.number, format!("BL-{org}-2027-000001"));
    assert_eq!(s.receipt(&r2.number).await.unwrap(), Some(r2.clone()));
    assert_eq!(s.receipts_of(&d.code).await.unwrap().len(), 3);
    let day = s
        .receipts_between(
            Some(&org),
            Timestamp::from_second(1_799_999_000).unwrap(),
            Timestamp::from_second(1_800_000_050).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(day, vec![r1.clone()]);
    let linked = s
        .callbacks_between(None, Timestamp::from_second(0).unwrap(), Timestamp::from_second(1_900_000_000).unwrap())
        .await
        .unwrap();
    assert_eq!(linked[0].receipt_number.as_deref(), Some(r1.number.as_str()));
}

async fn results_are_numbered_once_per_file(s: Arc<dyn Store>) {
    use motcua_store::payments::SignedResult;
    let wf = dossiers::seed(&s).await;
    let d = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2026, 11, 23), None).await).dossier;
    let make = |sha: &'static str| {
        let (code, org) = (d.code.clone(), d.processing_org.clone());
        move |seq: i64| SignedResult {
            number: format!("{code}-KQ{seq}"),
            dossier: code.clone(),
            seq,
            org: org.clone(),
            filename: "ket-qua.pdf".into(),
            content_type: "application/pdf".into(),
            sha256: sha.into(),
            signature: "MIIB".into(),
            signer: "CN=UBND".into(),
            issued_at: Timestamp::from_second(1_800_000_000).unwrap(),
        }
    };
    let a = s.add_result(&d.code, "aa", &make("aa")).await.unwrap();
    let b = s.add_result(&d.code, "bb", &make("bb")).await.unwrap();
    let again = s.add_result(&d.code, "aa", &|_| panic!("not twice")).await.unwrap();
    assert_eq!((a.seq, b.seq), (1, 2));
    assert_eq!(again, a);
    assert_eq!(a.number, format!("{}-KQ1", d.code));
    assert_eq!(s.results_of(&d.code).await.unwrap(), vec![a.clone(), b]);
    assert_eq!(s.result(&a.number).await.unwrap(), Some(a.clone()));
    assert_eq!(s.result("nope").await.unwrap(), None);

    // Revoked once: the first revocation stands, with its reason and replacement.
    use motcua_store::payments::Revocation;
    let revocation = Revocation {
        number: a.number.clone(),
        kind: "result".into(),
        org: a.org.clone(),
        reason: "Sai ngày sinh; đã cấp bản đính chính".into(),
        replaced_by: Some(format!("{}-KQ2", d.code)),
        revoked_by: "staff:halong.lanhdao".into(),
        revoked_at: Timestamp::from_second(1_800_000_100).unwrap(),
    };
    assert_eq!(s.revocation(&a.number).await.unwrap(), None);
    assert!(s.revoke(&revocation).await.unwrap());
    let again = Revocation { reason: "lần hai".into(), ..revocation.clone() };
    assert!(!s.revoke(&again).await.unwrap());
    assert_eq!(s.revocation(&a.number).await.unwrap(), Some(revocation));
}

async fn statistics_follow_every_change(s: Arc<dyn Store>) {
    use motcua_domain::audit::EventDraft;
    use motcua_domain::rating::Stars;
    use motcua_domain::stats::vietnam_midnight;
    use motcua_domain::workflow::Status;
    use motcua_store::Rating;
    use motcua_store::stats::{Clock, StatGroup, StatQuery};
    let wf = dossiers::seed(&s).await;
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let vn = |y, m, d, h| {
        motcua_domain::calendar::vietnam().to_timestamp(jiff::civil::date(y, m, d).at(h, 0, 0, 0)).unwrap()
    };
    let mut made = Vec::new();
    for (i, at) in [vn(2025, 3, 28, 9), vn(2025, 4, 2, 9), vn(2025, 4, 2, 10)].into_iter().enumerate() {
        let b = dossiers::builder(&wf, None, at);
        let day = jiff::civil::date(2025, 3, 28 + i as i8 % 2);
        made.push(dossiers::created(s.create_dossier(&desk, day, None, &[], &[], b.clone()).await.unwrap()));
    }
    let draft = |action: &str| EventDraft {
        at_us: 1,
        actor_account: None,
        actor: "staff:test".into(),
        action: action.into(),
        from_status: None,
        to_status: 2,
        from_step: None,
        to_step: None,
        details: "{}".into(),
    };
    // First: received on 28/03, due 04/04, done on 03/04 (early), then rated 4.
    let mut d = made[0].dossier.clone();
    d.status = Status::Accepted;
    d.received_at = Some(vn(2025, 3, 28, 10));
    d.due_at = Some(vn(2025, 4, 4, 10));
    let (st, _) = s.record_action(&d.code, 1, &d, d.placement(&wf), draft("receive"), &[]).await.unwrap();
    d.status = Status::Done;
    d.finished_at = Some(vn(2025, 4, 3, 10));
    s.record_action(&d.code, st.last_seq, &d, None, draft("sign"), &[]).await.unwrap();
    let owner = s
        .create_account(&NewAccount {
            kind: AccountKind::Citizen,
            cccd: Some(Cccd::parse("022301001234").unwrap()),
            roles: vec![],
            ..new_staff("nguoidan", &[])
        })
        .await
        .unwrap();
    let rating = Rating {
        dossier: d.code.clone(),
        account_id: owner.id,
        stars: Stars::new(4).unwrap(),
        comment: None,
        at: vn(2025, 4, 5, 9),
    };
    assert!(s.rate(&rating).await.unwrap());
    // Second: received, then withdrawn.
    let mut w = made[1].dossier.clone();
    w.status = Status::Withdrawn;
    w.step = None;
    s.record_action(&w.code, 1, &w, None, draft("withdraw"), &[]).await.unwrap();
    // Third: received and due yesterday, still open.
    let mut o = made[2].dossier.clone();
    o.status = Status::InProcess;
    o.received_at = Some(vn(2025, 4, 2, 11));
    o.due_at = Some(vn(2025, 4, 9, 11));
    s.record_action(&o.code, 1, &o, o.placement(&wf), draft("receive"), &[]).await.unwrap();

    // The kept counters equal a recomputation from the dossiers.
    let kept = s.stat_snapshot().await.unwrap();
    assert_eq!(kept, s.recompute_stats().await.unwrap());
    assert!(!kept.days.is_empty());

    let q = |from, to| StatQuery {
        from,
        to,
        orgs: Some(vec![desk.clone()]),
        procedure: None,
        field: None,
        level: None,
        channel: None,
    };
    let sum = |rows: Vec<motcua_store::stats::StatRow>| {
        rows.into_iter().fold(motcua_domain::stats::Counts::default(), |mut a, r| {
            a.add(&r.counts);
            a
        })
    };
    use motcua_domain::stats::Measure as M;
    // 28/03–30/04: days of March from the daily rows, April from the monthly row.
    let all = sum(s
        .stat_sums(&q(jiff::civil::date(2025, 3, 28), jiff::civil::date(2025, 4, 30)), StatGroup::All)
        .await
        .unwrap());
    assert_eq!(
        (all.get(M::Received), all.get(M::Done), all.get(M::Withdrawn), all.get(M::InProgress), all.get(M::Finished)),
        (3, 1, 1, 1, 1)
    );
    assert_eq!((all.get(M::OnTime), all.get(M::Early), all.get(M::SpentMinutes)), (1, 1, 6 * 1440));
    // April only: the two received in April, and the one ended in April.
    let april = sum(s
        .stat_sums(&q(jiff::civil::date(2025, 4, 1), jiff::civil::date(2025, 4, 30)), StatGroup::All)
        .await
        .unwrap());
    assert_eq!((april.get(M::Received), april.get(M::Finished)), (2, 1));
    let by_day =
        s.stat_sums(&q(jiff::civil::date(2025, 3, 1), jiff::civil::date(2025, 4, 30)), StatGroup::Day).await.unwrap();
    assert_eq!(by_day.iter().map(|r| r.group.as_str()).collect::<Vec<_>>(), vec!["20250328", "20250402", "20250403"]);
    let by_month = s
        .stat_sums(&q(jiff::civil::date(2025, 3, 15), jiff::civil::date(2025, 4, 30)), StatGroup::Month)
        .await
        .unwrap();
    assert_eq!(
        by_month.iter().map(|r| (r.group.as_str(), r.counts.get(M::Received))).collect::<Vec<_>>(),
        vec![("202503", 1), ("202504", 2)]
    );
    let other = StatQuery { orgs: Some(vec![]), ..q(jiff::civil::date(2025, 1, 1), jiff::civil::date(2025, 12, 31)) };
    assert!(s.stat_sums(&other, StatGroup::All).await.unwrap().is_empty());
    let spring = || q(jiff::civil::date(2025, 3, 1), jiff::civil::date(2025, 4, 30));
    let field = FieldCode::parse("Cư trú").unwrap();
    let by_field = s.stat_sums(&StatQuery { field: Some(field.clone()), ..spring() }, StatGroup::Field).await.unwrap();
    let by_field = by_field
        .iter()
        .map(|r| (r.group.as_str(), r.counts.get(M::Received), r.counts.get(M::Rated), r.counts.get(M::Stars)));
    assert_eq!(by_field.collect::<Vec<_>>(), vec![(field.as_str(), 3, 1, 4)]);
    let by_level =
        s.stat_sums(&StatQuery { level: Some("province".into()), ..spring() }, StatGroup::Level).await.unwrap();
    assert!(by_level.is_empty());
    let commune =
        sum(s.stat_sums(&StatQuery { level: Some("commune".into()), ..spring() }, StatGroup::Level).await.unwrap());
    assert_eq!(commune.get(M::Received), 3);
    let online = sum(s
        .stat_sums(&StatQuery { channel: Some(motcua_domain::workflow::Channel::Post), ..spring() }, StatGroup::Org)
        .await
        .unwrap());
    assert_eq!(online.get(M::Received), 0);

    // Open now: on 10/04 at 09:00 the third dossier is overdue since 09/04 11:00; on 09/04
    // at 10:00 it is due soon; at 12:00 the same day it is overdue (counted on the clock).
    let clock = |day: jiff::civil::Date, h| Clock {
        now: vn(day.year(), day.month(), day.day(), h),
        today: day,
        today_start: vietnam_midnight(day),
        soon_until: day.tomorrow().unwrap(),
    };
    let open = |c: Clock| {
        let s = s.clone();
        let q = q(jiff::civil::date(2025, 1, 1), jiff::civil::date(2025, 1, 1));
        async move {
            s.open_now(&q, StatGroup::All, &c).await.unwrap().into_iter().map(|(_, o)| o).next().unwrap_or_default()
        }
    };
    let later = open(clock(jiff::civil::date(2025, 4, 10), 9)).await;
    assert_eq!((later.open, later.overdue, later.due_soon), (1, 1, 0));
    let before = open(clock(jiff::civil::date(2025, 4, 9), 10)).await;
    assert_eq!((before.open, before.overdue, before.due_soon), (1, 0, 1));
    let after = open(clock(jiff::civil::date(2025, 4, 9), 12)).await;
    assert_eq!((after.open, after.overdue, after.due_soon), (1, 1, 0));
    let by_org = s
        .open_now(
            &q(jiff::civil::date(2025, 1, 1), jiff::civil::date(2025, 1, 1)),
            StatGroup::Org,
            &clock(jiff::civil::date(2025, 4, 9), 12),
        )
        .await
        .unwrap();
    assert_eq!(by_org.iter().map(|(g, o)| (g.as_str(), o.overdue)).collect::<Vec<_>>(), vec![(dossiers::DESK, 1)]);

    // A rebuild gives back the same counters.
    assert_eq!(s.rebuild_stats().await.unwrap(), 3);
    assert_eq!(s.stat_snapshot().await.unwrap(), kept);
    assert_eq!(s.meta("stats_built").await.unwrap().as_deref(), Some("1"));
}

// ---- Kiosks, queues, appointments (issue 9) ----

mod service {
    use super::*;
    use jiff::civil::{Date, date};
    use motcua_domain::service::{Capacity, ConfirmationCode, PointCode, PointKind, ServiceLetter};
    pub use motcua_store::service::{
        Appointment, AppointmentStatus, BookOutcome, IssueOutcome, NewSlot, OtpCheck as Otp, QueueCounter,
        QueueService, ServicePoint, TicketStatus as Status,
    };

    pub const CENTRE: &str = "000.00.31.H22";

    pub fn letter(c: &str) -> ServiceLetter {
        ServiceLetter::parse(c).unwrap()
    }

    pub async fn seed_queue(s: &Arc<dyn Store>) -> OrgCode {
        seed_units_and_orgs(s).await;
        let centre = OrgCode::parse(CENTRE).unwrap();
        s.set_queue(
            &centre,
            &[
                QueueService { letter: letter("A"), name: "Hộ tịch".into() },
                QueueService { letter: letter("B"), name: "Đất đai".into() },
            ],
            &[
                QueueCounter { number: 1, name: "Quầy 1".into(), letters: vec![letter("A")] },
                QueueCounter { number: 2, name: "Quầy 2".into(), letters: vec![letter("A"), letter("B")] },
            ],
        )
        .await
        .unwrap();
        centre
    }

    pub async fn issue(s: &Arc<dyn Store>, centre: &OrgCode, l: &str, day: Date, at: Timestamp) -> i64 {
        match s.issue_ticket(centre, letter(l), day, at).await.unwrap() {
            IssueOutcome::Issued(t) => t.number,
            other => panic!("{other:?}"),
        }
    }

    pub async fn staff(s: &Arc<dyn Store>) -> i64 {
        s.create_account(&new_staff("halong.motcua", &[(CENTRE, Role::DeskOfficer)])).await.unwrap().id
    }

    pub fn point(code: &str, org: &str) -> ServicePoint {
        ServicePoint {
            code: PointCode::parse(code).unwrap(),
            org: OrgCode::parse(org).unwrap(),
            name: format!("Điểm {code}"),
            kind: PointKind::Doctor,
            description: String::new(),
            parent: None,
            active: true,
        }
    }

    pub fn appointment(code: &str) -> Appointment {
        Appointment {
            code: ConfirmationCode::parse(code).unwrap(),
            slot_id: 0,
            full_name: "Nguyễn Văn An".into(),
            phone: "0912345678".into(),
            email: None,
            note: String::new(),
            account_id: None,
            status: AppointmentStatus::Booked,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            reminded_for: None,
        }
    }

    pub fn code(i: usize) -> String {
        // Letters of the confirmation alphabet only.
        let alphabet = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        (0..8).map(|k| alphabet[(i / alphabet.len().pow(k)) % alphabet.len()] as char).collect()
    }

    /// Now, to the second (slots start on whole minutes; the store keeps microseconds).
    pub fn now_s() -> Timestamp {
        Timestamp::from_second(Timestamp::now().as_second()).unwrap()
    }

    pub async fn slots(s: &Arc<dyn Store>, p: &PointCode, starts: &[Timestamp], capacity: i64) -> Vec<i64> {
        let new: Vec<NewSlot> = starts
            .iter()
            .map(|t| NewSlot {
                starts_at: *t,
                ends_at: *t + SignedDuration::from_mins(30),
                capacity: Capacity::parse(capacity).unwrap(),
            })
            .collect();
        assert_eq!(s.add_slots(p, &new).await.unwrap(), starts.len() as u64);
        let all = s.slots(p, Timestamp::MIN, Timestamp::MAX).await.unwrap();
        starts.iter().map(|t| all.iter().find(|x| x.starts_at == *t).unwrap().id).collect()
    }

    pub fn day() -> Date {
        date(2026, 12, 1)
    }

    pub fn booked(o: BookOutcome) -> Box<motcua_store::service::Booking> {
        match o {
            BookOutcome::Booked(b) => b,
            other => panic!("{other:?}"),
        }
    }
}

async fn queue_tickets_number_per_service_and_day(s: Arc<dyn Store>) {
    use service::*;
    let centre = seed_queue(&s).await;
    let now = Timestamp::now();
    assert_eq!(issue(&s, &centre, "A", day(), now).await, 1);
    assert_eq!(issue(&s, &centre, "A", day(), now).await, 2);
    assert_eq!(issue(&s, &centre, "B", day(), now).await, 1, "each service counts on its own");
    assert_eq!(issue(&s, &centre, "A", day().tomorrow().unwrap(), now).await, 1, "a new day starts at 1");
    assert!(matches!(
        s.issue_ticket(&centre, letter("C"), day(), now).await.unwrap(),
        motcua_store::service::IssueOutcome::NoService
    ));
    let labels: Vec<String> = s.tickets_of_day(&centre, day()).await.unwrap().iter().map(|t| t.label()).collect();
    assert_eq!(labels, ["A001", "A002", "B001"]);
    assert_eq!(s.queue_services(&centre).await.unwrap().len(), 2);
    assert_eq!(s.queue_counters(&centre).await.unwrap()[1].letters, vec![letter("A"), letter("B")]);

    // Concurrent kiosks: distinct, gap-free numbers.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let s = s.clone();
        let centre = centre.clone();
        tasks.push(tokio::spawn(async move { issue(&s, &centre, "B", day(), Timestamp::now()).await }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=41).collect::<Vec<i64>>());
}

async fn counters_never_call_the_same_ticket(s: Arc<dyn Store>) {
    use service::*;
    let centre = seed_queue(&s).await;
    let by = staff(&s).await;
    let t0 = Timestamp::now();
    for _ in 0..30 {
        issue(&s, &centre, "A", day(), t0).await;
    }
    issue(&s, &centre, "B", day(), t0).await;
    // Counter 1 calls only A: B001 is left for counter 2.
    let mut tasks = Vec::new();
    // Counter 2 alone calls often enough to empty the queue, whatever the interleaving.
    for i in 0..50 {
        let s = s.clone();
        let centre = centre.clone();
        let counter = if i % 5 == 0 { 1 } else { 2 };
        tasks.push(tokio::spawn(async move { s.call_next(&centre, counter, day(), Timestamp::now(), by).await }));
    }
    let mut called = Vec::new();
    for t in tasks {
        if let Some(ticket) = t.await.unwrap().unwrap() {
            called.push(ticket.label());
        }
    }
    let mut unique = called.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), called.len(), "a ticket was called twice: {called:?}");
    assert_eq!(called.len(), 31, "everyone waiting is called");
    // Every counter's earlier ticket was finished as served when it called the next.
    let day_tickets = s.tickets_of_day(&centre, day()).await.unwrap();
    let open = day_tickets.iter().filter(|t| t.status == Status::Called).count();
    assert!(open <= 2, "at most one open call per counter");
    assert_eq!(day_tickets.iter().filter(|t| t.status == Status::Served).count() + open, 31);
    assert!(s.call_next(&centre, 1, day(), Timestamp::now(), by).await.unwrap().is_none());
    assert!(matches!(s.call_next(&centre, 9, day(), Timestamp::now(), by).await, Err(StoreError::MissingReference(_))));
}

async fn queue_stats_count_and_time_the_wait(s: Arc<dyn Store>) {
    use service::*;
    let centre = seed_queue(&s).await;
    let by = staff(&s).await;
    let t0 = Timestamp::from_second(1_800_000_000).unwrap();
    issue(&s, &centre, "A", day(), t0).await;
    issue(&s, &centre, "A", day(), t0 + SignedDuration::from_secs(60)).await;
    issue(&s, &centre, "A", day(), t0 + SignedDuration::from_secs(120)).await;
    // A001 waits 300 s, A002 waits 600 s (called at t0+660), A003 is still waiting.
    let a1 = s.call_next(&centre, 1, day(), t0 + SignedDuration::from_secs(300), by).await.unwrap().unwrap();
    let a2 = s.call_next(&centre, 2, day(), t0 + SignedDuration::from_secs(660), by).await.unwrap().unwrap();
    assert_eq!((a1.label(), a2.label()), ("A001".into(), "A002".into()));
    assert!(s.finish_ticket(&centre, a2.id, Status::NoShow, t0 + SignedDuration::from_secs(700)).await.unwrap());
    assert!(!s.finish_ticket(&centre, a2.id, Status::Served, t0).await.unwrap(), "already finished");
    let stats = s.queue_stats(&centre, day(), day()).await.unwrap();
    assert_eq!(stats.len(), 1);
    let a = &stats[0];
    assert_eq!((a.issued, a.waiting, a.called, a.served, a.no_show), (3, 1, 1, 0, 1));
    assert_eq!(a.mean_wait_secs, Some(450.0));
    assert_eq!(a.max_wait_secs, Some(600));
    assert!(s.queue_stats(&centre, day().tomorrow().unwrap(), day().tomorrow().unwrap()).await.unwrap().is_empty());
}

async fn slots_never_overbook_under_concurrency(s: Arc<dyn Store>) {
    use service::*;
    seed_units_and_orgs(&s).await;
    let p = point("bs-an", "000.00.01.H22");
    s.upsert_point(&p).await.unwrap();
    let start = now_s() + SignedDuration::from_hours(48);
    let ids = slots(&s, &p.code, &[start], 3).await;
    // Adding the same start again leaves the slot as it was.
    let again = motcua_store::service::NewSlot {
        starts_at: start,
        ends_at: start + SignedDuration::from_mins(10),
        capacity: motcua_domain::service::Capacity::parse(9).unwrap(),
    };
    assert_eq!(s.add_slots(&p.code, &[again]).await.unwrap(), 0);
    let mut tasks = Vec::new();
    for i in 0..60 {
        let s = s.clone();
        let slot = ids[0];
        tasks.push(tokio::spawn(
            async move { s.book(slot, &appointment(&code(i)), &[], Timestamp::now()).await.unwrap() },
        ));
    }
    let (mut ok, mut full) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            motcua_store::service::BookOutcome::Booked(_) => ok += 1,
            motcua_store::service::BookOutcome::Full => full += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((ok, full), (3, 57));
    let slot = &s.slots(&p.code, Timestamp::MIN, Timestamp::MAX).await.unwrap()[0];
    assert_eq!((slot.booked, slot.capacity), (3, 3));
    assert_eq!(s.appointments_between(&p.code, Timestamp::MIN, Timestamp::MAX).await.unwrap().len(), 3);
    // A slot that has started takes nobody.
    let past = slots(&s, &p.code, &[now_s() - SignedDuration::from_hours(1)], 5).await;
    assert!(matches!(
        s.book(past[0], &appointment(&code(999)), &[], Timestamp::now()).await.unwrap(),
        motcua_store::service::BookOutcome::NoSlot
    ));
}

async fn appointments_move_cancel_and_remind(s: Arc<dyn Store>) {
    use service::*;
    seed_units_and_orgs(&s).await;
    let p = point("kham-noi", "000.00.01.H22");
    let other = point("kham-mat", "000.00.01.H22");
    s.upsert_point(&p).await.unwrap();
    s.upsert_point(&other).await.unwrap();
    let now = now_s();
    let t1 = now + SignedDuration::from_hours(3);
    let t2 = now + SignedDuration::from_hours(30);
    let ids = slots(&s, &p.code, &[t1, t2], 1).await;
    let elsewhere = slots(&s, &other.code, &[t1], 1).await;
    let a = booked(s.book(ids[0], &appointment(&code(1)), &[], now).await.unwrap());
    assert_eq!(a.slot.id, ids[0]);
    assert_eq!(a.point.code, p.code);
    let c = a.appointment.code.clone();
    assert!(matches!(s.book(ids[0], &appointment(&code(2)), &[], now).await.unwrap(), BookOutcome::Full));

    // Reminders: the one starting within a day, once.
    let due = s.reminders_due(now, now + SignedDuration::from_hours(24), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let note = motcua_store::payments::NewNotification {
        dossier: None,
        event_seq: 0,
        topic: Some(format!("appointment:{c}:reminder:{t1}")),
        channel: "sms".into(),
        recipient: "0912345678".into(),
        subject: "Nhắc lịch hẹn".into(),
        body: "Nhắc lịch hẹn".into(),
    };
    s.queue_reminder(&c, t1, std::slice::from_ref(&note), now).await.unwrap();
    s.queue_reminder(&c, t1, std::slice::from_ref(&note), now).await.unwrap();
    assert!(s.reminders_due(now, now + SignedDuration::from_hours(24), 10).await.unwrap().is_empty());
    let queued = s.due_notifications(now + SignedDuration::from_secs(1), 50).await.unwrap();
    assert_eq!(queued.iter().filter(|n| n.note.topic == note.topic).count(), 1, "queued once per topic");
    assert_eq!(queued[0].note.dossier, None);

    // Moving: to the other slot of the point; not to another point's slot.
    assert!(matches!(s.reschedule(&c, elsewhere[0], &[], now).await.unwrap(), BookOutcome::NoSlot));
    let moved = booked(s.reschedule(&c, ids[1], &[], now).await.unwrap());
    assert_eq!(moved.slot.id, ids[1]);
    assert_eq!(moved.appointment.reminded_for, None, "a new time gets a new reminder");
    let all = s.slots(&p.code, Timestamp::MIN, Timestamp::MAX).await.unwrap();
    assert_eq!(all.iter().map(|x| x.booked).collect::<Vec<_>>(), [0, 1], "the old place is given back");
    // The freed place can be taken; the full one cannot be moved into.
    let b = booked(s.book(ids[0], &appointment(&code(3)), &[], now).await.unwrap());
    assert!(matches!(s.reschedule(&b.appointment.code, ids[1], &[], now).await.unwrap(), BookOutcome::Full));
    assert_eq!(
        s.booking(&b.appointment.code).await.unwrap().unwrap().slot.id,
        ids[0],
        "a refused move changes nothing"
    );

    // Cancelling gives the place back, once.
    assert!(s.cancel_appointment(&c, &[], now).await.unwrap());
    assert!(!s.cancel_appointment(&c, &[], now).await.unwrap());
    assert!(matches!(s.reschedule(&c, ids[1], &[], now).await.unwrap(), BookOutcome::NotActive));
    assert_eq!(s.booking(&c).await.unwrap().unwrap().appointment.status, AppointmentStatus::Cancelled);
    let all = s.slots(&p.code, Timestamp::MIN, Timestamp::MAX).await.unwrap();
    assert_eq!(all.iter().map(|x| x.booked).collect::<Vec<_>>(), [1, 0]);
    assert!(s.attend_appointment(&b.appointment.code, now).await.unwrap());
    assert!(!s.attend_appointment(&b.appointment.code, now).await.unwrap());
    assert_eq!(s.points(Some(&OrgCode::parse("000.00.01.H22").unwrap())).await.unwrap().len(), 2);
    assert!(s.points(Some(&OrgCode::parse("000.00.31.H22").unwrap())).await.unwrap().is_empty());
}

async fn otps_work_once_and_run_out(s: Arc<dyn Store>) {
    use service::*;
    seed_units_and_orgs(&s).await;
    let account = staff(&s).await;
    let now = Timestamp::now();
    let later = now + SignedDuration::from_mins(5);
    s.create_otp(account, "c1", "h1", later, &[], now).await.unwrap();
    s.create_otp(account, "c2", "h2", later, &[], now).await.unwrap();
    assert_eq!(s.otps_since(account, now - SignedDuration::from_secs(1)).await.unwrap(), 2);
    assert_eq!(s.check_otp("c1", "nope", now, 5).await.unwrap(), Otp::Wrong(4), "a newer code does not cancel it");
    assert_eq!(s.check_otp("c2", "nope", now, 5).await.unwrap(), Otp::Wrong(4));
    assert_eq!(s.check_otp("c2", "h2", now, 5).await.unwrap(), Otp::Valid(account));
    assert_eq!(s.check_otp("c2", "h2", now, 5).await.unwrap(), Otp::Spent, "once only");

    s.create_otp(account, "c3", "h3", later, &[], now).await.unwrap();
    for left in (0..3).rev() {
        assert_eq!(s.check_otp("c3", "x", now, 3).await.unwrap(), Otp::Wrong(left));
    }
    assert_eq!(s.check_otp("c3", "h3", now, 3).await.unwrap(), Otp::Spent, "out of tries");
    s.create_otp(account, "c4", "h4", later, &[], now).await.unwrap();
    assert_eq!(s.check_otp("c4", "h4", later, 5).await.unwrap(), Otp::Spent, "expired");
    assert_eq!(s.check_otp("unknown", "h4", now, 5).await.unwrap(), Otp::Spent);
}

/// Dossiers stored before the search column existed are found once the store has opened again.
async fn search_text_is_filled_for_old_rows(engine: Engine) {
    let Some(db) = TestDb::new(engine).await else { return };
    let wf = dossiers::seed(&db.store).await;
    let made = dossiers::created(dossiers::create(&db.store, &wf, jiff::civil::date(2025, 3, 3), None).await);
    let search = |q: &str| motcua_store::DossierFilter { search: Some(q.into()), ..Default::default() };
    let found = db.store.list_dossiers(&search("nguyen van an"), &motcua_store::DossierPage::first(50)).await.unwrap();
    assert_eq!(
        found.items.first().map(|d| d.code.clone()),
        Some(made.dossier.code.clone()),
        "written with the dossier"
    );
    assert_eq!(
        db.store
            .list_dossiers(&search("Nguyễn Văn"), &motcua_store::DossierPage::first(50))
            .await
            .unwrap()
            .total
            .value(),
        1
    );
    assert_eq!(
        db.store
            .list_dossiers(&search("0303-0001"), &motcua_store::DossierPage::first(50))
            .await
            .unwrap()
            .total
            .value(),
        1,
        "code's end"
    );
    assert_eq!(
        db.store.list_dossiers(&search("%"), &motcua_store::DossierPage::first(50)).await.unwrap().total.value(),
        0,
        "literal %"
    );
    assert_eq!(db.execute_raw("UPDATE dossiers SET search_text = NULL").await, 1);
    assert_eq!(
        db.store.list_dossiers(&search("van an"), &motcua_store::DossierPage::first(50)).await.unwrap().total.value(),
        0
    );
    let options = motcua_store::ConnectOptions { max_connections: 2, ..Default::default() };
    let reopened = motcua_store::connect(&db.url, &options).await.unwrap();
    assert_eq!(
        reopened.list_dossiers(&search("van an"), &motcua_store::DossierPage::first(50)).await.unwrap().total.value(),
        1,
        "filled on open"
    );
    // The words a unit searches by, likewise (dossiers stored before `dossier_terms`).
    let unit = |q: &str| motcua_store::DossierFilter {
        involving: Some(vec![OrgCode::parse(dossiers::DESK).unwrap()]),
        search: Some(q.into()),
        ..Default::default()
    };
    let found = |s: Arc<dyn Store>, q: &str| {
        let filter = unit(q);
        async move { s.count_dossiers(&filter).await.unwrap().value() }
    };
    assert_eq!(found(reopened.clone(), "van an").await, 1, "written with the dossier");
    // More words than one statement of the fill takes (2,000), and a mark whose dossier is gone.
    let mut more = tokio::task::JoinSet::new();
    for _ in 0..299 {
        let (s, wf) = (db.store.clone(), wf.clone());
        more.spawn(async move { dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 4), None).await });
    }
    assert_eq!(more.join_all().await.len(), 299);
    if engine == Engine::Sqlite {
        // Their words moved out of `dossier_terms_recent` first (a moment after the commits).
        recent_words::moved(&db).await;
    }
    assert!(db.scalar("SELECT COUNT(*) FROM dossier_terms").await > 2_000, "words for more than one statement");
    assert!(db.execute_raw("DELETE FROM dossier_terms").await > 0);
    assert_eq!(db.execute_raw("INSERT INTO dossier_terms_pending (dossier_code) SELECT code FROM dossiers").await, 300);
    assert_eq!(
        db.execute_raw("INSERT INTO dossier_terms_pending (dossier_code) VALUES ('H22.37-250101-9999')").await,
        1
    );
    assert_eq!(found(reopened.clone(), "van an").await, 0);
    let again = motcua_store::connect(&db.url, &options).await.unwrap();
    assert_eq!(found(again.clone(), "van an").await, 300, "filled on open");
    assert_eq!(found(again.clone(), "nguyen").await, 300);
    assert_eq!(found(again, &made.dossier.code.as_str().to_lowercase()).await, 1);
    assert_eq!(db.execute_raw("DELETE FROM dossier_terms_pending").await, 0, "none left to fill, the gone one too");
}

#[tokio::test]
async fn sqlite_search_text_is_filled_for_old_rows() {
    search_text_is_filled_for_old_rows(Engine::Sqlite).await;
}

#[tokio::test]
async fn postgres_search_text_is_filled_for_old_rows() {
    search_text_is_filled_for_old_rows(Engine::Postgres).await;
}

#[tokio::test]
async fn sqlite_grouped_submissions_are_found_as_soon_as_answered() {
    let db = TestDb::new(Engine::Sqlite).await.expect("sqlite");
    grouped_submissions_are_found_as_soon_as_answered(&db).await;
}

#[tokio::test]
async fn sqlite_new_words_are_moved_and_found_once() {
    let db = TestDb::new(Engine::Sqlite).await.expect("sqlite");
    recent_words::new_words_are_moved_and_found_once(&db).await;
}

#[tokio::test]
async fn postgres_grouped_submissions_are_found_as_soon_as_answered() {
    let Some(db) = TestDb::new(Engine::Postgres).await else { return };
    grouped_submissions_are_found_as_soon_as_answered(&db).await;
}

/// SQLite: every write queues for the one writing connection, so none ever waits in SQLite's
/// busy handler. With the busy timeout at zero a write that met another's lock would fail at
/// once ("database is locked"); 300 concurrent writes of four kinds, with reads between them,
/// must all succeed, and the codes stay gap-free.
#[tokio::test]
async fn sqlite_writes_queue_instead_of_waiting_for_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let url = motcua_store::sqlite_url(&dir.path().join("motcua.db"));
    let options = motcua_store::ConnectOptions {
        max_connections: 8,
        sqlite_busy_timeout: std::time::Duration::ZERO,
        ..Default::default()
    };
    let s = motcua_store::connect(&url, &options).await.unwrap();
    let wf = dossiers::seed(&s).await;
    let a = s.create_account(&new_staff("stp.motcua", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap().id;
    let day = jiff::civil::date(2025, 3, 3);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..75u32 {
        let (s1, wf) = (s.clone(), wf.clone());
        tasks.spawn(async move {
            let made = dossiers::created(dossiers::create(&s1, &wf, day, None).await);
            assert!(s1.dossier(&made.dossier.code).await.unwrap().is_some(), "read beside the writer");
            Some(made.dossier.code.sequence())
        });
        let s2 = s.clone();
        tasks.spawn(async move {
            let token = format!("tok-{i}");
            s2.create_session(&token, a, Timestamp::now() + SignedDuration::from_hours(1)).await.unwrap();
            assert!(s2.delete_session(&token).await.unwrap());
            None
        });
        let s3 = s.clone();
        tasks.spawn(async move {
            let draft = motcua_store::Draft {
                id: None,
                account_id: a,
                procedure: ProcedureCode::parse("1.004194").unwrap(),
                body: "{}".into(),
                updated_at: Timestamp::now(),
            };
            s3.save_draft(&draft).await.unwrap();
            s3.set_meta(&format!("k{i}"), "v").await.unwrap();
            None
        });
    }
    let mut seqs: Vec<u32> = tasks.join_all().await.into_iter().flatten().collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=75).collect::<Vec<u32>>());
}

#[tokio::test]
async fn sqlite_a_bulk_load_gives_its_writer_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("motcua.db");
    let store =
        motcua_store::SqliteStore::connect(&motcua_store::sqlite_url(&file), &Default::default()).await.unwrap();
    lists::sqlite_a_bulk_load_gives_its_writer_back(store, &file).await;
}

/// Writes waiting at the same moment share one commit (one fsync) on SQLite, and each stays
/// its own: one that fails (a taken username) or rolls back (a repeated idempotency key) in
/// the middle of a group undoes only itself, and every acknowledged write is on disk when a
/// fresh connection opens the file.
/// (Each dossier goes to a day of its own: submissions to one desk on one day are grouped
/// before they reach the writer, see `submissions_to_one_desk_share_a_transaction_and_fail_alone`.)
#[tokio::test]
async fn sqlite_waiting_writes_share_a_commit_and_fail_alone() {
    use motcua_domain::DossierCode;
    use motcua_store::CreateOutcome;
    let dir = tempfile::tempdir().unwrap();
    let url = motcua_store::sqlite_url(&dir.path().join("motcua.db"));
    let options = motcua_store::ConnectOptions { sqlite_busy_timeout: std::time::Duration::ZERO, ..Default::default() };
    let store = motcua_store::SqliteStore::connect(&url, &options).await.unwrap();
    let s: Arc<dyn Store> = Arc::new(store.clone());
    let wf = dossiers::seed(&s).await;
    let owner = s.create_account(&new_staff("da.co", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap().id;
    let key = motcua_store::IdempotencyKey { account_id: owner, key: "k-1".into(), request_hash: "h".into() };
    let first = dossiers::created(dossiers::create(&s, &wf, jiff::civil::date(2025, 3, 3), Some(&key)).await);
    let (writes_before, commits_before) = store.group_commits().unwrap();
    let day = jiff::civil::date(2025, 3, 4);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40u32 {
        let (s1, wf) = (s.clone(), wf.clone());
        let key = key.clone();
        tasks.spawn(async move {
            match i {
                // A taken username fails with its own error …
                13 => {
                    let err = s1
                        .create_account(&new_staff("da.co", &[("000.00.01.H22", Role::DeskOfficer)]))
                        .await
                        .unwrap_err();
                    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
                    None
                }
                // … a repeated key finds its first dossier and writes nothing …
                27 => match dossiers::create(&s1, &wf, day, Some(&key)).await {
                    CreateOutcome::Existing { code, .. } => Some(code),
                    CreateOutcome::Created(_) => panic!("the key was used before"),
                },
                // … and the others are written.
                _ => {
                    let day = day.checked_add(jiff::Span::new().days(i64::from(i))).unwrap();
                    Some(dossiers::created(dossiers::create(&s1, &wf, day, None).await).dossier.code)
                }
            }
        });
    }
    let codes: Vec<DossierCode> = tasks.join_all().await.into_iter().flatten().collect();
    assert_eq!(codes.len(), 39);
    let (writes, commits) = store.group_commits().unwrap();
    assert_eq!(writes - writes_before, 38, "the 38 new dossiers were committed, the failure and the repeat were not");
    assert!(commits - commits_before < 38, "{} commits for 38 writes: nothing was grouped", commits - commits_before);
    drop((s, store));
    // (The closing store checkpoints the file a moment; the new one may wait for that.)
    let again = motcua_store::connect(&url, &Default::default()).await.unwrap();
    for code in &codes {
        assert!(again.dossier(code).await.unwrap().is_some(), "{code} was acknowledged and must be on disk");
    }
    let seqs: Vec<u32> = codes.iter().filter(|c| **c != first.dossier.code).map(|c| c.sequence()).collect();
    assert_eq!(seqs, vec![1; 38], "each day's first code, no number lost in the group");
    let name = motcua_domain::Username::parse("da.co").unwrap();
    assert_eq!(again.account_credentials(&name).await.unwrap().unwrap().0.id, owner);
}

/// A write whose caller goes away half-way (a client hanging up) is undone as a whole and
/// does not keep SQLite's write lock: another process can write straight after.
#[tokio::test]
async fn sqlite_a_write_dropped_half_way_is_undone_and_frees_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motcua.db");
    let url = motcua_store::sqlite_url(&path);
    let options = motcua_store::ConnectOptions { sqlite_busy_timeout: std::time::Duration::ZERO, ..Default::default() };
    let store = motcua_store::SqliteStore::connect(&url, &options).await.unwrap();
    let s: Arc<dyn Store> = Arc::new(store.clone());
    let wf = dossiers::seed(&s).await;
    let day = jiff::civil::date(2025, 3, 3);
    let other = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    let mut kept = Vec::new();
    for wait_us in (0..400).step_by(20) {
        let (s1, wf1) = (s.clone(), wf.clone());
        let task = tokio::spawn(async move { dossiers::create(&s1, &wf1, day, None).await });
        tokio::time::sleep(std::time::Duration::from_micros(wait_us)).await;
        task.abort();
        if let Ok(done) = task.await {
            kept.push(dossiers::created(done).dossier.code);
        }
        // The other process gets the write lock soon (no busy wait: it retries here).
        let mut tries = 0;
        loop {
            match sqlx::query("BEGIN IMMEDIATE; ROLLBACK").execute(&other).await {
                Ok(_) => break,
                Err(e) if tries < 200 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(e) => panic!("the write lock stayed taken after a dropped write: {e}"),
            }
        }
    }
    // Whatever was cut off left nothing: every dossier present is whole, codes have no gap.
    let written = dossiers::created(dossiers::create(&s, &wf, day, None).await).dossier.code;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT d.code, (SELECT COUNT(*) FROM dossier_events e WHERE e.dossier_code = d.code) FROM dossiers d",
    )
    .fetch_all(&other)
    .await
    .unwrap();
    assert_eq!(rows.len() as u32, written.sequence(), "codes 1..n, no gap");
    assert!(rows.iter().all(|(_, events)| *events == 1), "{rows:?}");
    for code in kept {
        assert!(rows.iter().any(|(c, _)| *c == code.as_str()), "{code} was acknowledged");
    }
}

/// Collects sqlx's statement events (one per statement sent; COMMIT is one, the BEGIN it sends
/// when a transaction opens is not logged) on this thread.
struct Statements(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Summary(String);
        impl tracing::field::Visit for Summary {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "summary" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        if event.metadata().target() == "sqlx::query" {
            let mut s = Summary(String::new());
            event.record(&mut s);
            self.0.lock().unwrap().push(s.0);
        }
    }
}

/// PostgreSQL: a submission's transaction is BEGIN (not logged), the idempotency key's
/// lookup (when it has one), the day's sequence, then everything else in one statement (the
/// dossier, its first event, its files, the key, every statistics counter and open-dossier
/// row), COMMIT — five round trips, four without a key (twelve before: the counters alone
/// were seven statements, then one each for the dossier, the event, each file and the key).
/// Everything arrived: the files, the key (a retry finds the dossier) and the counters.
#[tokio::test]
async fn postgres_a_submission_writes_in_one_statement_after_its_code() {
    use motcua_store::{CreateOutcome, IdempotencyKey};
    use tracing_subscriber::layer::SubscriberExt;
    let Some(db) = TestDb::new(Engine::Postgres).await else { return };
    let wf = dossiers::seed(&db.store).await;
    let day = jiff::civil::date(2025, 3, 3);
    dossiers::created(dossiers::create(&db.store, &wf, day, None).await);
    let owner =
        db.store.create_account(&new_staff("mot.cua", &[("000.00.01.H22", Role::DeskOfficer)])).await.unwrap().id;
    let key = IdempotencyKey { account_id: owner, key: "k".into(), request_hash: "h".into() };
    let files = [file(1, AttachmentKind::Applicant), file(2, AttachmentKind::Applicant)];
    let build = dossiers::builder(&wf, None, Timestamp::now());
    let n = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Statements(n.clone()));
    let guard = tracing::subscriber::set_default(subscriber);
    let desk = OrgCode::parse(dossiers::DESK).unwrap();
    let made =
        dossiers::created(db.store.create_dossier(&desk, day, Some(&key), &files, &[], build.clone()).await.unwrap());
    drop(guard);
    assert_eq!(made.dossier.code.sequence(), 2);
    let sent = n.lock().unwrap().clone();
    assert_eq!(sent.len(), 4, "statements of one submission after BEGIN: {sent:#?}");
    assert!(sent[1].contains("INSERT INTO dossier_sequences"), "{sent:#?}");
    assert!(sent[2].contains("WITH s0 AS (INSERT"), "one statement after the sequence: {sent:#?}");
    assert_eq!(db.store.attachments(&made.dossier.code).await.unwrap(), files.to_vec());
    assert_eq!(db.store.events(&made.dossier.code).await.unwrap().len(), 1);
    match db.store.create_dossier(&desk, day, Some(&key), &files, &[], build.clone()).await.unwrap() {
        CreateOutcome::Existing { code, .. } => assert_eq!(code, made.dossier.code),
        CreateOutcome::Created(_) => panic!("the key was stored with the dossier"),
    }
    // An action: the dossier's row read and locked, then one statement (update, event, files,
    // counters), COMMIT.
    let mut next = made.dossier.clone();
    next.status = motcua_domain::workflow::Status::Accepted;
    let draft = motcua_domain::audit::EventDraft {
        at_us: 1,
        actor_account: None,
        actor: "staff:test".into(),
        action: "receive".into(),
        from_status: Some(1),
        to_status: 2,
        from_step: None,
        to_step: None,
        details: "{}".into(),
    };
    let n = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(Statements(n.clone())));
    let result = [file(1, AttachmentKind::Result)];
    db.store.record_action(&made.dossier.code, 1, &next, None, draft, &result).await.unwrap();
    drop(guard);
    let sent = n.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "statements of one action after BEGIN: {sent:#?}");
    assert!(sent[1].contains("WITH s0 AS (UPDATE"), "{sent:#?}");
    assert_eq!(db.store.attachments(&made.dossier.code).await.unwrap().len(), 3);
    let counted = db.store.stat_snapshot().await.unwrap();
    assert!(!counted.days.is_empty());
    assert_eq!(counted, db.store.recompute_stats().await.unwrap(), "the counters match the dossiers");
}

/// The leaders' standing escalations are read from the small table of those not yet settled,
/// never from the archive of every escalation fired, on both engines.
#[tokio::test]
async fn standing_escalations_are_not_read_from_the_archive() {
    use motcua_store::escalations::STANDING;
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some(db) = TestDb::new(engine).await else { continue };
        for sql in [
            format!("SELECT e.org_code, COUNT(*) {STANDING} GROUP BY e.org_code ORDER BY e.org_code"),
            format!("SELECT e.dossier_code {STANDING} AND e.org_code = 'x' ORDER BY e.due_at, e.dossier_code LIMIT 5"),
        ] {
            let plan = db.query_plan(&sql).await;
            assert!(plan.contains("escalations_standing"), "{engine:?}: {plan}");
            let archive =
                plan.match_indices("escalations").filter(|(i, _)| !plan[*i..].starts_with("escalations_standing"));
            assert_eq!(archive.count(), 0, "{engine:?}: the archive read\n{plan}");
            assert!(plan.contains("dossiers_open_step_due"), "{engine:?}: the open dossiers' index\n{plan}");
        }
    }
}

/// A dossier's standing escalations leave the table in the transaction that finishes or
/// closes it, and a rule recorded after that never stands: after `escalations_fire_once`
/// (two leaders' rules fired for a dossier returned, two for one withdrawn, the second of
/// each after it ended), no row is left behind unseen on either engine, with no sweep run.
#[tokio::test]
async fn standing_escalations_leave_with_their_dossier() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some(db) = TestDb::new(engine).await else { continue };
        escalations_fire_once(db.store.clone()).await;
        assert_eq!(db.scalar("SELECT COUNT(*) FROM escalations WHERE notify = 'leader'").await, 4, "{engine:?}");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM escalations_standing").await, 0, "{engine:?}");
    }
}

/// A document's page lists its deliveries by DocumentId: the outbox, which keeps every
/// delivered item, is searched through an index, not read whole, on both engines.
#[tokio::test]
async fn deliveries_are_found_through_an_index() {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let Some(db) = TestDb::new(engine).await else { continue };
        let plan = db
            .query_plan(
                "SELECT id, target, kind, reference, attempts, next_attempt_at, last_error, delivered_at, created_at
                 FROM exchange_outbox WHERE reference = 'x' ORDER BY id",
            )
            .await;
        assert!(plan.contains("exchange_outbox_reference"), "{engine:?}: {plan}");
    }
}

/// A PostgreSQL test that fails with a transaction still open must fail, not hang: dropping
/// its database ends whoever holds a lock in the test's schema, then drops the schema.
#[tokio::test]
async fn postgres_a_test_schema_is_dropped_past_an_open_transaction() {
    use sqlx::Connection;
    let Some(db) = TestDb::new(Engine::Postgres).await else { return };
    let url = db.url.clone();
    let schema = url.rsplit("search_path%3D").next().expect("the schema in the URL").to_owned();
    let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE dossiers IN ACCESS EXCLUSIVE MODE").execute(&mut holder).await.unwrap();
    let started = std::time::Instant::now();
    drop(db);
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1")
        .bind(&schema)
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(left, 0, "schema {schema} dropped");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "dropped without waiting out the lock");
    assert!(sqlx::query("SELECT 1").execute(&mut holder).await.is_err(), "the holder was ended");
}
