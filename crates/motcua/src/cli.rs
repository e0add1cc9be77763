//! The `motcua` command line.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use jiff::SignedDuration;
use motcua_domain::{
    AccountKind, Cccd, DomainError, Email, Name, NewAccount, OrgCode, Password, Phone, Role, RoleAssignment, Username,
};
use motcua_store::{ConnectOptions, Store, StoreError};

use crate::api::ServerSettings;
use crate::demo::{self, DemoError, DemoSettings, Outcome};
use crate::import::{self, ImportError};

#[derive(Debug, Parser)]
#[command(
    name = "motcua",
    version,
    about = "motcua — hệ thống một cửa điện tử cho tỉnh (one-stop e-government platform)"
)]
pub struct Cli {
    /// Thư mục dữ liệu (CSDL SQLite mặc định nằm ở đây).
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "./motcua-data", global = true)]
    pub data_dir: PathBuf,
    /// sqlite://PATH hoặc postgres://USER@HOST/DB; mặc định SQLite trong thư mục dữ liệu.
    #[arg(long, env = "MOTCUA_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub calendar: CalendarArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Working-day calendar settings.
#[derive(Debug, Clone, Args)]
pub struct CalendarArgs {
    /// Giờ làm việc: hai buổi.
    #[arg(long, env = "MOTCUA_WORKING_HOURS", default_value = "07:30-11:30,13:30-17:00", global = true)]
    pub working_hours: String,
    /// Giờ chốt: hồ sơ nhận từ giờ này tính từ ngày làm việc kế tiếp.
    #[arg(long, env = "MOTCUA_CUTOFF", default_value = "15:00", global = true)]
    pub cutoff: String,
    /// Số ngày nghỉ Tết trước và sau mùng 1: TRƯỚC,SAU (mặc định 1,3: tổng 5 ngày).
    #[arg(long, env = "MOTCUA_TET_DAYS", default_value = "1,3", global = true)]
    pub tet_days: String,
    /// Ngày nghỉ liền kề Quốc khánh 2/9: before (1/9) hoặc after (3/9).
    #[arg(long, env = "MOTCUA_NATIONAL_DAY_EXTRA", default_value = "before", global = true)]
    pub national_day_extra: String,
}

