// The citizen's and officers' journey by clicks in headless Chromium:
//   node journey.mjs BASE_URL SCREENSHOT_DIR
// A citizen searches without diacritics, opens the procedure, registers, fills the form,
// saves a draft, reviews and submits with attachments and gets a code; a commune desk
// officer asks for a supplement, which the citizen uploads; officers take the dossier through
// its steps to "returned", the clerk attaching the result; the citizen downloads the result
// and rates the service; the public tracking page shows the timeline. Officers' inbox,
// counter reception and the administration pages are visited too; an official document is
// sent between two organisations and receipted. One screenshot per page.
import { launch } from "./lib.mjs";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const [base, outDir] = process.argv.slice(2);
const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";
mkdirSync(outDir, { recursive: true });
// Only this run's screenshots: an earlier run's would pass for pages no longer reached.
for (const f of readdirSync(outDir)) if (/^e2e-.*\.png$/.test(f)) rmSync(join(outDir, f));

function check(cond, what) {
  if (!cond) throw new Error(`journey: ${what}`);
}

const browser = await launch();
let step = 0;
// A page opened long before, behind other windows, may fail to paint for a capture
// ("Unable to capture screenshot", seen once in CI on the last, English, page): it comes to
// the front first, and a capture that still fails so is tried once more.
async function shot(page, name) {
  step += 1;
  const path = join(outDir, `e2e-${String(step).padStart(2, "0")}-${name}.png`);
  await page.bringToFront();
  try {
    await page.screenshot({ path, fullPage: true });
  } catch (e) {
    if (!String(e).includes("Unable to capture screenshot")) throw e;
    await page.waitForTimeout(500);
    await page.screenshot({ path, fullPage: true });
  }
}
async function fillSignIn(page, username) {
  await page.getByLabel("Tên đăng nhập").fill(username);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
}
async function signIn(page, username) {
  await page.goto(`${base}/dang-nhap`);
  await fillSignIn(page, username);
  await page.waitForURL(`${base}/ho-so`);
}
async function officer(username) {
  const page = await (await browser.newContext()).newPage();
  // Five browsers share two cores while the suite runs: a step may take longer than
  // Playwright's 30 s default there (seen once, waiting for an action's notice).
  page.setDefaultTimeout(60_000);
  await signIn(page, username);
  return page;
}
// The action form holding a button, so fields of other forms on the page are not confused.
function actionForm(page, button) {
  return page.locator("form.action", { has: page.getByRole("button", { name: button, exact: true }) });
}
const files = mkdtempSync(join(tmpdir(), "motcua-e2e-"));
function file(name, bytes) {
  const path = join(files, name);
  writeFileSync(path, bytes);
  return path;
}
// WCAG AA: every visible text against its effective background, 4.5:1 (3:1 when large).
async function checkContrast(page, what) {
  const failures = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const el of document.querySelectorAll("body *")) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      const style = getComputedStyle(el);
      if (!own || style.visibility === "hidden" || el.closest(".sr-only, .skip, svg")) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName} «${el.textContent.trim().slice(0, 30)}» ${ratio.toFixed(2)}`);
    }
    return out;
  });
  check(failures.length === 0, `contrast on ${what}: ${failures.join("; ")}`);
}
const pdf = (text) => `%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${text}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
const png = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082",
  "hex",
);

