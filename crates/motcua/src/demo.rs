//! Demo data for Quảng Ninh: the real 34 provinces and 3,321 communes, the province's
//! departments and its 54 commune-level units with their centres and police, a catalog of
//! real procedures, and one demo account for each staff role plus a citizen.
//!
//! Loading is idempotent: a marker in `meta` records that it ran, and every step is an
//! upsert, so a load interrupted half-way completes on the next run.

use motcua_domain::service::{Capacity, PointCode, PointKind, ServiceLetter};
use motcua_domain::{
    AccountKind, AdminUnit, Cccd, Email, Name, NewAccount, OrgCode, OrgKind, Organisation, Password, Phone, Procedure,
    ProcedureLevel, Role, RoleAssignment, UnitCode, Username,
};
use motcua_store::service::{NewSlot, QueueCounter, QueueService, ServicePoint};
use motcua_store::{Page, Store, StoreError, UnitFilter};

use crate::catalog::import::{self, ImportError, RecordError};

/// The 2025 administrative divisions (34 provinces, 3,321 communes), as shipped.
pub use crate::catalog::declarations::UNITS_2025;
/// The demo procedure catalog for Quảng Ninh.
pub const CATALOG: &str = include_str!("../../../data/demo/catalog-quang-ninh.json");
/// Password of every demo account. Printed on `serve --demo`: change it before real use.
pub const DEMO_PASSWORD: &str = "MotCua@2025";

const MARKER: &str = "demo_data";
const MARKER_VERSION: &str = "1";
const PROVINCE: &str = "22";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("dữ liệu mẫu không hợp lệ: {0}")]
    Invalid(String),
    #[error(transparent)]
    Auth(#[from] crate::accounts::auth::AuthError),
}

/// Settings that vary by deployment.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    /// The province's level-1 group of electronic identifiers (`000.00.00.<this>`). Quảng
    /// Ninh's official letter code is not confirmed, so it is configurable.
    pub agency_code: String,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self { agency_code: "H22".into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Loaded { units: usize, organisations: usize, procedures: usize, accounts: usize },
    AlreadyLoaded,
}

/// Provincial organisations: (level-2 group, name, kind, agency label used in the catalog).
const PROVINCE_ORGS: &[(&str, &str, OrgKind, &str)] = &[
    ("01", "Sở Tư pháp tỉnh Quảng Ninh", OrgKind::Department, "Sở Tư pháp"),
    ("02", "Sở Xây dựng tỉnh Quảng Ninh", OrgKind::Department, "Sở Xây dựng"),
    ("03", "Sở Tài chính tỉnh Quảng Ninh", OrgKind::Department, "Sở Tài chính"),
    ("04", "Sở Nông nghiệp và Môi trường tỉnh Quảng Ninh", OrgKind::Department, "Sở Nông nghiệp và Môi trường"),
    ("05", "Sở Công Thương tỉnh Quảng Ninh", OrgKind::Department, "Sở Công Thương"),
    ("06", "Sở Y tế tỉnh Quảng Ninh", OrgKind::Department, "Sở Y tế"),
    ("07", "Sở Giáo dục và Đào tạo tỉnh Quảng Ninh", OrgKind::Department, "Sở Giáo dục và Đào tạo"),
    ("08", "Sở Nội vụ tỉnh Quảng Ninh", OrgKind::Department, "Sở Nội vụ"),
    ("09", "Sở Văn hóa, Thể thao và Du lịch tỉnh Quảng Ninh", OrgKind::Department, "Sở Văn hóa, Thể thao và Du lịch"),
    ("20", "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh", OrgKind::ServiceCentre, ""),
    ("21", "Công an tỉnh Quảng Ninh", OrgKind::Police, "Công an tỉnh"),
    ("22", "Bảo hiểm xã hội tỉnh Quảng Ninh", OrgKind::Other, "Bảo hiểm xã hội tỉnh"),
];

const COMMUNE_COMMITTEE: &str = "Ủy ban nhân dân cấp xã";
const COMMUNE_POLICE: &str = "Công an cấp xã";

fn code(s: String) -> Result<OrgCode, DemoError> {
    OrgCode::parse(&s).map_err(|e| DemoError::Invalid(e.to_string()))
}