impl CalendarArgs {
    pub fn rules(&self) -> Result<motcua_domain::calendar::CalendarRules, CliError> {
        crate::calendar::rules_from_settings(
            &self.working_hours,
            &self.cutoff,
            &self.tet_days,
            &self.national_day_extra,
        )
        .map_err(CliError::Usage)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chạy máy chủ (run the server).
    Serve(ServeArgs),
    /// Nâng cấp lược đồ CSDL rồi thoát (run migrations).
    Migrate,
    /// Nạp dữ liệu mẫu Quảng Ninh (load the demo data, once).
    Demo(DemoArgs),
    /// Đơn vị hành chính (administrative units).
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Cơ quan giải quyết hồ sơ (organisations).
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Danh mục thủ tục hành chính (procedure catalog).
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Tài khoản (accounts).
    #[command(subcommand)]
    User(UserCommand),
    /// In tài liệu OpenAPI của API (print the OpenAPI document).
    Openapi,
    /// Lịch làm việc: ngày nghỉ, hạn giải quyết (working-day calendar).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Nhật ký kiểm tra (audit trail).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Trợ lý ảo cho công dân (the citizen assistant).
    #[command(subcommand)]
    Assistant(AssistantCommand),
    /// Đo hiệu năng một máy chủ đang chạy có dữ liệu mẫu (benchmark a running demo server).
    Bench(BenchArgs),
    /// Đo tốc độ tìm kiếm trên danh mục sinh ngẫu nhiên (benchmark the search index).
    BenchSearch(BenchSearchArgs),
    /// Khóa và chứng thư số để ký văn bản điện tử (keys and certificates).
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Máy chủ đối tác trao đổi văn bản (partner servers).
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Đo tốc độ gửi văn bản giữa hai máy chủ (benchmark document exchange between two servers).
    BenchExchange(BenchExchangeArgs),
    /// Số liệu của trung tâm điều hành (operations-centre statistics).
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Đo thời gian trả lời của bảng điều hành trên dữ liệu lớn (benchmark dashboard queries).
    BenchStats(BenchStatsArgs),
    /// Cổng thanh toán gọi lại xác nhận giao dịch (payment gateways).
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Thử sập nguồn: chạy máy chủ với dữ liệu mẫu, tải hỗn hợp, kill -9 nhiều lần, rồi kiểm tra không mất gì.
    BenchCrash(BenchCrashArgs),
    /// Sao lưu khi máy chủ đang chạy: CSDL (bản chụp nhất quán), tệp đính kèm, khóa (back up).
    Backup {
        /// Thư mục mới để ghi bản sao lưu.
        dir: PathBuf,
    },
    /// Khôi phục bản sao lưu vào CSDL và thư mục dữ liệu đã chọn, rồi đối chiếu từng bảng (restore).
    Restore {
        /// Thư mục bản sao lưu.
        dir: PathBuf,
        /// SQLite: ghi đè CSDL đang có (máy chủ phải dừng); thay khóa khác.
        #[arg(long)]
        force: bool,
    },
    /// Kiểm tra chữ ký số của một kết quả đã tải về, không cần mạng (verify a signed result).
    Verify {
        /// Tệp kết quả.
        file: PathBuf,
        /// Chữ ký (.p7s, CMS DER) tải kèm.
        signature: PathBuf,
        /// Chứng thư CA tin cậy (PEM); không có: CA của hệ thống trong thư mục dữ liệu.
        #[arg(long)]
        ca: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Đăng ký (hoặc đổi khóa) cổng thanh toán; khóa bí mật đọc từ MOTCUA_GATEWAY_SECRET,
    /// không có thì sinh ngẫu nhiên và in ra một lần.
    Gateway {
        #[arg(long)]
        name: String,
    },
    /// Đăng ký (hoặc đổi khóa) đơn vị bưu chính báo trạng thái bưu gửi; khóa như trên.
    Carrier {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Tính lại toàn bộ số liệu từ hồ sơ (sau khi khôi phục sao lưu).
    Rebuild,
    /// So số liệu đang giữ với số liệu tính lại từ hồ sơ; khác nhau thì thoát với mã 1.
    Check,
}

#[derive(Debug, Args)]
pub struct BenchStatsArgs {
    /// Số hồ sơ sinh ra (trạng thái cuối của từng hồ sơ, gộp vào số liệu).
    #[arg(long, default_value_t = 1_000_000)]
    pub dossiers: u64,
    /// Số lần đo mỗi truy vấn.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Hạt giống ngẫu nhiên.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct BenchExchangeArgs {
    /// Số văn bản gửi.
    #[arg(long, default_value_t = 200)]
    pub documents: usize,
    /// Dung lượng tệp đính kèm của mỗi văn bản (KB).
    #[arg(long, default_value_t = 100)]
    pub attachment_kb: usize,
    /// Số yêu cầu gửi đồng thời.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Tạo tổ chức chứng thực (CA) của hệ thống và chứng thư ký yêu cầu của máy chủ.
    Init {
        /// Tên CA.
        #[arg(long, default_value = "motcua CA")]
        name: String,
        /// ec (ECDSA P-256) hoặc rsa (RSA-2048); đều dùng SHA-256.
        #[arg(long, default_value = "ec")]
        algorithm: String,
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Cấp chứng thư số ký văn bản cho một cơ quan (--org) hoặc mọi cơ quan chưa có (--all).
    #[command(group(clap::ArgGroup::new("who").required(true).args(["org", "all"])))]
    Issue {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long, default_value = "ec")]
        algorithm: String,
        #[arg(long, default_value_t = 730)]
        days: u32,
    },
    /// Nhập chứng thư và khóa do CA bên ngoài cấp: --p12 FILE, hoặc --cert FILE --key FILE.
    /// Mật khẩu tệp đọc từ biến môi trường MOTCUA_IMPORT_PASSWORD.
    Import {
        #[arg(long)]
        org: String,
        #[arg(long, conflicts_with_all = ["cert", "key"])]
        p12: Option<PathBuf>,
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
    },
    /// Tin cậy chứng thư do một CA bên ngoài cấp (tệp PEM của CA).
    Trust { file: PathBuf },
    /// Liệt kê chứng thư số (không bao giờ in khóa bí mật).
    List,
    /// In chứng thư CA (PEM) để gửi cho máy chủ đối tác.
    ExportCa,
}

#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Thêm hoặc sửa máy chủ đối tác.
    Add {
        #[arg(long)]
        name: String,
        /// Địa chỉ gốc, ví dụ https://vanban.hungyen.gov.vn
        #[arg(long)]
        url: String,
        /// Chứng thư CA của đối tác (PEM).
        #[arg(long)]
        ca: PathBuf,
        /// Cơ quan do đối tác phục vụ: MÃ hoặc MÃ=Tên; lặp lại được.
        #[arg(long = "org", required = true)]
        orgs: Vec<String>,
    },
    /// Liệt kê máy chủ đối tác.
    List,
}

#[derive(Debug, Args)]
pub struct BenchSearchArgs {
    /// Số thủ tục của danh mục sinh ra (từ 48 thủ tục mẫu).
    #[arg(long, default_value_t = 10_000)]
    pub procedures: usize,
    /// Số lần tìm kiếm.
    #[arg(long, default_value_t = 5_000)]
    pub queries: usize,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Địa chỉ máy chủ.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Số luồng đồng thời.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Số giây cho mỗi pha.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Mật khẩu các tài khoản mẫu.
    #[arg(long, default_value = crate::demo::DEMO_PASSWORD)]
    pub password: String,
    /// Số lần tải mỗi trang web trong pha đo trang (0: bỏ qua).
    #[arg(long, default_value_t = 200)]
    pub page_requests: usize,
    /// Không đo tốc độ ghi thô của CSDL.
    #[arg(long)]
    pub no_baseline: bool,
}

#[derive(Debug, Args)]
pub struct BenchCrashArgs {
    /// Số lần kill -9.
    #[arg(long, default_value_t = 20)]
    pub kills: usize,
    /// Số luồng tải đồng thời.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Khoảng cách ngắn nhất giữa hai lần giết, ms.
    #[arg(long, default_value_t = 300)]
    pub min_ms: u64,
    /// Khoảng cách dài nhất giữa hai lần giết, ms.
    #[arg(long, default_value_t = 2000)]
    pub max_ms: u64,
    /// Mật khẩu các tài khoản mẫu.
    #[arg(long, default_value = crate::demo::DEMO_PASSWORD)]
    pub password: String,
}

#[derive(Debug, Subcommand)]
pub enum AssistantCommand {
    /// Đo độ chính xác trên bộ câu hỏi có nhãn (JSON lines: {"q": "...", "code": "1.001193"}).
    Eval { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Kiểm tra chuỗi băm của mọi hồ sơ; thoát mã khác 0 và nêu chỗ hỏng đầu tiên nếu có.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// In các ngày nghỉ của năm: YYYY-MM-DD<TAB>tên.
    Holidays {
        #[arg(long)]
        year: i16,
    },
    /// In hạn giải quyết (RFC 3339, giờ Việt Nam) cho hồ sơ nhận lúc --from.
    #[command(group(clap::ArgGroup::new("limit").required(true).args(["days", "hours", "calendar_days", "immediate"])))]
    Due {
        /// Thời điểm tiếp nhận, RFC 3339, ví dụ 2025-03-03T09:00:00+07:00.
        #[arg(long)]
        from: String,
        /// Số ngày làm việc.
        #[arg(long)]
        days: Option<u16>,
        /// Số giờ làm việc.
        #[arg(long)]
        hours: Option<u16>,
        /// Số ngày theo lịch.
        #[arg(long)]
        calendar_days: Option<u16>,
        /// Giải quyết ngay trong ngày.
        #[arg(long)]
        immediate: bool,
    },
    /// Nạp các ngày hoán đổi, nghỉ thêm do Chính phủ công bố (JSON); không có FILE: bản đi kèm.
    Load { file: Option<PathBuf> },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Địa chỉ lắng nghe.
    #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Nạp dữ liệu mẫu trước khi chạy (chỉ lần đầu).
    #[arg(long)]
    pub demo: bool,
    /// Địa chỉ công khai; nếu là https, cookie phiên được đánh dấu Secure.
    #[arg(long, env = "MOTCUA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Thời hạn phiên đăng nhập (giờ).
    #[arg(long, env = "MOTCUA_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u16).range(1..=720))]
    pub session_hours: u16,
    /// Khi chờ bổ sung hồ sơ: restart (tính lại thời hạn từ khi nhận đủ, NĐ 61/2018) hoặc pause (tạm dừng).
    #[arg(long, env = "MOTCUA_SUPPLEMENT_MODE", default_value = "restart", value_parser = ["restart", "pause"])]
    pub supplement_mode: String,
    /// Máy chủ thư gửi thông báo: smtp://host:port, smtp://host?tls=required (STARTTLS),
    /// smtps://user:pass@host; không có: không gửi thư điện tử.
    #[arg(long, env = "MOTCUA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Người gửi thông báo.
    #[arg(long, env = "MOTCUA_MAIL_FROM", default_value = "Cổng dịch vụ công motcua <no-reply@motcua.local>")]
    pub mail_from: String,
    /// Trọng số chỉ số 766 (tệp JSON như GET /api/v1/stats/index/weights); mặc định: 18/20/44/18.
    #[arg(long, env = "MOTCUA_INDEX_WEIGHTS")]
    pub index_weights: Option<PathBuf>,
    /// Cước bưu chính tiết kiệm cho mỗi văn bản điện tử (đồng).
    #[arg(long, env = "MOTCUA_POSTAGE_VND", default_value_t = 7_000)]
    pub postage_vnd: i64,
    /// Chi phí đi lại tiết kiệm cho mỗi hồ sơ nộp trực tuyến (đồng).
    #[arg(long, env = "MOTCUA_TRAVEL_VND", default_value_t = 50_000)]
    pub travel_vnd: i64,
    /// Số lần tra cứu theo mã (hồ sơ, lịch hẹn, kết quả) mỗi phút từ một địa chỉ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_LOOKUPS_PER_MINUTE", default_value_t = crate::throttle::Limits::LOOKUPS_PER_MINUTE)]
    pub lookups_per_minute: u32,
    /// Số lần đặt lịch, lấy số, xin mã ki-ốt, đăng ký tài khoản mỗi phút từ một địa chỉ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_PUBLIC_WRITES_PER_MINUTE", default_value_t = crate::throttle::Limits::PUBLIC_WRITES_PER_MINUTE)]
    pub public_writes_per_minute: u32,
    /// Số lần đăng nhập sai trong 15 phút từ một địa chỉ trước khi địa chỉ bị tạm khóa 15 phút; 0: không đếm.
    #[arg(long, env = "MOTCUA_SIGN_IN_FAILURES", default_value_t = crate::auth::LoginGuard::MAX_ADDRESS_FAILURES)]
    pub sign_in_failures: u32,
    /// Địa chỉ của proxy ngược được tin X-Forwarded-For (lặp lại hoặc ngăn cách bằng dấu phẩy).
    #[arg(long, env = "MOTCUA_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// Bỏ mọi giới hạn theo địa chỉ và hạn mức nộp mỗi ngày của tài khoản (chỉ để đo tải từ một máy).
    #[arg(long)]
    pub no_rate_limits: bool,
    /// Số hồ sơ một tài khoản công dân được nộp trong 24 giờ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_DOSSIERS_PER_DAY", default_value_t = 20)]
    pub dossiers_per_day: i64,
    /// Dung lượng tệp (MB) một tài khoản công dân được gửi trong 24 giờ; 0: không giới hạn.
    #[arg(long, env = "MOTCUA_UPLOAD_MB_PER_DAY", default_value_t = 100)]
    pub upload_mb_per_day: i64,
    /// Số kết nối mở cùng lúc tối đa; kết nối vượt quá chờ đến lượt.
    #[arg(long, env = "MOTCUA_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Số luồng sự kiện trực tiếp (bảng điều hành, màn hình xếp hàng) tối đa từ một địa chỉ.
    #[arg(long, env = "MOTCUA_STREAMS_PER_ADDRESS", default_value_t = 16)]
    pub streams_per_address: usize,
    #[command(flatten)]
    pub demo_settings: DemoArgs,
}

impl ServeArgs {
    fn limits(&self) -> crate::throttle::Limits {
        if self.no_rate_limits {
            return crate::throttle::Limits::off();
        }
        crate::throttle::Limits {
            lookups_per_minute: self.lookups_per_minute,
            public_writes_per_minute: self.public_writes_per_minute,
            sign_in_failures: self.sign_in_failures,
            trusted_proxies: self.trusted_proxy.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Nhóm cấp 1 của mã định danh cơ quan trong tỉnh (000.00.00.<mã>).
    #[arg(long, env = "MOTCUA_AGENCY_CODE", default_value = "H22")]
    pub agency_code: String,
    /// Sinh thêm N hồ sơ mẫu trải trên một năm qua quy trình thật (demo: mỗi lần chạy; serve
    /// --demo: chỉ lần nạp đầu).
    #[arg(long, default_value_t = 0)]
    pub synthetic: u64,
    /// Hạt giống ngẫu nhiên của hồ sơ mẫu.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Nạp từ tệp JSON (dạng phẳng của motcua hoặc danh mục công bố lồng nhau);
    /// không có FILE: nạp danh mục 2025 đi kèm.
    Import { file: Option<PathBuf> },
    /// Xuất ra stdout dạng JSON.
    Export,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Nạp từ tệp JSON.
    Import { file: PathBuf },
    /// Xuất ra stdout dạng JSON.
    Export,
    /// Tài khoản ngân hàng thu phí, lệ phí của cơ quan (dùng cho mã VietQR).
    Bank {
        #[arg(long)]
        org: String,
        /// Mã BIN ngân hàng (6 chữ số, NAPAS), ví dụ 970415.
        #[arg(long)]
        bin: String,
        #[arg(long)]
        account: String,
        /// Tên chủ tài khoản.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Nạp thủ tục từ tệp JSON (- là stdin); có bản ghi lỗi thì không nạp gì.
    Import { file: PathBuf },
    /// Xuất toàn bộ danh mục ra stdout dạng JSON.
    Export,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Tạo tài khoản; mật khẩu đọc từ stdin (dòng đầu).
    Add(UserAddArgs),
    /// Khóa tài khoản và kết thúc mọi phiên đăng nhập của nó.
    Disable { username: String },
    /// Mở khóa tài khoản.
    Enable { username: String },
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub full_name: String,
    /// Vai trò tại cơ quan, dạng MÃ_CƠ_QUAN:VAI_TRÒ (desk_officer, specialist, leader, clerk,
    /// administrator); lặp lại được.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// Tài khoản công dân (cần --cccd) thay vì cán bộ.
    #[arg(long)]
    pub citizen: bool,
    #[arg(long)]
    pub cccd: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error("Nhật ký bị sửa: {0}")]
    Audit(#[from] crate::audit::AuditError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    #[error(transparent)]
    Exchange(#[from] motcua_exchange::ExchangeError),
    #[error(transparent)]
    Synthetic(#[from] crate::synthetic::SyntheticError),
    #[error(transparent)]
    Calendar(#[from] crate::calendar::CalendarSourceError),
    #[error(transparent)]
    CalendarRules(#[from] motcua_domain::calendar::CalendarError),
    #[error(transparent)]
    Bench(#[from] crate::bench::BenchError),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    #[error(transparent)]
    AssistantEval(#[from] crate::assistant::EvalError),
    #[error(transparent)]
    DocumentService(#[from] crate::exchange::ExchangeServiceError),
    #[error("OpenAPI: {0}")]
    Json(#[from] serde_json::Error),
    #[error("không lấy được số ngẫu nhiên của hệ điều hành: {0}")]
    Random(getrandom::Error),
    #[error("tác vụ nền dừng bất thường: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Usage(String),
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io { path: path.display().to_string(), source }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Lỗi: không khởi động được runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Lỗi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("MOTCUA_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// The database URL: the explicit one, or a SQLite file in the data directory (created).
pub fn database_url(cli: &Cli) -> Result<String, CliError> {
    if let Some(url) = &cli.database_url {
        return Ok(url.clone());
    }
    crate::blobs::private_dir(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
    Ok(motcua_store::sqlite_url(&cli.data_dir.join("motcua.db")))
}

/// Opens the database, brings its schema up to date, and gives a new database the shipped
/// workflows (never overwriting ones already there).
async fn open(cli: &Cli) -> Result<Arc<dyn Store>, CliError> {
    let store = motcua_store::connect(&database_url(cli)?, &ConnectOptions::default()).await?;
    crate::demo::ensure_workflows(store.as_ref()).await?;
    crate::server::ensure_stats(store.as_ref()).await?;
    Ok(store)
}

fn stats_settings(args: &ServeArgs) -> Result<crate::stats::StatsSettings, CliError> {
    let vnd = |v: i64, what: &str| {
        motcua_domain::Vnd::new(v).map_err(|_| CliError::Usage(format!("{what} phải là số đồng không âm")))
    };
    let weights = match &args.index_weights {
        None => motcua_domain::stats::IndexWeights::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(io_err(path))?;
            serde_json::from_str::<motcua_domain::stats::IndexWeights>(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?
                .check()
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?
        }
    };
    Ok(crate::stats::StatsSettings {
        weights,
        postage_per_document: vnd(args.postage_vnd, "--postage-vnd")?,
        travel_per_dossier: vnd(args.travel_vnd, "--travel-vnd")?,
    })
}

/// `--synthetic N`: N dossiers through the real workflow, with a progress bar on a terminal.
async fn synthetic(cli: &Cli, store: &Arc<dyn Store>, count: u64, seed: u64) -> Result<(), CliError> {
    if count == 0 {
        return Ok(());
    }
    let calendar = crate::calendar::CalendarSource::new(cli.calendar.rules()?).current(store).await?;
    let owner = crate::synthetic::ensure_sample_citizen(store.as_ref()).await?;
    let bar = crate::import::progress(usize::try_from(count).unwrap_or(usize::MAX), "Hồ sơ mẫu");
    let started = std::time::Instant::now();
    let plan = crate::synthetic::Plan {
        count,
        seed,
        now: jiff::Timestamp::now(),
        owner,
        mode: motcua_domain::workflow::SupplementMode::Restart,
    };
    let n = crate::synthetic::generate(store, calendar, plan, &|done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!("Đã sinh {n} hồ sơ mẫu trong {secs:.1} s ({:.0} hồ sơ/s).", n as f64 / secs.max(1e-9));
    Ok(())
}

fn read_input(path: &Path) -> Result<String, CliError> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(io_err(path))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(io_err(path))
    }
}

fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(io_err(Path::new("stdout")))
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Migrate => {
            open(&cli).await?;
            println!("Lược đồ cơ sở dữ liệu đã được cập nhật.");
            Ok(())
        }
        Command::Demo(args) => {
            let store = open(&cli).await?;
            report_demo(&demo::load(store.as_ref(), &demo_settings(args)?).await?);
            synthetic(&cli, &store, args.synthetic, args.seed).await
        }
        Command::Stats(StatsCommand::Rebuild) => {
            let store = open(&cli).await?;
            let n = store.rebuild_stats().await?;
            println!("Đã tính lại số liệu từ {n} hồ sơ.");
            Ok(())
        }
        Command::Stats(StatsCommand::Check) => {
            let store = open(&cli).await?;
            let kept = store.stat_snapshot().await?;
            let fresh = store.recompute_stats().await?;
            if kept == fresh {
                println!(
                    "Số liệu khớp với hồ sơ: {} dòng theo ngày, {} theo tháng, {} nhóm hồ sơ đang mở.",
                    kept.days.len(),
                    kept.months.len(),
                    kept.open.len()
                );
                Ok(())
            } else {
                let differ = kept.days.iter().filter(|(k, v)| fresh.days.get(k) != Some(v)).count()
                    + fresh.days.keys().filter(|k| !kept.days.contains_key(k)).count();
                Err(CliError::Usage(format!(
                    "số liệu đang giữ khác số liệu tính lại ở {differ} dòng theo ngày; chạy «motcua stats rebuild»"
                )))
            }
        }
        Command::BenchStats(args) => {
            let report =
                crate::bench::stats(&database_url(&cli)?, args.dossiers, args.rounds.max(1), args.seed).await?;
            println!("{report}");
            Ok(())
        }
        Command::Units(UnitsCommand::Import { file }) => {
            let store = open(&cli).await?;
            let text = match file {
                Some(f) => read_input(f)?,
                None => demo::UNITS_2025.to_owned(),
            };
            let n = import::import_units(store.as_ref(), &text).await?;
            println!("Đã nạp {n} đơn vị hành chính.");
            Ok(())
        }
        Command::Units(UnitsCommand::Export) => print_stdout(&import::export_units(open(&cli).await?.as_ref()).await?),
        Command::Orgs(OrgsCommand::Import { file }) => {
            let store = open(&cli).await?;
            let n = import::import_organisations(store.as_ref(), &read_input(file)?).await?;
            println!("Đã nạp {n} cơ quan.");
            Ok(())
        }
        Command::Orgs(OrgsCommand::Bank { org, bin, account, name }) => {
            let org = OrgCode::parse(org)?;
            let a = motcua_domain::payment::BankAccount::parse(bin, account, name)?;
            let store = open(&cli).await?;
            if store.organisation(&org).await?.is_none() {
                return Err(CliError::Usage(format!("không có cơ quan {org}")));
            }
            store.set_bank_account(&org, &a).await?;
            println!("Đã lưu tài khoản thu phí của {org}: {} tại ngân hàng BIN {}.", a.account, a.bin);
            Ok(())
        }
        Command::Payment(command) => {
            use motcua_domain::payment::PartnerKind;
            let (name, kind) = match command {
                PaymentCommand::Gateway { name } => (name, PartnerKind::PaymentGateway),
                PaymentCommand::Carrier { name } => (name, PartnerKind::Carrier),
            };
            let name = name.trim();
            if name.is_empty()
                || name.len() > 50
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(CliError::Usage("tên đối tác chỉ gồm chữ, số, - và _ (tối đa 50)".into()));
            }
            let (secret, generated) = match std::env::var("MOTCUA_GATEWAY_SECRET") {
                Ok(s) if s.len() >= 16 => (s, false),
                Ok(_) => return Err(CliError::Usage("MOTCUA_GATEWAY_SECRET phải dài ít nhất 16 ký tự".into())),
                Err(_) => {
                    let mut raw = [0u8; 32];
                    getrandom::fill(&mut raw).map_err(CliError::Random)?;
                    (raw.iter().map(|b| format!("{b:02x}")).collect(), true)
                }
            };
            open(&cli).await?.set_partner(name, kind, &secret).await?;
            let what = kind.label_vi();
            if generated {
                println!("Đã đăng ký {what} {name}. Khóa bí mật (chỉ in lần này, giao cho đối tác):\n{secret}");
            } else {
                println!("Đã đăng ký {what} {name} với khóa trong MOTCUA_GATEWAY_SECRET.");
            }
            Ok(())
        }
        Command::Orgs(OrgsCommand::Export) => {
            print_stdout(&import::export_organisations(open(&cli).await?.as_ref()).await?)
        }
        Command::Catalog(CatalogCommand::Import { file }) => {
            let store = open(&cli).await?;
            let n = import::import_catalog(store.as_ref(), &read_input(file)?).await?;
            println!("Đã nạp {n} thủ tục hành chính.");
            Ok(())
        }
        Command::Catalog(CatalogCommand::Export) => {
            print_stdout(&import::export_catalog(open(&cli).await?.as_ref()).await?)
        }
        Command::Openapi => {
            let doc = crate::api::openapi().to_pretty_json()?;
            print_stdout(&format!("{doc}\n"))
        }
        Command::Calendar(cmd) => calendar(&cli, cmd).await,
        Command::BenchSearch(args) => {
            let report = crate::bench::search(args.procedures.clamp(48, 1_000_000), args.queries.clamp(1, 10_000_000))?;
            println!("{report}");
            Ok(())
        }
        Command::Bench(args) => {
            let report = crate::bench::run(crate::bench::BenchArgs {
                url: args.url.clone(),
                concurrency: args.concurrency.clamp(1, 256),
                duration: std::time::Duration::from_secs(args.seconds.clamp(1, 3600)),
                password: args.password.clone(),
                page_requests: args.page_requests.min(100_000),
                database_url: if args.no_baseline { None } else { Some(database_url(&cli)?) },
            })
            .await?;
            println!("{report}");
            Ok(())
        }
        Command::Assistant(AssistantCommand::Eval { file }) => {
            println!("{}", crate::assistant::eval(file)?);
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open(&cli).await?;
            let r = crate::audit::verify(store.as_ref()).await?;
            println!("Toàn vẹn: đã kiểm tra {} hồ sơ, {} sự kiện.", r.dossiers, r.events);
            Ok(())
        }
        Command::Pki(cmd) => pki_command(&cli, cmd).await,
        Command::BenchCrash(args) => {
            let exe = std::env::current_exe().map_err(io_err(Path::new("current_exe")))?;
            let report = crate::load::crash(crate::load::CrashArgs {
                exe,
                data_dir: cli.data_dir.clone(),
                database_url: cli.database_url.clone(),
                kills: args.kills.clamp(1, 10_000),
                concurrency: args.concurrency.clamp(1, 64),
                min_gap: std::time::Duration::from_millis(args.min_ms.clamp(10, 600_000)),
                max_gap: std::time::Duration::from_millis(
                    args.max_ms.clamp(args.min_ms.clamp(10, 600_000) + 1, 600_000),
                ),
                password: args.password.clone(),
            })
            .await?;
            println!("{report}");
            Ok(())
        }
        Command::Backup { dir } => {
            let s = crate::backup::backup(&database_url(&cli)?, &cli.data_dir, dir).await?;
            println!(
                "Đã sao lưu vào {} ({}): {} bảng, {} dòng; {} tệp đính kèm ({} byte).",
                dir.display(),
                s.engine,
                s.tables,
                s.rows,
                s.blobs,
                s.blob_bytes
            );
            Ok(())
        }
        Command::Restore { dir, force } => {
            let s = crate::backup::restore(&database_url(&cli)?, &cli.data_dir, dir, *force).await?;
            println!(
                "Đã khôi phục từ {} ({}) và đối chiếu: {} bảng, {} dòng khớp bản sao lưu; {} tệp đính kèm.",
                dir.display(),
                s.engine,
                s.tables,
                s.rows,
                s.blobs
            );
            Ok(())
        }
        Command::Verify { file, signature, ca } => verify_file(&cli, file, signature, ca.as_deref()).await,
        Command::Peer(cmd) => peer_command(&cli, cmd).await,
        Command::BenchExchange(args) => {
            let report = crate::bench::exchange(crate::bench::ExchangeBenchArgs {
                documents: args.documents.clamp(1, 100_000),
                attachment_bytes: args.attachment_kb.clamp(0, 10_000) * 1024,
                concurrency: args.concurrency.clamp(1, 64),
            })
            .await?;
            println!("{report}");
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => add_user(&cli, args).await,
        Command::User(UserCommand::Disable { username }) => set_disabled(&cli, username, true).await,
        Command::User(UserCommand::Enable { username }) => set_disabled(&cli, username, false).await,
    }
}

fn demo_settings(args: &DemoArgs) -> Result<DemoSettings, CliError> {
    let code = args.agency_code.trim();
    // It must form valid identifiers as the last group.
    OrgCode::parse(&format!("000.00.00.{code}"))?;
    if code.contains('.') {
        return Err(CliError::Usage("--agency-code là một nhóm, không chứa dấu chấm".into()));
    }
    Ok(DemoSettings { agency_code: code.to_owned() })
}

fn report_demo(outcome: &Outcome) {
    match outcome {
        Outcome::Loaded { units, organisations, procedures, accounts } => println!(
            "Đã nạp dữ liệu mẫu: {units} đơn vị hành chính, {organisations} cơ quan, {procedures} thủ tục, {accounts} tài khoản."
        ),
        Outcome::AlreadyLoaded => println!("Dữ liệu mẫu đã có sẵn, không nạp lại."),
    }
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Result<(), CliError> {
    // Attachments, keys and (by default) the database live here: for this user only.
    crate::blobs::private_dir(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
    let store = open(cli).await?;
    let stats = stats_settings(args)?;
    if args.demo {
        let outcome = demo::load(store.as_ref(), &demo_settings(&args.demo_settings)?).await?;
        report_demo(&outcome);
        if matches!(outcome, Outcome::Loaded { .. }) {
            synthetic(cli, &store, args.demo_settings.synthetic, args.demo_settings.seed).await?;
        }
        // Demo organisations get signing certificates so documents can be sent at once.
        let p = crate::exchange::ensure_passphrase(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
        let issued = crate::pki::ensure(store.as_ref(), &p).await?;
        if issued > 0 {
            println!("Đã cấp chứng thư số ký văn bản cho {issued} cơ quan.");
        }
    }
    let key_passphrase = crate::exchange::load_passphrase(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
    let listener = tokio::net::TcpListener::bind(&args.listen).await.map_err(io_err(Path::new(&args.listen)))?;
    let addr = listener.local_addr().map_err(io_err(Path::new(&args.listen)))?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let settings = ServerSettings {
        session_ttl: SignedDuration::from_hours(i64::from(args.session_hours)),
        secure_cookies: public_url.starts_with("https://"),
        calendar_rules: cli.calendar.rules()?,
        data_dir: cli.data_dir.clone(),
        public_url: Some(public_url.clone()),
        key_passphrase,
        notify: crate::notify::NotifySettings {
            smtp_url: args.smtp_url.clone(),
            mail_from: args.mail_from.clone(),
            ..Default::default()
        },
        stats,
        limits: args.limits(),
        quotas: if args.no_rate_limits {
            crate::api::AccountQuotas { dossiers_per_day: 0, bytes_per_day: 0 }
        } else {
            crate::api::AccountQuotas {
                dossiers_per_day: args.dossiers_per_day.max(0),
                bytes_per_day: args.upload_mb_per_day.max(0).saturating_mul(1024 * 1024),
            }
        },
        connections: crate::server::ConnectionLimits {
            max_connections: args.max_connections,
            streams_per_address: args.streams_per_address,
            ..Default::default()
        },
        supplement_mode: if args.supplement_mode == "pause" {
            motcua_domain::workflow::SupplementMode::Pause
        } else {
            motcua_domain::workflow::SupplementMode::Restart
        },
        ..ServerSettings::default()
    };
    let engine = match store.backend() {
        motcua_store::Backend::Sqlite => "SQLite",
        motcua_store::Backend::Postgres => "PostgreSQL",
    };
    println!("motcua đang chạy tại {public_url}  (CSDL: {engine})");
    println!("  Tài liệu API: {public_url}/api/v1/openapi.json");
    if args.demo {
        println!("Tài khoản mẫu (mật khẩu chung: {}):", demo::DEMO_PASSWORD);
        for line in demo::login_lines() {
            println!("{line}");
        }
    }
    let _ = std::io::stdout().flush();
    crate::server::serve(listener, store, settings, crate::server::shutdown_signal())
        .await
        .map_err(io_err(Path::new(&args.listen)))?;
    println!("motcua đã dừng.");
    Ok(())
}

async fn calendar(cli: &Cli, cmd: &CalendarCommand) -> Result<(), CliError> {
    use motcua_domain::TimeLimit;
    use motcua_domain::calendar::{WorkCalendar, parse_adjustments};
    let calendar_err = CliError::CalendarRules;
    let store = open(cli).await?;
    match cmd {
        CalendarCommand::Load { file } => {
            let text = match file {
                Some(f) => read_input(f)?,
                None => crate::calendar::ADJUSTMENTS.to_owned(),
            };
            let list = parse_adjustments(&text).map_err(calendar_err)?;
            // Build once to refuse a list the calendar would refuse (a date twice).
            WorkCalendar::new(cli.calendar.rules()?, list.clone()).map_err(calendar_err)?;
            let n = store.upsert_calendar_adjustments(&list).await?;
            println!("Đã nạp {n} ngày điều chỉnh lịch làm việc.");
            Ok(())
        }
        CalendarCommand::Holidays { year } => {
            let cal =
                WorkCalendar::new(cli.calendar.rules()?, store.calendar_adjustments().await?).map_err(calendar_err)?;
            let lines: String = cal
                .holidays(*year)
                .map_err(calendar_err)?
                .iter()
                .map(|h| format!("{}\t{}\n", h.date, h.name))
                .collect();
            print_stdout(&lines)
        }
        CalendarCommand::Due { from, days, hours, calendar_days, immediate } => {
            let from = crate::calendar::parse_instant(from).map_err(CliError::Usage)?;
            let limit = match (days, hours, calendar_days, immediate) {
                (Some(d), _, _, _) => TimeLimit::working_days(*d)?,
                (_, Some(h), _, _) => TimeLimit::working_hours(*h)?,
                (_, _, Some(c), _) => TimeLimit::calendar_days(*c)?,
                _ => TimeLimit::Immediate,
            };
            let cal =
                WorkCalendar::new(cli.calendar.rules()?, store.calendar_adjustments().await?).map_err(calendar_err)?;
            let due = cal.due(from, limit).map_err(calendar_err)?;
            print_stdout(&format!("{}\n", crate::calendar::rfc3339_vn(due.due_at)))
        }
    }
}

async fn set_disabled(cli: &Cli, username: &str, disabled: bool) -> Result<(), CliError> {
    let username = Username::parse(username)?;
    if !open(cli).await?.set_account_disabled(&username, disabled).await? {
        return Err(CliError::Usage(format!("không có tài khoản {username}")));
    }
    println!("Đã {} tài khoản {username}.", if disabled { "khóa" } else { "mở khóa" });
    Ok(())
}

async fn add_user(cli: &Cli, args: &UserAddArgs) -> Result<(), CliError> {
    let username = Username::parse(&args.username)?;
    let full_name = Name::parse("Họ tên", &args.full_name)?;
    let mut roles = Vec::new();
    for r in &args.roles {
        let (org, role) = r
            .rsplit_once(':')
            .ok_or_else(|| CliError::Usage(format!("--role phải có dạng MÃ_CƠ_QUAN:VAI_TRÒ, nhận được «{r}»")))?;
        roles.push(RoleAssignment { org: OrgCode::parse(org)?, role: Role::parse(role)? });
    }
    let kind = if args.citizen { AccountKind::Citizen } else { AccountKind::Staff };
    let account = NewAccount {
        username: username.clone(),
        full_name,
        kind,
        cccd: args.cccd.as_deref().map(Cccd::parse).transpose()?,
        email: args.email.as_deref().map(Email::parse).transpose()?,
        phone: args.phone.as_deref().map(Phone::parse).transpose()?,
        roles,
        password_hash: String::new(),
    }
    .check()?;

    if std::io::stdin().is_terminal() {
        eprint!("Mật khẩu (ít nhất {} ký tự): ", Password::MIN_CHARS);
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(io_err(Path::new("stdin")))?;
    let password = Password::parse(line.trim_end_matches(['\r', '\n']), &username)?;
    let password_hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password)).await??;

    let store = open(cli).await?;
    let created = store.create_account(&NewAccount { password_hash, ..account }).await.map_err(|e| match e {
        StoreError::Conflict(_) => CliError::Usage(format!("tên đăng nhập {username} hoặc số CCCD đã được dùng")),
        StoreError::MissingReference(_) => CliError::Usage("một cơ quan trong --role chưa có trong hệ thống".into()),
        other => other.into(),
    })?;
    println!("Đã tạo tài khoản {} (mã {}).", created.username, created.id);
    Ok(())
}

fn algorithm(s: &str) -> Result<motcua_exchange::KeyAlgorithm, CliError> {
    motcua_exchange::KeyAlgorithm::parse(s)
        .ok_or_else(|| CliError::Usage(format!("--algorithm phải là ec hoặc rsa, không phải {s}")))
}

fn passphrase(cli: &Cli) -> Result<crate::exchange::Passphrase, CliError> {
    crate::exchange::load_passphrase(&cli.data_dir).map_err(io_err(&cli.data_dir))?.ok_or_else(|| {
        CliError::Usage(format!(
            "chưa có khóa bảo vệ khóa bí mật ({}/keys/passphrase hoặc {}): chạy motcua pki init",
            cli.data_dir.display(),
            crate::exchange::PASSPHRASE_ENV
        ))
    })
}

fn print_cert(what: &str, info: &motcua_exchange::CertificateInfo) {
    println!(
        "{what}: {}\n  số sê-ri {}\n  SHA-256 {}\n  hiệu lực {} → {}",
        info.subject,
        info.serial,
        info.fingerprint,
        crate::calendar::display_vn(info.not_before),
        crate::calendar::display_vn(info.not_after)
    );
}

async fn pki_command(cli: &Cli, cmd: &PkiCommand) -> Result<(), CliError> {
    let store = open(cli).await?;
    match cmd {
        PkiCommand::Init { name, algorithm: a, days } => {
            let p = crate::exchange::ensure_passphrase(&cli.data_dir).map_err(io_err(&cli.data_dir))?;
            let info = crate::pki::init(store.as_ref(), &p, name, algorithm(a)?, (*days).clamp(1, 36_500)).await?;
            print_cert("Đã tạo CA", &info);
            println!("Khóa bí mật được mã hóa bằng khóa trong {}/keys/passphrase.", cli.data_dir.display());
        }
        PkiCommand::Issue { org, all, algorithm: a, days } => {
            let p = passphrase(cli)?;
            if *all {
                let n = crate::pki::issue_missing(store.as_ref(), &p, algorithm(a)?).await?;
                println!("Đã cấp chứng thư số cho {n} cơ quan.");
            } else if let Some(org) = org {
                let org = OrgCode::parse(org)?;
                let info = crate::pki::issue(store.as_ref(), &p, &org, algorithm(a)?, (*days).clamp(1, 3650)).await?;
                print_cert(&format!("Đã cấp chứng thư cho {org}"), &info);
            }
        }
        PkiCommand::Import { org, p12, cert, key } => {
            let p = passphrase(cli)?;
            let org = OrgCode::parse(org)?;
            let password = std::env::var("MOTCUA_IMPORT_PASSWORD").ok();
            let (issued, chain) = match (p12, cert, key) {
                (Some(file), _, _) => {
                    let der = std::fs::read(file).map_err(io_err(file))?;
                    motcua_exchange::pki::import_pkcs12(&der, password.as_deref().unwrap_or(""), p.bytes())?
                }
                (None, Some(c), Some(k)) => {
                    let cert = std::fs::read(c).map_err(io_err(c))?;
                    let key = std::fs::read(k).map_err(io_err(k))?;
                    motcua_exchange::pki::import_pem(&cert, &key, password.as_deref().map(str::as_bytes), p.bytes())?
                }
                _ => return Err(CliError::Usage("cần --p12 FILE, hoặc --cert FILE --key FILE".into())),
            };
            let info = crate::pki::import(store.as_ref(), &org, issued, chain).await?;
            print_cert(&format!("Đã nhập chứng thư cho {org}"), &info);
        }
        PkiCommand::Trust { file } => {
            let pem = std::fs::read(file).map_err(io_err(file))?;
            for info in crate::pki::trust(store.as_ref(), &pem).await? {
                print_cert("Đã tin cậy", &info);
            }
        }
        PkiCommand::List => {
            let mut out = String::new();
            for c in store.certificates(None, None).await? {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\n",
                    c.role.as_str(),
                    c.org.as_ref().map_or("-", |o| o.as_str()),
                    if c.active { "hiệu lực" } else { "đã thay" },
                    crate::calendar::display_vn(c.not_after),
                    c.fingerprint,
                    c.subject
                ));
            }
            print_stdout(&out)?;
        }
        PkiCommand::ExportCa => print_stdout(&crate::pki::ca_pem(store.as_ref()).await?)?,
    }
    Ok(())
}

async fn peer_command(cli: &Cli, cmd: &PeerCommand) -> Result<(), CliError> {
    let store = open(cli).await?;
    match cmd {
        PeerCommand::Add { name, url, ca, orgs } => {
            let pem = std::fs::read(ca).map_err(io_err(ca))?;
            let orgs = orgs
                .iter()
                .map(|o| {
                    let (code, name) = o.split_once('=').unwrap_or((o, ""));
                    Ok((OrgCode::parse(code)?, name.trim().to_owned()))
                })
                .collect::<Result<Vec<_>, CliError>>()?;
            let peer = crate::pki::add_peer(store.as_ref(), name, url, &pem, orgs).await?;
            println!(
                "Đã lưu đối tác {} ({}), {} cơ quan, CA SHA-256 {}.",
                peer.name,
                peer.base_url,
                peer.orgs.len(),
                peer.ca_fingerprint
            );
        }
        PeerCommand::List => {
            let mut out = String::new();
            for p in store.peers().await? {
                let orgs: Vec<&str> = p.orgs.iter().map(|(c, _)| c.as_str()).collect();
                out.push_str(&format!("{}\t{}\t{}\t{}\n", p.name, p.base_url, p.ca_fingerprint, orgs.join(",")));
            }
            print_stdout(&out)?;
        }
    }
    Ok(())
}

async fn verify_file(cli: &Cli, file: &Path, signature: &Path, ca: Option<&Path>) -> Result<(), CliError> {
    let content = std::fs::read(file).map_err(io_err(file))?;
    let sig = std::fs::read(signature).map_err(io_err(signature))?;
    let anchors = match ca {
        Some(p) => {
            let pem = std::fs::read(p).map_err(io_err(p))?;
            motcua_exchange::TrustAnchors::new(motcua_exchange::pki::parse_certificates(&pem)?)
        }
        None => {
            let store = open(cli).await?;
            let x = crate::exchange::Exchange::new(store, None, Default::default());
            x.anchors().await?
        }
    };
    if anchors.is_empty() {
        return Err(CliError::Usage("không có CA tin cậy: dùng --ca ca.pem".into()));
    }
    let sha = motcua_domain::audit::sha256_hex(&content);
    match motcua_exchange::sign::verify_detached(&anchors, &content, &sig, None, jiff::Timestamp::now()) {
        Ok(info) => {
            println!("HỢP LỆ: {} được ký bởi {}", file.display(), info.subject);
            if let Some(org) = &info.org {
                println!("  cơ quan: {org}");
            }
            println!("  cấp bởi: {}", info.issuer);
            println!("  SHA-256 của tệp: {sha}");
            Ok(())
        }
        Err(e) => Err(CliError::Usage(format!("KHÔNG HỢP LỆ: {e} (SHA-256 của tệp: {sha})"))),
    }
}
