// Booking an appointment in headless Chromium, by clicks:
//   node booking.mjs BASE_URL SCREENSHOT_DIR
// Without an account: open "Đặt lịch hẹn", choose the Hạ Long centre's land desk, take the
// first free time, give a name and phone, get a confirmation code; find the booking again
// by code and phone, move it to another time, cancel it. The desk officer then sees the
// day's list. Any console error or blocked resource fails the run.
import { launch } from "./lib.mjs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, outDir] = process.argv.slice(2);
const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";
mkdirSync(outDir, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`booking: ${what}`);
}

const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: { width: 1100, height: 1200 } })).newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  // The browser drops its own favicon fetch when a click navigates first (seen once in CI):
  // not a fault of the page.
  const aborted = (r) => r.url().endsWith("/static/favicon.svg");
  page.on("requestfailed", (r) => { if (!aborted(r)) problems.push(`failed ${r.url()} (${r.failure()?.errorText})`); });
  const shot = (name) => page.screenshot({ path: join(outDir, `booking-${name}.png`), fullPage: true });

  await page.goto(`${base}/`);
  await page.getByRole("link", { name: "Đặt lịch hẹn" }).first().click();
  await page.getByRole("link", { name: /Tiếp nhận hồ sơ đất đai/ }).click();
  // One choice per screen, each fitting a phone: the day, then the time, then the details.
  await shot("01-days");
  check((await page.locator("input").count()) === 0, "no form before a day and time are chosen");
  const scrollHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  check(scrollHeight < 2400, `the list of days is short (${scrollHeight} px)`);
  await page.locator("ul.choices.days a").first().click();
  await page.locator("ul.choices.times").waitFor();
  await shot("01-times");
  const firstLabel = (await page.locator("ul.choices.times a strong").first().innerText()).trim();
  await page.locator("ul.choices.times a").first().click();
  check((await page.locator("#chosen-time").innerText()).trim() === firstLabel, `chosen ${firstLabel}`);
  await page.getByLabel("Họ và tên").fill("Lê Văn Cường");
  await page.getByLabel(/Số điện thoại/).fill("0987 654 321");
  await page.getByLabel("Nội dung cần giải quyết").fill("Nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất");
  await page.getByRole("button", { name: "Đặt lịch" }).click();
  const code = (await page.locator("#confirmation-code").innerText()).trim();
  check(/^[A-Z2-9]{8}$/.test(code), `confirmation code ${code}`);
  check((await page.locator("#booking-status").innerText()).includes("Đã đặt"), "booked");
  check((await page.locator("#booking-time").innerText()).startsWith(firstLabel.slice(0, 5)), `time ${firstLabel}`);
  await shot("02-booked");

  // Found again by code and phone (typed in lower case with a dash: still the same code).
  await page.goto(`${base}/lich-hen/tra-cuu`);
  await page.getByLabel(/Mã xác nhận/).fill(`${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`);
  await page.getByLabel(/Số điện thoại/).fill("0987654321");
  await page.getByRole("button", { name: "Xem lịch hẹn" }).click();
  check((await page.locator("#confirmation-code").innerText()).trim() === code, "found by code and phone");
  const before = (await page.locator("#booking-time").innerText()).trim();
  await page.getByLabel("Đổi sang giờ khác").selectOption({ index: 2 });
  await page.getByRole("button", { name: "Đổi giờ" }).click();
  check(await page.getByText("Đã đổi giờ hẹn.").isVisible(), "moved");
  const after = (await page.locator("#booking-time").innerText()).trim();
  check(after !== before, `a new time (${before} → ${after})`);
  await shot("03-moved");

  // A wrong phone finds nothing.
  await page.goto(`${base}/lich-hen/tra-cuu?ma=${code}`);
  await page.getByLabel(/Số điện thoại/).fill("0912345678");
  const wrong = page.waitForResponse((r) => r.url().endsWith("/lich-hen/tra-cuu") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Xem lịch hẹn" }).click();
  check((await wrong).status() === 404, "a wrong phone is a 404");
  check(await page.getByRole("alert").isVisible(), "with a message");

  // The desk sees it in the day's list, before it is cancelled.
  const staff = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const desk = await staff.newPage();
  await desk.goto(`${base}/dang-nhap?next=/quay/lich-hen`);
  await desk.getByLabel(/Tên đăng nhập/).fill("halong.motcua");
  await desk.getByLabel(/Mật khẩu/).fill(password);
  await desk.getByRole("button", { name: "Đăng nhập" }).click();
  await desk.waitForURL(/\/quay\/lich-hen/);
  const day = after.split(" ").pop();
  await desk.getByLabel(/Ngày/).fill(day);
  await desk.getByRole("button", { name: "Xem" }).click();
  check(await desk.getByRole("cell", { name: code }).isVisible(), `the desk sees ${code} on ${day}`);
  check(await desk.getByRole("cell", { name: "0987654321" }).isVisible(), "with the phone number");
  await desk.screenshot({ path: join(outDir, "booking-04-desk.png"), fullPage: true });

  await page.goto(`${base}/lich-hen/tra-cuu?ma=${code}`);
  await page.getByLabel(/Số điện thoại/).fill("0987654321");
  await page.getByRole("button", { name: "Xem lịch hẹn" }).click();
  await page.getByRole("button", { name: "Hủy lịch hẹn" }).click();
  check((await page.locator("#booking-status").innerText()).includes("Đã hủy"), "cancelled");
  check((await page.getByRole("button", { name: "Hủy lịch hẹn" }).count()) === 0, "nothing left to change");
  await shot("05-cancelled");

  // 404 above was expected; anything else is a problem.
  const unexpected = problems.filter((p) => !p.includes("404"));
  check(unexpected.length === 0, `browser problems: ${unexpected.join("; ")}`);
  console.log("booking ok");
} finally {
  await browser.close();
}