fn name(s: &str) -> Result<Name, DemoError> {
    Name::parse("tên", s).map_err(|e| DemoError::Invalid(e.to_string()))
}

/// The commune-level units of the province, in code order (there are 54 in Quảng Ninh).
async fn communes(store: &dyn Store) -> Result<Vec<AdminUnit>, DemoError> {
    let province = UnitCode::parse(PROVINCE).map_err(|e| DemoError::Invalid(e.to_string()))?;
    Ok(store.list_units(&UnitFilter { parent: Some(province), level: None }, Page::all()).await?.items)
}

/// "Phường Hạ Long" → "phường Hạ Long", for "Ủy ban nhân dân phường Hạ Long".
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

pub struct DemoOrgs {
    pub all: Vec<Organisation>,
    /// For each commune (by unit code): its People's Committee, service centre and police.
    pub communes: Vec<(UnitCode, OrgCode, OrgCode, OrgCode)>,
}

/// The organisation tree: province committee, departments, the provincial centre and
/// police; per commune a People's Committee, a Public Administration Service Centre under it,
/// and the commune police under the provincial police.
pub fn organisations(communes: &[AdminUnit], settings: &DemoSettings) -> Result<DemoOrgs, DemoError> {
    let l1 = &settings.agency_code;
    let province_unit = UnitCode::parse(PROVINCE).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let committee = code(format!("000.00.00.{l1}"))?;
    let police = code(format!("000.00.21.{l1}"))?;
    let mut all = vec![Organisation {
        code: committee.clone(),
        name: name("Ủy ban nhân dân tỉnh Quảng Ninh")?,
        kind: OrgKind::PeoplesCommittee,
        unit: province_unit.clone(),
        parent: None,
    }];
    for (group, org_name, kind, _) in PROVINCE_ORGS {
        all.push(Organisation {
            code: code(format!("000.00.{group}.{l1}"))?,
            name: name(org_name)?,
            kind: *kind,
            unit: province_unit.clone(),
            parent: Some(committee.clone()),
        });
    }
    let mut out = Vec::with_capacity(communes.len());
    for (i, c) in communes.iter().enumerate() {
        let group = 31 + i;
        let ubnd = code(format!("000.00.{group:02}.{l1}"))?;
        let centre = code(format!("001.00.{group:02}.{l1}"))?;
        let cpolice = code(format!("002.00.{group:02}.{l1}"))?;
        let local = lower_first(c.name.as_str());
        all.push(Organisation {
            code: ubnd.clone(),
            name: name(&format!("Ủy ban nhân dân {local}"))?,
            kind: OrgKind::PeoplesCommittee,
            unit: c.code.clone(),
            parent: None,
        });
        all.push(Organisation {
            code: centre.clone(),
            name: name(&format!("Trung tâm Phục vụ hành chính công {local}"))?,
            kind: OrgKind::ServiceCentre,
            unit: c.code.clone(),
            parent: Some(ubnd.clone()),
        });
        all.push(Organisation {
            code: cpolice.clone(),
            name: name(&format!("Công an {local}"))?,
            kind: OrgKind::Police,
            unit: c.code.clone(),
            parent: Some(police.clone()),
        });
        out.push((c.code.clone(), ubnd, centre, cpolice));
    }
    Ok(DemoOrgs { all, communes: out })
}

/// Fills each demo procedure's organisations from its agency label.
fn assign(procedure: &mut Procedure, orgs: &DemoOrgs, settings: &DemoSettings) -> Result<(), String> {
    let agency = procedure.agency.as_str();
    procedure.organisations = if agency == COMMUNE_COMMITTEE {
        orgs.communes.iter().map(|c| c.1.clone()).collect()
    } else if agency == COMMUNE_POLICE {
        orgs.communes.iter().map(|c| c.3.clone()).collect()
    } else {
        let (group, ..) = PROVINCE_ORGS
            .iter()
            .find(|(_, _, _, label)| *label == agency)
            .ok_or_else(|| format!("thủ tục {}: không biết cơ quan «{agency}»", procedure.code))?;
        vec![OrgCode::parse(&format!("000.00.{group}.{}", settings.agency_code)).map_err(|e| e.to_string())?]
    };
    let commune_agency = agency == COMMUNE_COMMITTEE || agency == COMMUNE_POLICE;
    if commune_agency != (procedure.level == ProcedureLevel::Commune) {
        return Err(format!("thủ tục {}: cấp thực hiện không khớp với cơ quan «{agency}»", procedure.code));
    }
    Ok(())
}

