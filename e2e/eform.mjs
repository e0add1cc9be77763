// A citizen on a phone fills in a declaration online (the e-form of "Cấp Giấy xác nhận tình
// trạng hôn nhân") and submits without uploading it, in headless Chromium at 390 px:
//   node eform.mjs BASE_URL SCREENSHOT_DIR
// Fields are found by their labels, as a person finds them. It continues once with a field
// missing and checks the error summary links to it; axe-core and the page width are checked
// on the form, on the form with its errors and on the review. Prints "eform ok <code>".
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { launch, phone, problemsOn } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const problems = [];

const browser = await launch();
const page = await phone(browser, base, "congdan");

async function checkHere(name) {
  const found = await problemsOn(page, name);
  if (found.length > 0) await page.screenshot({ path: join(outDir, `eform-${name}.png`), fullPage: true });
  problems.push(...found);
}

await page.goto(`${base}/nop-ho-so/1.004873`);
await page.getByRole("heading", { name: "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân" }).waitFor();
await checkHere("form");
// Prefilled from the account.

// A field by its whole label (a required one ends in " *").
function field(scope, label) {
  return scope.getByLabel(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( \\*)?$`));
}
const residence = page.getByRole("group", { name: "Nơi cư trú" });
async function address(group, commune, detail) {
  await field(group, "Tỉnh, thành phố").selectOption({ label: "Quảng Ninh" });
  await field(group, "Xã, phường, đặc khu").selectOption({ label: commune });
  await field(group, "Số nhà, đường phố, thôn, tổ").fill(detail);
}
await page.getByLabel("Nơi giải quyết").selectOption("000.00.37.H22");
// One part of the declaration at a time: the first is open, and opening another closes it.
const part = (n) => page.locator("details.eform-section > summary").nth(n - 1);
if ((await page.locator("details.eform-section[open]").count()) !== 1) problems.push("not one part open");
await address(residence.nth(0), "Phường Hạ Long", "Số 5, phố Lê Thánh Tông");
await field(page, "Quan hệ với người được cấp Giấy xác nhận").selectOption("Bản thân");
await part(2).click();
if (await field(page, "Quan hệ với người được cấp Giấy xác nhận").isVisible()) problems.push("part 1 still open");
if ((await field(page, "Họ, chữ đệm, tên").inputValue()) !== "Nguyễn Văn An") problems.push("name not prefilled");
await field(page, "Ngày, tháng, năm sinh").fill("1990-03-05");
await field(page, "Dân tộc").fill("Kinh");
await field(page, "Quốc tịch").fill("Việt Nam");
await address(residence.nth(0), "Phường Hạ Long", "Số 5, phố Lê Thánh Tông");
await field(page, "Mục đích sử dụng Giấy xác nhận").fill("Để đăng ký kết hôn");
await field(page, "Số lượng Giấy xác nhận đề nghị cấp").fill("1");
// The ID card is attached; the declaration is not. Continue with the marital status unset.
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const dir = mkdtempSync(join(tmpdir(), "motcua-eform-"));
writeFileSync(join(dir, "can-cuoc.png"), png);
await page.locator("#component-2").setInputFiles(join(dir, "can-cuoc.png"));
await page.getByRole("button", { name: "Tiếp tục: xem lại" }).click();
const summary = page.locator(".error-summary");
await summary.waitFor();
const link = summary.getByRole("link", { name: /^Tình trạng hôn nhân/ });
if ((await link.getAttribute("href")) !== "#tk-tinh_trang") problems.push("the error summary does not link to the field");
await checkHere("form-with-errors");
await link.click();
await field(page, "Tình trạng hôn nhân").selectOption("Chưa kết hôn với ai");
await page.getByRole("button", { name: "Tiếp tục: xem lại" }).click();
await page.waitForURL(/\/xem-lai\?nhap=/);
await page.getByText("Khai trực tuyến").first().waitFor();
await checkHere("review");
await page.getByRole("button", { name: "Nộp hồ sơ" }).click();
await page.waitForURL(/\/ho-so\/[^/?]+\?moi=1/);
const code = new URL(page.url()).pathname.split("/").pop();
await page.getByRole("heading", { name: "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân" }).waitFor();
await checkHere("dossier");
await browser.close();
if (problems.length) {
  console.log(problems.join("\n"));
  throw new Error(`eform: ${problems.length} problems`);
}
console.log(`eform ok ${code}`);
