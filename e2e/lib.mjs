// What the e2e scripts share: the browser, signing in at a phone's width, and the check that
// a page fits 390 px without sideways scrolling and that axe-core finds no violation on it.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
export const password = process.env.MOTCUA_DEMO_PASSWORD || "MotCua@2025";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

export function check(cond, what) {
  if (!cond) throw new Error(what);
}

/// A phone-sized page signed in as `username` (axe-core is injected as a script, which the
/// pages' own policy would rightly refuse: hence bypassCSP).
export async function phone(browser, base, username) {
  return signedIn(browser, base, username, { width: 390, height: 844 });
}

/// A page of this size signed in as `username` (a 10-inch tablet: 800 × 1280; a desktop).
export async function signedIn(browser, base, username, viewport) {
  // Several browsers share two cores while the suite runs: a 60 s timeout.
  const context = await browser.newContext({ viewport, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(`${base}/dang-nhap`);
  await page.getByLabel("Tên đăng nhập").fill(username);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(`${base}/ho-so`);
  return page;
}

/// What is wrong with the page as it stands: wider than its window (sideways scrolling), and
/// each axe-core violation.
export async function problemsOn(page, name) {
  const problems = [];
  const [wide, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (wide > width) problems.push(`${name}: ${wide}px wide in a ${width}px window`);
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
  for (const v of found) {
    problems.push(`${name}: axe ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  }
  return problems;
}

/// Fails when the page is wider than its window or axe-core finds a violation.
export async function fitsAndPasses(page, name) {
  const problems = await problemsOn(page, name);
  check(problems.length === 0, problems.join("; "));
}

/// A phone-sized page, signed out.
export async function phoneSignedOut(browser) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  return page;
}

/// Fills a field and checks that the text is there before going on: once in a few hundred
/// runs on a loaded machine, a field filled a moment earlier was found empty when its form
/// was sent (the browser then refuses the form, and the click does nothing). Fails if the
/// text does not stay after three tries.
export async function typed(field, text) {
  for (let i = 0; i < 3; i++) {
    await field.fill(text);
    if ((await field.inputValue()) === text) return;
  }
  throw new Error(`the field would not keep «${text}»`);
}
