// Every page of the journeys at a phone's width and at a desktop's, in headless Chromium:
//   node widths.mjs BASE_URL SCREENSHOT_DIR   (MOTCUA_PAGES: JSON of the codes to fill in)
// Each page is opened as the person who uses it; it fails when a page is wider than the
// window (sideways scrolling) or when axe-core finds any accessibility violation. Prints one
// line per page with its width, and "widths ok" at the end.
import { launch } from "./lib.mjs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const [base, outDir] = process.argv.slice(2);
const f = JSON.parse(process.env.MOTCUA_PAGES || "{}");
const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";
mkdirSync(outDir, { recursive: true });

// Who opens which pages (null: signed out).
const pages = {
  null: ["/", "/thu-tuc/1.004873", `/tra-cuu?ma=${f.dossier}`, `/tro-ly?truoc=${encodeURIComponent("đăng ký khai sinh cho con\ntôi ở phường Hạ Long")}&hoi=${encodeURIComponent("nộp luôn")}`, "/dang-nhap", "/dang-ky", "/quen-mat-khau", "/quen-mat-khau?xong=1",
    "/lich-hen", `/lich-hen/diem/${f.point}`, "/ioc", "/kiosk", `/kiosk/${f.centre}`, "/xac-minh", "/kiem-tra-qr", "/phan-anh", "/khong-co-trang-nay",
    "/tai-lieu-api", "/tai-lieu-api/dossiers", "/tai-lieu-api/kieu-du-lieu"],
  congdan: ["/ho-so", `/ho-so/${f.dossier}`, "/nop-ho-so/1.004873", "/nop-ho-so/1.001193"],
  "halong.motcua": ["/ho-so", `/ho-so/${f.dossier}`, "/quay/tiep-nhan", "/quay/goi-so", "/quay/lich-hen", "/van-ban"],
  "halong.chuyenvien": ["/ho-so", `/ho-so/${f.dossier}`, "/phan-anh/xu-ly"],
  "halong.lanhdao": ["/ho-so", "/ioc", "/quay/goi-so"],
  "halong.quantri": ["/quan-tri", `/quan-tri/can-bo?org=${f.ubnd}`],
  "tinh.quantri": ["/quan-tri/thu-tuc", "/quan-tri/ngay-nghi"],
};

const browser = await launch();
const problems = [];
for (const [width, height] of [[390, 844], [1366, 768]]) {
  for (const [who, paths] of Object.entries(pages)) {
    // axe-core is injected as a script, which the pages' own policy would (rightly) refuse.
    const context = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
    const page = await context.newPage();
    if (who !== "null") {
      await page.goto(`${base}/dang-nhap`);
      await page.getByLabel("Tên đăng nhập").fill(who);
      await page.getByLabel("Mật khẩu").fill(password);
      await page.getByRole("button", { name: "Đăng nhập" }).click();
      await page.waitForURL(`${base}/ho-so`);
    }
    for (const path of paths) {
      const r = await page.goto(`${base}${path}`);
      await page.waitForLoadState("domcontentloaded");
      const type = (r && r.headers()["content-type"]) || "";
      if (!type.startsWith("text/html")) problems.push(`${who} ${path}: ${type}, not a page`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      const name = `${who === "null" ? "khach" : who}${path}`.replace(/[^a-z0-9.]+/gi, "-");
      console.log(`${width}px ${who} ${path}: ${r ? r.status() : "?"} ${wide}px`);
      if (wide > width) {
        // The outermost elements that reach past the window, to say what to fix.
        const culprits = await page.evaluate((w) => {
          const out = [];
          for (const el of document.querySelectorAll("body *")) {
            if (el.getBoundingClientRect().right > w + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)) {
              out.push(`${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).replace(/ /g, ".") : ""}`);
            }
          }
          return out.slice(0, 5).join(", ");
        }, width);
        problems.push(`${width}px ${who} ${path}: ${wide}px wide (${culprits})`);
        await page.screenshot({ path: join(outDir, `width-${width}-${name}.png`), fullPage: true });
      }
      if (width === 390) {
        await page.addScriptTag({ path: axePath });
        const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
        for (const v of found) {
          problems.push(`${who} ${path}: axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
        }
      }
    }
    await context.close();
  }
}
// Pages that only a form leads to, at a phone's width: width and axe-core where they stand.
async function checkHere(page, name) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  console.log(`390px ${name}: ${wide}px`);
  if (wide > 390) problems.push(`390px ${name}: ${wide}px wide`);
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  for (const v of found) {
    problems.push(`${name}: axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  }
}
// The forgotten password's second step (code and new one).
{
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/quen-mat-khau`);
  await page.getByLabel("Tên đăng nhập").fill("congdan");
  await page.getByRole("button", { name: "Gửi mã" }).click();
  await page.waitForURL(`${base}/quen-mat-khau`);
  await page.getByLabel("Mã đặt lại").waitFor();
  await checkHere(page, "null /quen-mat-khau (code step)");
  await context.close();
}
// An officer's second factor (MOTCUA_SECOND_FACTOR: a leader whose organisation asks for
// one): enrolling from the QR code, a wrong code, then the recovery codes.
if (process.env.MOTCUA_SECOND_FACTOR) {
  const who = process.env.MOTCUA_SECOND_FACTOR;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/dang-nhap`);
  await page.getByLabel("Tên đăng nhập").fill(who);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.getByLabel("Mã xác thực").waitFor();
  await checkHere(page, `${who} /dang-nhap (enrol)`);
  const secret = (await page.locator("code.secret").textContent()).replace(/\s/g, "");
  await page.getByLabel("Mã xác thực").fill("12");
  await page.getByRole("button", { name: "Xác nhận" }).click();
  await page.getByRole("alert").waitFor();
  await checkHere(page, `${who} /dang-nhap/xac-thuc (wrong code)`);
  // The code as an authenticator app would show it (pyotp, not ours), at the server's time
  // (its Date header): under scripts/test-at the server's clock is shifted, node's is not.
  const serverNow = Math.floor(Date.parse((await page.request.get(`${base}/healthz`)).headers()["date"]) / 1000);
  const script = "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))";
  const code = execFileSync("python3", ["-c", script, secret, String(serverNow)]).toString().trim();
  await page.getByLabel("Mã xác thực").fill(code);
  await page.getByRole("button", { name: "Xác nhận" }).click();
  await page.getByRole("heading", { name: "Đã bật xác thực hai lớp" }).waitFor();
  await checkHere(page, `${who} /dang-nhap/xac-thuc (recovery codes)`);
  await page.getByRole("link", { name: "Tôi đã lưu các mã, tiếp tục" }).click();
  await page.waitForURL(`${base}/ho-so`);
  await context.close();
}
await browser.close();
if (problems.length) {
  console.log(problems.join("\n"));
  throw new Error(`widths: ${problems.length} problems`);
}
console.log("widths ok");
