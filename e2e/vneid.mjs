// A citizen on a phone signs in with their e-identity account (a stand-in for VNeID: the
// provider of e2e/oidc-provider.mjs, which the test started and made motcua's), by clicks, in
// headless Chromium at 390 px:
//   node vneid.mjs BASE_URL SCREENSHOT_DIR
// From the sign-in page's button through the provider's login page and back, signed in; the
// residence declaration (CT01) opens filled in from the identity; signing out goes through the
// provider's sign-out; signing in again finds the same account. axe-core and the width are
// checked on motcua's pages on the way. Prints "vneid ok".
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, phoneSignedOut, problemsOn } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const problems = [];

const browser = await launch();
const page = await phoneSignedOut(browser);

async function checkHere(name) {
  const found = await problemsOn(page, name);
  if (found.length > 0) await page.screenshot({ path: join(outDir, `vneid-${name}.png`), fullPage: true });
  problems.push(...found);
}

async function signIn() {
  await page.goto(`${base}/dang-nhap`);
  await checkHere("sign-in");
  await page.getByRole("link", { name: /tài khoản định danh điện tử VNeID/ }).click();
  // The provider's own page.
  await page.getByLabel("Số định danh cá nhân").fill("001090012345");
  await page.getByLabel("Mức định danh").selectOption("level2");
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(`${base}/ho-so`);
  if (!(await page.content()).includes("Nguyễn Thị Định Danh")) problems.push("signed in as someone else");
}

await signIn();
await checkHere("my-dossiers");

// The residence declaration, prefilled from the identity.
await page.goto(`${base}/nop-ho-so/1.004194`);
await page.getByRole("heading", { name: /Tờ khai thay đổi thông tin cư trú/ }).first().waitFor();
function field(scope, label) {
  return scope.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( \\*)?$`));
}
const want = [
  ["Họ, chữ đệm và tên", "Nguyễn Thị Định Danh"],
  ["Ngày, tháng, năm sinh", "1990-05-17"],
  ["Số định danh cá nhân", "001090012345"],
];
for (const [label, value] of want) {
  const got = await field(page, label).first().inputValue();
  if (got !== value) problems.push(`${label}: "${got}", not "${value}"`);
}
// The address is in the third part of the declaration.
await page.locator("details.eform-section > summary").nth(2).click();
const place = page.getByRole("group", { name: "Nơi đề nghị đăng ký cư trú" });
const commune = await field(place, "Xã, phường, đặc khu").locator("option:checked").innerText();
if (commune !== "Phường Hạ Long") problems.push(`commune: ${commune}`);
await checkHere("declaration");

// Signing out ends the provider's session too: its confirmation, then home.
// On a phone the header's links are behind its menu.
await page.locator("details.menu summary").click();
await page.locator("details.menu").getByRole("button", { name: "Đăng xuất" }).click();
await page.waitForURL((u) => !u.toString().startsWith(base));
await page.getByRole("button", { name: /Yes|sign me out/i }).click();
await page.waitForURL(`${base}/`);
if ((await page.content()).includes("Nguyễn Thị Định Danh")) problems.push("still signed in after signing out");

// And in again: the same account.
await signIn();

// At a kiosk: the phone sign-in page, with its QR code and code.
const centre = process.env.MOTCUA_CENTRE;
if (centre) {
  await page.goto(`${base}/kiosk/${centre}/cua-toi`);
  await page.getByRole("button", { name: "Đăng nhập bằng VNeID trên điện thoại" }).click();
  await page.getByRole("img", { name: "Mã QR đăng nhập" }).waitFor();
  await checkHere("kiosk-phone");
}

await browser.close();
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("vneid ok");