/// The demo catalog with organisations assigned, every record checked.
pub fn catalog(orgs: &DemoOrgs, settings: &DemoSettings) -> Result<Vec<Procedure>, DemoError> {
    let parsed =
        import::parse_records::<Procedure>(CATALOG, &indicatif::ProgressBar::hidden()).map_err(ImportError::Invalid)?;
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(parsed.len());
    for (mut p, position) in parsed {
        match assign(&mut p, orgs, settings).and_then(|()| p.check().map_err(|e| e.to_string())) {
            Ok(p) => out.push(p),
            Err(message) => errors.push(RecordError { position, message }),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(ImportError::Invalid(errors).into()) }
}

/// A demo account: username, full name, where (commune unit code or None for Sở Tư pháp),
/// role, and whether the role sits at the commune's service centre.
pub struct DemoLogin {
    pub username: &'static str,
    pub full_name: &'static str,
    pub place: &'static str,
    pub roles: &'static [Role],
}

const HA_LONG: &str = "06688";
const TIEN_YEN: &str = "06862";

pub const LOGINS: &[DemoLogin] = &[
    DemoLogin {
        username: "tinh.quantri", full_name: "Nguyễn Quốc Bảo", place: "tinh", roles: &[Role::Administrator]
    },
    DemoLogin { username: "stp.motcua", full_name: "Nguyễn Thị Lan", place: "stp", roles: &[Role::DeskOfficer] },
    DemoLogin { username: "stp.chuyenvien", full_name: "Trần Văn Minh", place: "stp", roles: &[Role::Specialist] },
    DemoLogin { username: "stp.lanhdao", full_name: "Phạm Quang Huy", place: "stp", roles: &[Role::Leader] },
    DemoLogin { username: "stp.vanthu", full_name: "Lê Thị Hằng", place: "stp", roles: &[Role::Clerk] },
    DemoLogin { username: "stp.quantri", full_name: "Vũ Đức Anh", place: "stp", roles: &[Role::Administrator] },
    DemoLogin { username: "halong.motcua", full_name: "Đỗ Thị Mai", place: HA_LONG, roles: &[Role::DeskOfficer] },
    DemoLogin {
        username: "halong.chuyenvien", full_name: "Hoàng Văn Nam", place: HA_LONG, roles: &[Role::Specialist]
    },
    DemoLogin { username: "halong.lanhdao", full_name: "Bùi Minh Tuấn", place: HA_LONG, roles: &[Role::Leader] },
    DemoLogin { username: "halong.vanthu", full_name: "Ngô Thị Thu", place: HA_LONG, roles: &[Role::Clerk] },
    DemoLogin {
        username: "halong.quantri", full_name: "Đặng Văn Hải", place: HA_LONG, roles: &[Role::Administrator]
    },
    DemoLogin { username: "tienyen.motcua", full_name: "Lý Thị Hoa", place: TIEN_YEN, roles: &[Role::DeskOfficer] },
    DemoLogin {
        username: "tienyen.chuyenvien",
        full_name: "Triệu Văn Sơn",
        place: TIEN_YEN,
        roles: &[Role::Specialist],
    },
    DemoLogin { username: "tienyen.lanhdao", full_name: "Vi Văn Thắng", place: TIEN_YEN, roles: &[Role::Leader] },
    DemoLogin { username: "tienyen.vanthu", full_name: "La Thị Nga", place: TIEN_YEN, roles: &[Role::Clerk] },
    DemoLogin {
        username: "tienyen.quantri",
        full_name: "Chu Văn Long",
        place: TIEN_YEN,
        roles: &[Role::Administrator],
    },
];

pub const CITIZEN_USERNAME: &str = "congdan";

/// Where each role sits: at Sở Tư pháp for the department; in a commune, the desk officer
/// at the service centre, the others at the People's Committee, and the administrator at both.
fn role_assignments(
    login: &DemoLogin,
    orgs: &DemoOrgs,
    settings: &DemoSettings,
) -> Result<Vec<RoleAssignment>, DemoError> {
    let mut out = Vec::new();
    for &role in login.roles {
        if login.place == "tinh" {
            out.push(RoleAssignment { org: code(format!("000.00.00.{}", settings.agency_code))?, role });
            continue;
        }
        if login.place == "stp" {
            out.push(RoleAssignment { org: code(format!("000.00.01.{}", settings.agency_code))?, role });
            continue;
        }
        let (_, ubnd, centre, _) = orgs
            .communes
            .iter()
            .find(|c| c.0.as_str() == login.place)
            .ok_or_else(|| DemoError::Invalid(format!("không có đơn vị {}", login.place)))?;
        match role {
            Role::DeskOfficer => out.push(RoleAssignment { org: centre.clone(), role }),
            Role::Administrator => {
                out.push(RoleAssignment { org: ubnd.clone(), role });
                out.push(RoleAssignment { org: centre.clone(), role });
            }
            _ => out.push(RoleAssignment { org: ubnd.clone(), role }),
        }
    }
    Ok(out)
}

fn invalid(e: motcua_domain::DomainError) -> DemoError {
    DemoError::Invalid(e.to_string())
}

/// Stores the shipped workflows if the database has none.
pub async fn ensure_workflows(store: &dyn Store) -> Result<(), DemoError> {
    if store.workflows().await?.is_empty() {
        let wfs = motcua_domain::workflow::default_workflows().map_err(|e| DemoError::Invalid(e.to_string()))?;
        store.upsert_workflows(&wfs).await?;
    }
    Ok(())
}

/// Loads the demo data unless it was loaded before.
pub async fn load(store: &dyn Store, settings: &DemoSettings) -> Result<Outcome, DemoError> {
    if store.meta(MARKER).await?.is_some() {
        return Ok(Outcome::AlreadyLoaded);
    }
    ensure_workflows(store).await?;
    let units = import::import_units(store, UNITS_2025).await?;
    let orgs = organisations(&communes(store).await?, settings)?;
    store.upsert_organisations(&orgs.all).await?;
    // The demo's officers sign in with the password in the README alone. A real organisation
    // asks its leaders, clerks and administrators for a second factor (`motcua orgs
    // second-factor`, or the administration page, turns it on here).
    for o in &orgs.all {
        store.set_second_factor_policy(&o.code, &[], jiff::Timestamp::now()).await?;
    }
    // Every demo organisation collects fees into a (made-up) VietinBank account.
    for (i, o) in orgs.all.iter().enumerate() {
        let holder: String = motcua_domain::payment::purpose_text(o.name.as_str()).to_uppercase();
        let account = motcua_domain::payment::BankAccount::parse(
            "970415",
            &format!("1130{:08}", i + 1),
            &holder.chars().take(50).collect::<String>(),
        )
        .map_err(invalid)?;
        store.set_bank_account(&o.code, &account).await?;
    }
    let procedures = catalog(&orgs, settings)?;
    store.upsert_procedures(&procedures).await?;

    let hash = {
        let u = Username::parse("demo").map_err(invalid)?;
        let p = Password::parse(DEMO_PASSWORD, &u).map_err(invalid)?;
        tokio::task::spawn_blocking(move || crate::accounts::auth::hash_password(&p))
            .await
            .map_err(|e| DemoError::Invalid(e.to_string()))??
    };
    let mut accounts = 0;
    for login in LOGINS {
        let username = Username::parse(login.username).map_err(invalid)?;
        if store.account_credentials(&username).await?.is_some() {
            continue;
        }
        store
            .create_account(&NewAccount {
                username,
                full_name: name(login.full_name)?,
                kind: AccountKind::Staff,
                cccd: None,
                email: Some(Email::parse(&format!("{}@demo.motcua.vn", login.username)).map_err(invalid)?),
                phone: None,
                roles: role_assignments(login, &orgs, settings)?,
                password_hash: hash.clone(),
            })
            .await?;
        accounts += 1;
    }
    accounts += other_staff(store, &orgs, settings, &hash).await?;
    accounts += usize::try_from(store.create_accounts(&commune_staff(&orgs, &hash)?).await?).unwrap_or(usize::MAX);
    let citizen = Username::parse(CITIZEN_USERNAME).map_err(invalid)?;
    if store.account_credentials(&citizen).await?.is_none() {
        store
            .create_account(&NewAccount {
                username: citizen,
                full_name: name("Nguyễn Văn An")?,
                kind: AccountKind::Citizen,
                cccd: Some(Cccd::parse("022090001234").map_err(invalid)?),
                email: Some(Email::parse("congdan@demo.motcua.vn").map_err(invalid)?),
                phone: Some(Phone::parse("0912345678").map_err(invalid)?),
                roles: vec![],
                password_hash: hash,
            })
            .await?;
        accounts += 1;
    }
    let adjustments = motcua_domain::calendar::parse_adjustments(crate::calendar::source::ADJUSTMENTS)
        .map_err(|e| DemoError::Invalid(e.to_string()))?;
    store.upsert_calendar_adjustments(&adjustments).await?;
    service_points(store, &orgs, settings).await?;
    store.set_meta(MARKER, MARKER_VERSION).await?;
    Ok(Outcome::Loaded { units, organisations: orgs.all.len(), procedures: procedures.len(), accounts })
}

/// Where else demo procedures go: the other departments, the provincial police and social
/// insurance, and the police of the two communes with named staff. Each gets a desk officer, a specialist, a
/// leader and a clerk (`<prefix>.motcua`, `.chuyenvien`, `.lanhdao`, `.vanthu`), so no demo
/// dossier lands where nobody can open it. Their desk is the organisation itself (they have
/// no service centre of their own).
pub const OTHER_STAFF: &[(&str, &str)] = &[
    ("02", "soxd"),
    ("03", "sotc"),
    ("04", "sonnmt"),
    ("05", "soct"),
    ("06", "soyt"),
    ("07", "sogddt"),
    ("08", "sonv"),
    ("09", "sovhttdl"),
    ("21", "cat"),
    ("22", "bhxh"),
    (HA_LONG, "cax.halong"),
    (TIEN_YEN, "cax.tienyen"),
];

async fn other_staff(
    store: &dyn Store,
    orgs: &DemoOrgs,
    settings: &DemoSettings,
    hash: &str,
) -> Result<usize, DemoError> {
    let roles = [
        ("motcua", Role::DeskOfficer),
        ("chuyenvien", Role::Specialist),
        ("lanhdao", Role::Leader),
        ("vanthu", Role::Clerk),
    ];
    let mut made = 0;
    for (place, prefix) in OTHER_STAFF {
        let org = match orgs.communes.iter().find(|c| c.0.as_str() == *place) {
            Some(c) => c.3.clone(),
            None => code(format!("000.00.{place}.{}", settings.agency_code))?,
        };
        let org_name = orgs.all.iter().find(|o| o.code == org).map(|o| o.name.to_string()).unwrap_or_default();
        for (suffix, role) in roles {
            let username = Username::parse(&format!("{prefix}.{suffix}")).map_err(invalid)?;
            if store.account_credentials(&username).await?.is_some() {
                continue;
            }
            store
                .create_account(&NewAccount {
                    full_name: name(&format!("{} — {org_name}", role.label_vi()))?,
                    kind: AccountKind::Staff,
                    cccd: None,
                    email: Some(Email::parse(&format!("{username}@demo.motcua.vn")).map_err(invalid)?),
                    phone: None,
                    roles: vec![RoleAssignment { org: org.clone(), role }],
                    password_hash: hash.to_owned(),
                    username,
                })
                .await?;
            made += 1;
        }
    }
    Ok(made)
}

/// The short login name of a commune: its name without the kind and without diacritics,
/// e.g. "phường Bãi Cháy" → `baichay`.
pub fn commune_login(commune_name: &str) -> String {
    let bare = ["phường ", "xã ", "đặc khu ", "Phường ", "Xã ", "Đặc khu "]
        .iter()
        .find_map(|k| commune_name.strip_prefix(k))
        .unwrap_or(commune_name);
    motcua_domain::text::fold(bare).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Staff for every other commune, so no demo dossier lands where nobody can open it: the
/// People's Committee's (`<xa>.motcua` at its service centre, `.chuyenvien`, `.lanhdao`,
/// `.vanthu`) and the commune police's (`ca<xa>.…`, the desk being the police itself).
fn commune_staff(orgs: &DemoOrgs, hash: &str) -> Result<Vec<NewAccount>, DemoError> {
    let roles = [
        ("motcua", Role::DeskOfficer),
        ("chuyenvien", Role::Specialist),
        ("lanhdao", Role::Leader),
        ("vanthu", Role::Clerk),
    ];
    let mut out = Vec::new();
    let mut used: Vec<String> = Vec::new();
    for (unit, ubnd, centre, police) in &orgs.communes {
        if [HA_LONG, TIEN_YEN].contains(&unit.as_str()) {
            continue;
        }
        let Some(org) = orgs.all.iter().find(|o| &o.code == ubnd) else { continue };
        let local = org.name.as_str().trim_start_matches("Ủy ban nhân dân ");
        let mut login = commune_login(local);
        if login.len() < 2 || used.contains(&login) {
            login = format!("{login}{}", unit.as_str());
        }
        used.push(login.clone());
        for (prefix, committee) in [(login.clone(), true), (format!("ca{login}"), false)] {
            for (suffix, role) in roles {
                let (at, label) = match (committee, role) {
                    (true, Role::DeskOfficer) => (centre, format!("Trung tâm Phục vụ hành chính công {local}")),
                    (true, _) => (ubnd, org.name.to_string()),
                    (false, _) => (police, format!("Công an {local}")),
                };
                let username = Username::parse(&format!("{prefix}.{suffix}")).map_err(invalid)?;
                out.push(NewAccount {
                    full_name: name(&format!("{} — {label}", role.label_vi()))?,
                    kind: AccountKind::Staff,
                    cccd: None,
                    email: Some(Email::parse(&format!("{username}@demo.motcua.vn")).map_err(invalid)?),
                    phone: None,
                    roles: vec![RoleAssignment { org: at.clone(), role }],
                    password_hash: hash.to_owned(),
                    username,
                });
            }
        }
    }
    Ok(out)
}

/// The demo logins as lines to print.
pub fn login_lines() -> Vec<String> {
    let mut lines: Vec<String> = LOGINS
        .iter()
        .map(|l| {
            let place = match l.place {
                "tinh" => "Ủy ban nhân dân tỉnh",
                "stp" => "Sở Tư pháp",
                HA_LONG => "phường Hạ Long",
                _ => "xã Tiên Yên",
            };
            let roles: Vec<&str> = l.roles.iter().map(|r| r.label_vi()).collect();
            format!("  {:<20} {} — {}", l.username, roles.join(", "), place)
        })
        .collect();
    let prefixes: Vec<&str> = OTHER_STAFF.iter().map(|(_, p)| *p).collect();
    lines.push(format!(
        "  <cơ quan>.motcua|chuyenvien|lanhdao|vanthu — các sở khác, công an tỉnh và công an xã: {}",
        prefixes.join(", ")
    ));
    lines.push(
        "  <xã>.motcua|chuyenvien|lanhdao|vanthu, ca<xã>.… — mọi xã, phường, đặc khu khác và công an của nó (vd. baichay.motcua, cabaichay.chuyenvien)".into(),
    );
    lines.push(format!("  {CITIZEN_USERNAME:<20} Công dân (Nguyễn Văn An)"));
    lines
}

/// The services of every centre's queue, and its counters.
fn demo_queue() -> Result<(Vec<QueueService>, Vec<QueueCounter>), DemoError> {
    let l = |c: &str| ServiceLetter::parse(c).map_err(invalid);
    let services = vec![
        QueueService { letter: l("A")?, name: "Tư pháp – Hộ tịch".into() },
        QueueService { letter: l("B")?, name: "Đất đai – Xây dựng".into() },
        QueueService { letter: l("C")?, name: "Kinh doanh – Đầu tư".into() },
        QueueService { letter: l("D")?, name: "Trả kết quả".into() },
    ];
    let counters = vec![
        QueueCounter { number: 1, name: "Quầy 1".into(), letters: vec![l("A")?] },
        QueueCounter { number: 2, name: "Quầy 2".into(), letters: vec![l("A")?, l("B")?] },
        QueueCounter { number: 3, name: "Quầy 3".into(), letters: vec![l("B")?, l("C")?] },
        QueueCounter { number: 4, name: "Quầy 4".into(), letters: vec![l("D")?] },
    ];
    Ok((services, counters))
}

/// Demo appointment points: Hạ Long's centre takes appointments for land dossiers, the
/// provincial centre for business registration, and the provincial general hospital (under
/// the Department of Health) for its internal medicine department and one cardiologist.
/// (code, name, kind, where, parent point, places per slot)
type DemoPoint = (&'static str, &'static str, PointKind, &'static str, Option<&'static str>, i64);

pub const DEMO_POINTS: &[DemoPoint] = &[
    (
        "halong-dat-dai",
        "Tiếp nhận hồ sơ đất đai – Trung tâm PVHCC phường Hạ Long",
        PointKind::Desk,
        "centre:ha-long",
        None,
        2,
    ),
    ("tinh-kinh-doanh", "Đăng ký kinh doanh – Trung tâm PVHCC tỉnh", PointKind::Desk, "centre:tinh", None, 3),
    ("bvdk-noi", "Bệnh viện Đa khoa tỉnh – Khoa Nội tổng hợp", PointKind::Department, "yte", None, 4),
    ("bvdk-bs-tim-mach", "BS.CKII Nguyễn Thị Thu Hà – Tim mạch", PointKind::Doctor, "yte", Some("bvdk-noi"), 1),
];

async fn service_points(store: &dyn Store, orgs: &DemoOrgs, settings: &DemoSettings) -> Result<(), DemoError> {
    let (services, counters) = demo_queue()?;
    let provincial = code(format!("000.00.20.{}", settings.agency_code))?;
    store.set_queue(&provincial, &services, &counters).await?;
    for (_, _, centre, _) in &orgs.communes {
        store.set_queue(centre, &services, &counters).await?;
    }
    let ha_long = orgs
        .communes
        .iter()
        .find(|c| c.0.as_str() == HA_LONG)
        .map(|c| c.2.clone())
        .ok_or_else(|| DemoError::Invalid("không có phường Hạ Long".into()))?;
    let health = code(format!("000.00.06.{}", settings.agency_code))?;
    let today = crate::statistics::figures::today();
    for (point_code, point_name, kind, place, parent, capacity) in DEMO_POINTS {
        let org = match *place {
            "centre:ha-long" => ha_long.clone(),
            "centre:tinh" => provincial.clone(),
            _ => health.clone(),
        };
        let point = ServicePoint {
            code: PointCode::parse(point_code).map_err(invalid)?,
            org,
            name: (*point_name).to_owned(),
            kind: *kind,
            description: String::new(),
            parent: parent.map(PointCode::parse).transpose().map_err(invalid)?,
            active: true,
        };
        store.upsert_point(&point).await?;
        // Two weeks of half-hour slots, mornings and afternoons, Monday to Friday.
        let mut slots = Vec::new();
        for d in 0..21 {
            let Ok(day) = today.checked_add(jiff::Span::new().days(d)) else { continue };
            if matches!(day.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
                continue;
            }
            for (h, m) in [(8, 0), (8, 30), (9, 0), (9, 30), (10, 0), (10, 30), (14, 0), (14, 30), (15, 0), (15, 30)] {
                let Ok(starts_at) = motcua_domain::calendar::vietnam().to_timestamp(day.at(h, m, 0, 0)) else {
                    continue;
                };
                slots.push(NewSlot {
                    starts_at,
                    ends_at: starts_at + jiff::SignedDuration::from_mins(30),
                    capacity: Capacity::parse(*capacity).map_err(invalid)?,
                });
            }
        }
        store.add_slots(&point.code, &slots).await?;
    }
    Ok(())
}