try {
  // Citizen: search without diacritics, open the procedure.
  const citizen = await (await browser.newContext()).newPage();
  citizen.setDefaultTimeout(60_000);
  await citizen.goto(`${base}/`);
  await shot(citizen, "trang-chu");
  await checkContrast(citizen, "home");
  // By keyboard alone: the first Tab reaches the skip link, which leads to the content; the
  // search is typed and sent with Enter.
  await citizen.keyboard.press("Tab");
  check(await citizen.evaluate(() => document.activeElement.classList.contains("skip")), "skip link first");
  await citizen.keyboard.press("Enter");
  // The fragment navigation lands a moment after the key (later on a busy machine): wait for it.
  const skipped = await citizen
    .waitForFunction(() => location.hash === "#noi-dung", null, { timeout: 10_000 })
    .then(() => true, () => false);
  check(skipped && citizen.url().endsWith("#noi-dung"), "skip link leads to the content");
  await citizen.getByLabel("Bạn cần làm thủ tục gì?").focus();
  await citizen.keyboard.type("dang ky khai sinh");
  await citizen.keyboard.press("Enter");
  await citizen.getByRole("link", { name: "Đăng ký khai sinh", exact: true }).waitFor();
  await shot(citizen, "tim-kiem");
  await citizen.getByRole("link", { name: "Đăng ký khai sinh", exact: true }).click();
  await citizen.getByRole("heading", { name: "Đăng ký khai sinh" }).waitFor();
  await shot(citizen, "thu-tuc");

  // Not signed in: register a new account from the sign-in page, and come back to the form.
  await citizen.getByRole("link", { name: "Nộp hồ sơ trực tuyến" }).click();
  await citizen.waitForURL(/\/dang-nhap/);
  await shot(citizen, "dang-nhap");
  await citizen.getByRole("link", { name: "Đăng ký tài khoản" }).click();
  await citizen.getByRole("heading", { name: "Đăng ký tài khoản" }).waitFor();
  await citizen.getByLabel("Họ và tên").fill("Phạm Thị Lan");
  await citizen.getByLabel("Số căn cước công dân (12 chữ số)").fill("022190004321");
  await citizen.getByLabel("Số điện thoại").fill("0912 345 678");
  await citizen.getByLabel("Tên đăng nhập").fill("phamthilan");
  await citizen.getByLabel("Mật khẩu", { exact: true }).fill("Lan-2025-Ha-Long");
  await citizen.getByLabel("Nhập lại mật khẩu").fill("Lan-2025-Ha-Long");
  await shot(citizen, "dang-ky");
  await citizen.getByRole("button", { name: "Đăng ký" }).click();
  // The code sent to the phone (the test harness writes it into SCREENSHOT_DIR/register-otp.txt,
  // standing in for the citizen's phone) finishes the registration.
  await citizen.getByRole("heading", { name: "Xác nhận số điện thoại" }).waitFor();
  await shot(citizen, "dang-ky-ma");
  const otpFile = join(outDir, "register-otp.txt");
  for (let i = 0; i < 150 && !existsSync(otpFile); i++) await new Promise((r) => setTimeout(r, 100));
  check(existsSync(otpFile), "the harness received the code");
  await citizen.getByLabel("Mã xác nhận").fill(readFileSync(otpFile, "utf8").trim());
  await citizen.getByRole("button", { name: "Hoàn tất đăng ký" }).click();
  await citizen.waitForURL(`${base}/nop-ho-so/1.001193`);

  // The form: place, address, the three documents; a draft first, then the review.
  check((await citizen.locator("main form").textContent()).includes("Phạm Thị Lan"), "applicant prefilled from the account");
  await citizen.getByLabel("Nơi giải quyết").selectOption("000.00.37.H22");
  await citizen.getByLabel("Địa chỉ liên hệ").fill("Tổ 3, khu 5, phường Hạ Long");
  await citizen.locator("#component-0").setInputFiles(file("to-khai.pdf", pdf("to khai")));
  await citizen.getByRole("button", { name: "Lưu nháp" }).click();
  await citizen.getByText("Đã lưu bản nháp").waitFor();
  check((await citizen.locator("main form").textContent()).includes("to-khai.pdf"), "the draft keeps the file");
  await shot(citizen, "nop-ho-so-nhap");
  // Continuing with papers missing: the form again, an error summary on top that takes the
  // focus, each entry a link to its field (GOV.UK's pattern) — not a disabled button at review.
  await citizen.getByRole("button", { name: "Tiếp tục: xem lại" }).click();
  const summary = citizen.locator(".error-summary");
  await summary.waitFor();
  check(await summary.evaluate((el) => el === document.activeElement), "the error summary takes the focus");
  check((await summary.getByRole("link").count()) === 2, "two missing papers listed");
  await summary.getByRole("link", { name: /Giấy chứng sinh/ }).click();
  check((await citizen.evaluate(() => document.activeElement?.id)) === "component-1", "the link leads to the field");
  await checkContrast(citizen, "form with errors");
  await shot(citizen, "nop-ho-so-loi");
  await citizen.locator("#component-1").setInputFiles(file("giay-chung-sinh.pdf", pdf("giay chung sinh")));
  await citizen.locator("#component-2").setInputFiles(file("cccd-me.png", png));
  await citizen.getByRole("button", { name: "Tiếp tục: xem lại" }).click();
  await citizen.getByRole("heading", { name: /Xem lại trước khi nộp/ }).waitFor();
  for (const name of ["to-khai.pdf", "giay-chung-sinh.pdf", "cccd-me.png", "Ủy ban nhân dân phường Hạ Long"]) {
    check((await citizen.locator("main").textContent()).includes(name), `review shows ${name}`);
  }
  await shot(citizen, "xem-lai");
  await checkContrast(citizen, "review");
  await citizen.getByRole("button", { name: "Nộp hồ sơ" }).click();
  await citizen.getByText("Đã nộp hồ sơ").waitFor();
  const code = (await citizen.locator("dl.facts dd").first().textContent()).trim();
  check(/^001\.00\.37\.H22-\d{6}-\d{4}$/.test(code), `a dossier code, got ${code}`);
  await shot(citizen, "da-nop");

  // The desk officer finds it in the inbox and asks for a supplement.
  const desk = await officer("halong.motcua");
  check((await desk.locator("table.inbox").textContent()).includes(code), "in the desk's inbox");
  await desk.getByLabel("Trạng thái").selectOption({ label: "Mới đăng ký" });
  await desk.getByRole("button", { name: "Lọc" }).click();
  check((await desk.locator("table.inbox").textContent()).includes(code), "the status filter keeps it");
  await shot(desk, "hop-thu-loc");
  await checkContrast(desk, "inbox");
  await desk.getByRole("link", { name: code }).click();
  const ask = actionForm(desk, "Yêu cầu bổ sung hồ sơ");
  await ask.getByLabel("Nội dung cần bổ sung").fill("Bản chụp rõ nét Căn cước của người mẹ");
  await ask.getByLabel("Lý do").fill("Ảnh chụp bị mờ");
  await shot(desk, "yeu-cau-bo-sung");
  await checkContrast(desk, "officer's dossier page");
  await ask.getByRole("button", { name: "Yêu cầu bổ sung hồ sơ" }).click();
  await desk.locator("p.notice.ok", { hasText: "Đã thực hiện: Yêu cầu bổ sung hồ sơ." }).waitFor();

  // The citizen sees what is asked and uploads it.
  await citizen.goto(`${base}/ho-so/${code}`);
  await citizen.getByText("Bản chụp rõ nét Căn cước của người mẹ").waitFor();
  const answer = actionForm(citizen, "Bổ sung hồ sơ");
  await answer.getByLabel("Tệp bổ sung").setInputFiles(file("cccd-me-ro-net.png", png));
  await shot(citizen, "bo-sung");
  await answer.getByRole("button", { name: "Bổ sung hồ sơ" }).click();
  await citizen.locator("p.notice.ok", { hasText: "Đã thực hiện: Bổ sung hồ sơ." }).waitFor();
  check((await citizen.locator("ul.files").textContent()).includes("cccd-me-ro-net.png"), "supplement attached");

  // Officers, each in their own browser session, click the action for their step.
  const steps = [
    ["halong.motcua", "Tiếp nhận hồ sơ", "Được tiếp nhận"],
    ["halong.chuyenvien", "Chuyển bước tiếp theo", "Đang xử lý"],
    ["halong.lanhdao", "Phê duyệt", "Đang xử lý"],
    ["halong.vanthu", "Ký số, đóng dấu", "Đã xử lý xong"],
    ["halong.motcua", "Trả kết quả", "Đã trả kết quả"],
  ];
  for (const [user, button, status] of steps) {
    const page = await officer(user);
    await page.goto(`${base}/ho-so/${code}`);
    if (button === "Ký số, đóng dấu") {
      await actionForm(page, button).getByLabel("Tệp kết quả").setInputFiles(file("giay-khai-sinh.pdf", pdf("ket qua")));
    }
    await page.getByRole("button", { name: button, exact: true }).click();
    // The page says which action was taken.
    await page.locator("p.notice.ok", { hasText: `Đã thực hiện: ${button}.` }).waitFor();
    check((await page.locator("dl.facts").textContent()).includes(status), `${user}: status ${status}`);
    await shot(page, user.replace(".", "-"));
    await page.context().close();
  }

  // The citizen sees the result returned, downloads it and rates the service.
  await citizen.goto(`${base}/ho-so`);
  check((await citizen.locator("table").textContent()).includes("Đã trả kết quả"), "citizen sees returned");
  await shot(citizen, "ho-so-cua-toi");
  await citizen.goto(`${base}/ho-so/${code}`);
  const [download] = await Promise.all([
    citizen.waitForEvent("download"),
    citizen.getByRole("link", { name: "giay-khai-sinh.pdf" }).click(),
  ]);
  check(download.suggestedFilename() === "giay-khai-sinh.pdf", "result downloaded");
  await citizen.getByLabel(/Rất hài lòng/).check();
  await citizen.getByLabel("Góp ý (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình, đúng hẹn");
  await shot(citizen, "danh-gia");
  await checkContrast(citizen, "rating");
  await citizen.getByRole("button", { name: "Gửi đánh giá" }).click();
  await citizen.getByText("Cảm ơn bạn đã đánh giá").waitFor();
  check((await citizen.locator("p.rating").textContent()).includes("5/5"), "rating shown");

  // The public page shows the timeline.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${base}/tra-cuu`);
  await visitor.getByLabel("Mã hồ sơ (in trên giấy tiếp nhận)").fill(code);
  await visitor.getByRole("button", { name: "Tra cứu" }).click();
  await visitor.getByText("Quá trình xử lý").waitFor();
  const timeline = await visitor.locator("ol.timeline").textContent();
  for (const label of ["Nộp hồ sơ trực tuyến", "Yêu cầu bổ sung hồ sơ", "Bổ sung hồ sơ", "Tiếp nhận hồ sơ", "Phê duyệt", "Ký số, đóng dấu", "Trả kết quả"]) {
    check(timeline.includes(label), `timeline has ${label}`);
  }
  await shot(visitor, "tra-cuu");

  // Counter reception: the desk enters a dossier handed in on paper, then prints form 01.
  const counter = await officer("halong.motcua");
  await counter.getByRole("link", { name: "Tiếp nhận hồ sơ tại quầy" }).click();
  const choice = await counter.locator("#choice option", { hasText: "Cấp Giấy xác nhận tình trạng hôn nhân" }).first().getAttribute("value");
  await counter.getByLabel("Thủ tục").selectOption(choice);
  await counter.getByRole("button", { name: "Tiếp tục" }).click();
  // The chosen procedure's papers, one file input each, named as the catalog names them.
  check((await counter.locator("label[for=component-0]").textContent()).startsWith("Tờ khai cấp Giấy xác nhận tình trạng hôn nhân"), "a file input per paper");
  await counter.getByLabel("Họ và tên").fill("Đỗ Văn Minh");
  await counter.getByLabel("Số căn cước công dân").fill("022088001122");
  await counter.locator("#component-0").setInputFiles(file("to-khai-hon-nhan.pdf", pdf("to khai hon nhan")));
  await shot(counter, "tiep-nhan-tai-quay");
  await counter.getByRole("button", { name: "Tiếp nhận hồ sơ" }).click();
  await counter.getByText("Đã nộp hồ sơ").waitFor();
  check((await counter.locator("dl.facts").textContent()).includes("Trực tiếp"), "received in person");
  const [receipt] = await Promise.all([
    counter.context().waitForEvent("page"),
    counter.getByRole("link", { name: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" }).click(),
  ]);
  await receipt.waitForLoadState();
  check((await receipt.content()).includes("Đỗ Văn Minh"), "form 01 names the applicant");
  await shot(receipt, "mau-01");

  // Administration, as the province's administrator.
  const admin = await officer("tinh.quantri");
  await admin.getByRole("link", { name: "Quản trị" }).click();
  await shot(admin, "quan-tri");
  await admin.goto(`${base}/quan-tri/can-bo?org=000.00.37.H22`);
  await admin.getByLabel("Tên đăng nhập").fill("halong.chuyenvien2");
  await admin.getByLabel("Họ và tên").fill("Lý Thu Hà");
  await admin.getByLabel("Mật khẩu ban đầu").fill("Chuyen-vien-2025");
  // The add-staff form (the page also has the second factor policy's role boxes).
  await admin.locator("form.stack", { has: admin.getByLabel("Mật khẩu ban đầu") }).getByLabel("Chuyên viên").check();
  await admin.getByRole("button", { name: "Thêm cán bộ" }).click();
  await admin.getByText("Đã lưu thay đổi").waitFor();
  check((await admin.locator("table").textContent()).includes("halong.chuyenvien2"), "staff added");
  await shot(admin, "quan-tri-can-bo");
  await checkContrast(admin, "staff administration");
  await admin.goto(`${base}/quan-tri/thu-tuc`);
  await shot(admin, "quan-tri-thu-tuc");
  // A workflow edited into a loop is refused with the reason, the text kept to mend.
  await admin.locator("summary", { hasText: "Sửa quy trình 5-buoc" }).click();
  const text = admin.getByLabel("Quy trình 5-buoc (JSON)");
  const looped = (await text.inputValue()).replace('"next": "approve"', '"next": "receive"');
  check(looped.includes('"next": "receive"'), "the workflow's JSON is in the editor");
  await text.fill(looped);
  await admin.locator("form", { has: text }).getByRole("button", { name: "Lưu phiên bản mới" }).click();
  await admin.getByText(/vòng lặp/).waitFor();
  check((await admin.getByLabel("Quy trình 5-buoc (JSON)").inputValue()).includes('"next": "receive"'), "the text kept");
  await checkContrast(admin, "workflow refused");
  await shot(admin, "quan-tri-quy-trinh-loi");
  await admin.goto(`${base}/quan-tri/ngay-nghi`);
  await admin.getByLabel("Ngày", { exact: true }).fill("2026-12-31");
  await admin.getByLabel("Loại").selectOption("off");
  await admin.getByLabel("Lý do").fill("Nghỉ bù dịp Tết Dương lịch");
  await admin.getByRole("button", { name: "Lưu" }).click();
  await admin.getByText("Đã lưu thay đổi").waitFor();
  check((await admin.locator("table").first().textContent()).includes("31/12/2026"), "day off recorded");
  await shot(admin, "quan-tri-ngay-nghi");

  // The assistant, asked in everyday words.
  await visitor.goto(`${base}/`);
  await visitor.getByRole("link", { name: /Hỏi trợ lý ảo/ }).click();
  await visitor.getByLabel("Câu hỏi của bạn").fill("làm lại bằng lái");
  await visitor.getByRole("button", { name: "Hỏi" }).click();
  await visitor.getByText("Thủ tục phù hợp: Cấp lại giấy phép lái xe").waitFor();
  await checkContrast(visitor, "assistant");
  await shot(visitor, "tro-ly");

  // Official documents: the Department of Justice's clerk sends a signed invitation with a
  // file to the ward; the ward's clerk finds it in the incoming register and accepts it; the
  // sender sees the receipts.
  const sender = await officer("stp.vanthu");
  await sender.getByRole("link", { name: "Văn bản", exact: true }).click();
  await sender.getByRole("link", { name: "Soạn và gửi văn bản" }).click();
  await sender.getByLabel(/^Nơi nhận \(giữ Ctrl/).selectOption("000.00.37.H22");
  await sender.getByLabel("Loại văn bản").selectOption("Giấy mời");
  await sender.getByLabel(/^Ký hiệu/).fill("GM-STP");
  await sender.getByLabel(/^Trích yếu/).fill("Mời dự hội nghị triển khai chuyển đổi số năm 2027");
  await sender.getByLabel("Nội dung").fill("Kính mời đại diện lãnh đạo UBND phường dự hội nghị.");
  await sender.getByLabel("Họ tên").fill("Phạm Quang Huy");
  await sender.getByLabel("Độ khẩn").selectOption("1");
  await sender.getByLabel(/^Tệp đính kèm/).setInputFiles(file("giay-moi.pdf", pdf("giay moi hoi nghi")));
  await checkContrast(sender, "compose a document");
  await shot(sender, "van-ban-soan");
  await sender.getByRole("button", { name: "Ký số và gửi" }).click();
  await sender.getByRole("heading", { name: "Giấy mời 1/GM-STP" }).waitFor();
  const documentUrl = sender.url();
  const ward = await officer("halong.vanthu");
  await ward.getByRole("link", { name: "Văn bản", exact: true }).click();
  for (let i = 0; i < 50 && !(await ward.getByRole("link", { name: "1/GM-STP" }).count()); i++) {
    await ward.waitForTimeout(100);
    await ward.reload();
  }
  await checkContrast(ward, "incoming register");
  await shot(ward, "van-ban-so-den");
  await ward.getByRole("link", { name: "1/GM-STP" }).click();
  await ward.getByLabel("Cập nhật tình trạng").selectOption("03");
  await ward.getByLabel(/^Ghi chú/).fill("Đã vào sổ, trình lãnh đạo");
  await ward.getByRole("button", { name: "Ghi nhận và gửi báo nhận" }).click();
  await ward.getByText("Đã ghi nhận và gửi báo nhận").waitFor();
  await shot(ward, "van-ban-tiep-nhan");
  await sender.goto(documentUrl);
  const receipts = await sender.locator("ol.timeline").textContent();
  check(receipts.includes("01 · Đã đến") && receipts.includes("03 · Đã tiếp nhận"), "the sender sees both receipts");
  await checkContrast(sender, "document with receipts");
  await shot(sender, "van-ban-bao-nhan");

  // English, as a second language.
  await visitor.goto(`${base}/?lang=en`);
  await visitor.getByRole("heading", { name: "Find an administrative procedure" }).waitFor();
  await shot(visitor, "english");
  console.log(`journey ok: ${code}, ${step} screenshots in ${outDir}`);
} finally {
  await browser.close();
}
