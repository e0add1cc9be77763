// The citizen's and officers' journey by clicks in headless Chromium:
//   node journey.mjs BASE_URL SCREENSHOT_DIR
// A citizen searches without diacritics, opens the procedure, signs in, submits with an
// attachment and gets a code; a commune desk officer receives it; it goes through its steps
// to "returned"; the citizen sees it; the public tracking page shows the timeline.
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const [base, outDir] = process.argv.slice(2);
const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(outDir, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`journey: ${what}`);
}

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(outDir, `e2e-${String(step).padStart(2, "0")}-${name}.png`), fullPage: true });
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

try {
  // Citizen: search without diacritics, open the procedure.
  const citizen = await (await browser.newContext()).newPage();
  await citizen.goto(`${base}/`);
  await citizen.getByLabel("Bạn cần làm thủ tục gì?").fill("dang ky khai sinh");
  await citizen.getByRole("button", { name: "Tìm kiếm" }).click();
  await citizen.getByRole("link", { name: "Đăng ký khai sinh", exact: true }).waitFor();
  await shot(citizen, "tim-kiem");
  await citizen.getByRole("link", { name: "Đăng ký khai sinh", exact: true }).click();
  await citizen.getByRole("heading", { name: "Đăng ký khai sinh" }).waitFor();
  await shot(citizen, "thu-tuc");

  // Sign in, then submit with an attachment.
  await citizen.getByRole("link", { name: "Nộp hồ sơ trực tuyến" }).click();
  await citizen.waitForURL(/\/dang-nhap/);
  await fillSignIn(citizen, "congdan");
  // Back on the form after signing in.
  await citizen.waitForURL(`${base}/nop-ho-so/1.001193`);
  await citizen.getByLabel("Nơi giải quyết").selectOption("000.00.37.H22");
  await citizen.getByLabel("Địa chỉ liên hệ").fill("Tổ 3, khu 5, phường Hạ Long");
  const pdf = join(tmpdir(), `to-khai-${process.pid}.pdf`);
  writeFileSync(pdf, "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
  await citizen.locator("#component-0").setInputFiles(pdf);
  await shot(citizen, "nop-ho-so");
  await citizen.getByRole("button", { name: "Nộp hồ sơ" }).click();
  await citizen.getByText("Đã nộp hồ sơ").waitFor();
  const code = (await citizen.locator("dl.facts dd").first().textContent()).trim();
  check(/^001\.00\.37\.H22-\d{6}-\d{4}$/.test(code), `a dossier code, got ${code}`);
  await shot(citizen, "da-nop");

  // Officers, each in their own browser session, click the action for their step.
  const steps = [
    ["halong.motcua", "Tiếp nhận hồ sơ", "Được tiếp nhận"],
    ["halong.chuyenvien", "Chuyển bước tiếp theo", "Đang xử lý"],
    ["halong.lanhdao", "Phê duyệt", "Đang xử lý"],
    ["halong.vanthu", "Ký số, đóng dấu", "Đã xử lý xong"],
    ["halong.motcua", "Trả kết quả", "Đã trả kết quả"],
  ];
  for (const [user, button, status] of steps) {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, user);
    await page.goto(`${base}/ho-so/${code}`);
    await page.getByRole("button", { name: button }).click();
    await page.getByText("Đã thực hiện thao tác").waitFor();
    check((await page.locator("dl.facts").textContent()).includes(status), `${user}: status ${status}`);
    await shot(page, user.replace(".", "-"));
    await page.context().close();
  }

  // The citizen sees the result returned; the public page shows the timeline.
  await citizen.goto(`${base}/ho-so`);
  check((await citizen.locator("table").textContent()).includes("Đã trả kết quả"), "citizen sees returned");
  await shot(citizen, "ho-so-cua-toi");
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(`${base}/tra-cuu`);
  await visitor.getByLabel("Mã hồ sơ (in trên giấy tiếp nhận)").fill(code);
  await visitor.getByRole("button", { name: "Tra cứu" }).click();
  await visitor.getByText("Quá trình xử lý").waitFor();
  const timeline = await visitor.locator("ol.timeline").textContent();
  for (const label of ["Nộp hồ sơ trực tuyến", "Tiếp nhận hồ sơ", "Phê duyệt", "Ký số, đóng dấu", "Trả kết quả"]) {
    check(timeline.includes(label), `timeline has ${label}`);
  }
  await shot(visitor, "tra-cuu");
  console.log(`journey ok: ${code}, ${step} screenshots in ${outDir}`);
} finally {
  await browser.close();
}
