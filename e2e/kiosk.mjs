// A kiosk session in headless Chromium, by touches only:
//   node kiosk.mjs BASE_URL SCREENSHOT_DIR
// At the Hạ Long centre's kiosk: take a queue number for service A (the hall's display,
// open in a second window, shows it called when an officer calls it, without a reload);
// look a dossier up by typing its code on the on-screen pad; start a fully online
// submission, identify by scanning the chip ID card's QR code and typing the one-time code
// on the pad (the test harness writes the code the server sent into SCREENSHOT_DIR/
// kiosk-otp.txt, standing in for the citizen's phone), land on the form with the card's
// address filled in; see "my dossiers"; finish. Any console error or blocked resource fails.
import { launch } from "./lib.mjs";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [base, outDir] = process.argv.slice(2);
const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";
mkdirSync(outDir, { recursive: true });

const started = Date.now();
const step = (what) => console.log(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);

function check(cond, what) {
  if (!cond) throw new Error(`kiosk: ${what}`);
}

async function api(path, { token, body } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, { method: body ? "POST" : "GET", headers, body: body && JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

async function login(username) {
  const r = await api("/api/v1/auth/login", { body: { username, password } });
  check(r.status === 200, `login ${username}: ${r.status}`);
  return r.json;
}

const QR = "022090001234|123456789|Nguyễn Văn An|15031990|Nam|Tổ 5, khu 3, phường Hạ Long, tỉnh Quảng Ninh|20042021";

const browser = await launch();
try {
  const officer = await login("halong.motcua");
  const centre = officer.account.roles[0].org;
  const citizen = await login("congdan");
  const submitted = await api("/api/v1/dossiers", { token: citizen.token, body: { procedure: "1.004873", org: "000.00.37.H22" } });
  check(submitted.status === 201, `submit ${submitted.status}`);
  const dossier = submitted.json.code;

  const context = await browser.newContext({ viewport: { width: 1080, height: 1500 }, hasTouch: true });
  const problems = [];
  const watch = (page) => {
    page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
    page.on("pageerror", (e) => problems.push(String(e)));
    // The browser drops its own favicon fetch when a click navigates first (seen once in CI):
    // not a fault of the page.
    const aborted = (r) => r.url().endsWith("/static/favicon.svg");
    page.on("requestfailed", (r) => { if (!r.url().includes("/events") && !aborted(r)) problems.push(`failed ${r.url()} (${r.failure()?.errorText})`); });
  };
  const kiosk = await context.newPage();
  watch(kiosk);
  const display = await context.newPage();
  watch(display);
  const shot = (page, name) => page.screenshot({ path: join(outDir, `kiosk-${name}.png`), fullPage: true });
  const pad = async (page, text) => {
    for (const ch of text) await page.locator(`.keypad button[data-key="${ch}"]`).tap();
  };

  // A portrait kiosk (1080×1920) uses its height, and the language switch is a real tap target.
  {
    const portrait = await (await browser.newContext({ viewport: { width: 1080, height: 1920 }, hasTouch: true })).newPage();
    await portrait.goto(`${base}/kiosk/${centre}`);
    const used = await portrait.evaluate(() => document.querySelector(".tiles").getBoundingClientRect().bottom);
    check(used > 1920 * 0.6, `a portrait kiosk uses its height (tiles end at ${used} px of 1920)`);
    const lang = await portrait.locator(".kiosk-lang").boundingBox();
    check(lang.width >= 48 && lang.height >= 48, `the language link is ${lang.width}×${lang.height}`);
    await portrait.screenshot({ path: join(outDir, "kiosk-00-portrait.png") });
    await portrait.close();
  }

  // The hall's display, open before anything happens.
  await display.goto(`${base}/kiosk/${centre}/display`);
  check((await display.locator("#latest-number").innerText()).trim() === "—", "nobody called yet");
  await display.evaluate(() => { window.__stillHere = true; });

  step("start");
  // 1. A queue number. (The kiosk's window in front: a background page's animation frames
  // are throttled, which makes every touch wait.)
  await kiosk.bringToFront();
  await kiosk.goto(`${base}/kiosk/${centre}`);
  await shot(kiosk, "01-home");
  await kiosk.getByRole("link", { name: /Lấy số thứ tự/ }).tap();
  await kiosk.getByRole("button", { name: /Tư pháp – Hộ tịch/ }).tap();
  const number = (await kiosk.locator("#ticket-number").innerText()).trim();
  check(/^A\d{3}$/.test(number), `ticket number ${number}`);
  await shot(kiosk, "02-ticket");
  // An officer calls it at counter 1; the display shows it without being reloaded.
  const called = await api(`/api/v1/queue/${centre}/counters/1/next`, { token: officer.token, body: {} });
  check(called.status === 200 && called.json.ticket.label === number, `called ${JSON.stringify(called.json)}`);
  await display.waitForFunction((n) => document.getElementById("latest-number").textContent.trim() === n, number, { timeout: 15000 });
  check(await display.evaluate(() => window.__stillHere === true), "display refreshed in place");
  check((await display.locator("#latest-counter").innerText()).includes("Quầy 1"), "the counter is shown");
  await shot(display, "03-display");
  await kiosk.bringToFront();
  await kiosk.getByRole("link", { name: /Xong/ }).tap();

  step("ticket and display");
  // 2. Look a dossier up, typed on the pad: the centre's own code (with its letters) is
  // there already, the date and number are digits.
  await kiosk.getByRole("link", { name: /Tra cứu hồ sơ/ }).tap();
  check((await kiosk.locator("#ma").inputValue()) === "", "the box starts empty: codes of other agencies begin otherwise");
  // Another agency's code has letters: the A–Z pad is folded under the digits.
  await kiosk.locator("details.letters summary").tap();
  await pad(kiosk, "H");
  check((await kiosk.locator("#ma").inputValue()) === "H", "a letter typed on the pad");
  await kiosk.locator('.keypad button[data-key="back"]').tap();
  // This centre's own codes: one key types their start, the digits the rest.
  const prefix = `${centre}-`;
  await kiosk.locator(".keypad.prefix button").tap();
  check(dossier.startsWith(prefix) && (await kiosk.locator("#ma").inputValue()) === prefix, `${prefix} for ${dossier}`);
  await pad(kiosk, dossier.slice(prefix.length));
  check((await kiosk.locator("#ma").inputValue()) === dossier, "the pad typed the code");
  await kiosk.getByRole("button", { name: "Tra cứu", exact: true }).tap();
  await kiosk.locator(".kiosk-result").waitFor({ timeout: 10000 });
  check((await kiosk.locator(".kiosk-result dd").first().innerText()).trim() === dossier, "its code is shown");
  await shot(kiosk, "04-track");
  await kiosk.getByRole("link", { name: /Quay lại/ }).tap();

  step("track");
  // 3. Apply online: choose a procedure, scan the card, type the code from the phone.
  await kiosk.getByRole("link", { name: /Nộp hồ sơ trực tuyến/ }).tap();
  await kiosk.waitForURL(/\/nop$/);
  const tiles = kiosk.locator(".tiles a.tile");
  check((await tiles.count()) > 0, "fully online procedures are offered");
  await tiles.first().tap();
  await kiosk.waitForURL(/thu-tuc=/);
  await kiosk.locator("#qr").fill(QR);
  await kiosk.locator("#qr").press("Enter");
  check((await kiosk.locator(".kiosk-who").innerText()).includes("Nguyễn Văn An"), "the card was read");
  await shot(kiosk, "05-code");
  const otpFile = join(outDir, "kiosk-otp.txt");
  for (let i = 0; i < 150 && !existsSync(otpFile); i++) await new Promise((r) => setTimeout(r, 100));
  check(existsSync(otpFile), "the harness received the code");
  await pad(kiosk, readFileSync(otpFile, "utf8").trim());
  await kiosk.getByRole("button", { name: "Xác nhận" }).tap();
  await kiosk.waitForURL(/\/nop-ho-so\//);
  check((await kiosk.locator("#address").inputValue()).includes("phường Hạ Long"), "the card's address fills the form");
  await shot(kiosk, "06-form");

  step("submission form");
  // 4. My dossiers in the same short session, then finish.
  await kiosk.goto(`${base}/kiosk/${centre}/ho-so`);
  check(await kiosk.getByRole("link", { name: dossier }).isVisible(), "the citizen's dossier is listed");
  await shot(kiosk, "07-mine");
  check(await kiosk.getByRole("button", { name: /Kết thúc/ }).isVisible(), "a way to finish");
  // Left alone, the kiosk ends the session itself: its start page counts down while someone
  // is signed in, then posts the hidden sign-out form (submitted here instead of waiting).
  await kiosk.goto(`${base}/kiosk/${centre}`);
  check((await kiosk.locator(".kiosk-who").innerText()).includes("Nguyễn Văn An"), "still signed in");
  check((await kiosk.evaluate(() => document.body.dataset.idle)) === "120", "the start page counts down");
  const signedOut = kiosk.waitForResponse((r) => r.url().endsWith("/thoat"));
  const startPage = kiosk.waitForEvent("load");
  await kiosk.evaluate(() => document.getElementById("kiosk-idle").submit());
  check((await signedOut).status() === 303, "signed out and sent to the start page");
  await startPage;
  check((await kiosk.locator(".kiosk-who").count()) === 0, "nobody signed in");
  await kiosk.goto(`${base}/kiosk/${centre}/ho-so`);
  check(kiosk.url().endsWith("/cua-toi"), "signed out: asked to identify again");

  step("mine and sign-out");
  check(problems.length === 0, `browser problems: ${problems.join("; ")}`);
  console.log("kiosk ok");
} finally {
  await browser.close();
}
