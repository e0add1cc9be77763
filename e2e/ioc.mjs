// The operations centre in headless Chromium:
//   node ioc.mjs BASE_URL SCREENSHOT_DIR
// Opens /ioc, checks the server-drawn charts and headline figures, then submits a dossier
// through the API (as the demo citizen) and waits for the page to show one more dossier
// received without being reloaded (server-sent events, our own script). Any console error
// or blocked resource (CSP) fails the run.
import { launch } from "./lib.mjs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, outDir] = process.argv.slice(2);
const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";
mkdirSync(outDir, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`ioc: ${what}`);
}

const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("requestfailed", (r) => { if (!r.url().includes("/api/v1/stats/events")) problems.push(`failed ${r.url()}`); });
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });

  await page.goto(`${base}/ioc`);
  check((await page.locator("svg.chart").count()) === 2, "two charts drawn on the server");
  check(await page.getByRole("heading", { name: /Trung tâm điều hành/ }).isVisible(), "heading");
  const received = async () => (await page.locator("#kpi-received .value").innerText()).trim();
  const before = await received();
  await page.evaluate(() => { window.__stillHere = true; });

  // A dossier arrives through the API.
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "congdan", password }),
  });
  check(login.ok, `login ${login.status}`);
  const { token } = await login.json();
  const submitted = await fetch(`${base}/api/v1/dossiers`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ procedure: "1.004873", org: "000.00.37.H22" }),
  });
  check(submitted.status === 201, `submit ${submitted.status}`);

  const want = String(Number(before.replace(/\./g, "")) + 1);
  await page.waitForFunction(
    (w) => document.querySelector("#kpi-received .value")?.textContent.trim().replace(/\./g, "") === w,
    want,
    { timeout: 15000 },
  );
  check(await page.evaluate(() => window.__stillHere === true), "refreshed in place, not reloaded");
  check((await page.locator("svg.chart").count()) === 2, "charts after refresh");
  // The centre that received it is listed with its live count.
  check((await page.locator("#centres").innerText()).includes("Hạ Long"), "Hạ Long among the centres");
  await page.screenshot({ path: join(outDir, "e2e-ioc.png"), fullPage: true });

  // English too.
  await page.goto(`${base}/ioc?lang=en`);
  check(await page.getByRole("heading", { name: /Operations centre/ }).isVisible(), "English heading");
  check(problems.length === 0, `console or network problems: ${problems.join("; ")}`);
  console.log(`ioc ok: ${before} → ${want}`);
} finally {
  await browser.close();
}
