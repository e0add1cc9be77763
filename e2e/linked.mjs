// The two linked groups (liên thông) by clicks, on phones, in headless Chromium:
//   node linked.mjs BASE_URL SCREENSHOT_DIR
// A parent applies once for her baby's birth registration, permanent residence and health
// insurance card; the commune desk receives the one application; the commune's civil
// status officers register the birth; from it the commune police and the social insurance
// start at once; the police ask for a supplement and the card's branch waits for it; the
// mother adds it; both finish and every result is returned together. Then a death
// registration group, whose results go back one by one. Every page on the way fits 390 px
// and passes axe-core. Prints "linked ok BIRTH DEATH" (the applications' codes).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { check, fitsAndPasses, launch, phone, phoneSignedOut, typed } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const files = mkdtempSync(join(tmpdir(), "motcua-linked-"));
const pdf = (name) => {
  const path = join(files, name);
  writeFileSync(path, `%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${name}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
  return path;
};
const browser = await launch();
let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(outDir, `linked-${String(step).padStart(2, "0")}-${name}.png`), fullPage: true });
}

// Applies for a linked procedure with one file per required paper; the application's code.
async function apply(citizen, procedure, papers) {
  await citizen.goto(`${base}/nop-ho-so/${procedure}`);
  await citizen.getByLabel("Nơi giải quyết").selectOption("000.00.37.H22");
  for (let i = 0; i < papers; i++) await citizen.locator(`#component-${i}`).setInputFiles(pdf(`giay-to-${i}.pdf`));
  await citizen.getByRole("button", { name: "Tiếp tục: xem lại" }).click();
  await citizen.getByRole("heading", { name: /Xem lại trước khi nộp/ }).waitFor();
  await citizen.getByRole("button", { name: "Nộp hồ sơ" }).click();
  await citizen.getByText("Đã nộp hồ sơ").waitFor();
  return (await citizen.locator("dl.facts dd").first().textContent()).trim();
}

// The card of a branch on the application's page.
function card(page, name) {
  return page.locator("ul.branches > li").filter({ has: page.getByRole("heading", { name, exact: true }) });
}
async function branchCode(page, group, name) {
  await page.goto(`${base}/ho-so/${group}`);
  const link = card(page, name).getByRole("link");
  check((await link.count()) === 1, `${name}: started`);
  return (await link.textContent()).trim();
}

// An officer opens the dossier and clicks the action; the page says it was done.
async function act(user, code, button, fill) {
  const page = await phone(browser, base, user);
  await page.goto(`${base}/ho-so/${code}`);
  const form = page.locator("form.action", { has: page.getByRole("button", { name: button, exact: true }) });
  if (fill) await fill(form);
  // Every required field of the form is filled before it is sent.
  const empty = await form.locator("[required]").evaluateAll((els) => els.filter((e) => !e.value).map((e) => e.id || e.name));
  check(empty.length === 0, `${button} on ${code}: required fields left empty: ${empty.join(", ")}`);
  await form.getByRole("button", { name: button, exact: true }).click();
  await confirmed(page, `${user} clicked «${button}» on ${code}`, `Đã thực hiện: ${button}.`);
  await page.context().close();
}

// Waits for the page to confirm what was done; if it does not, fails saying what the page
// shows instead (an error page, a refusal), with a screenshot, so that a failure far away
// (in CI) can be read.
async function confirmed(page, what, notice) {
  try {
    await page.locator("p.notice.ok", { hasText: notice }).waitFor();
  } catch (e) {
    const main = ((await page.locator("main").textContent().catch(() => "")) ?? "").replace(/\s+/g, " ").trim();
    await page.screenshot({ path: join(outDir, `linked-failed-${step}.png`), fullPage: true }).catch(() => {});
    throw new Error(`${what}: no «${notice}» (${e.name}); ${page.url()} shows: ${main.slice(0, 800)}`);
  }
}
async function processBranch(code, specialist, leader, clerk) {
  await act(specialist, code, "Chuyển bước tiếp theo");
  await act(leader, code, "Phê duyệt");
  await act(clerk, code, "Ký số, đóng dấu");
}

try {
  const citizen = await phone(browser, base, "congdan");
  const birthGroup = await apply(citizen, "9.LT0001", 4);
  check((await card(citizen, "Đăng ký thường trú").textContent()).includes("Chờ kết quả nhánh trước"), "residence waits");
  await fitsAndPasses(citizen, "application just submitted");
  await shot(citizen, "da-nop");

  await act("halong.motcua", birthGroup, "Tiếp nhận hồ sơ");
  const birth = await branchCode(citizen, birthGroup, "Đăng ký khai sinh");
  await processBranch(birth, "halong.chuyenvien", "halong.lanhdao", "halong.vanthu");

  // The birth certificate is done: residence and the card start at the police and the
  // social insurance, each from it.
  const residence = await branchCode(citizen, birthGroup, "Đăng ký thường trú");
  const insurance = await branchCode(citizen, birthGroup, "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi");
  check((await card(citizen, "Đăng ký thường trú").textContent()).includes("Công an"), "residence at the police");
  await shot(citizen, "ba-nhanh");
  // In the commune police's inbox, the branch is marked as one of a linked application.
  const police = await phone(browser, base, "cax.halong.chuyenvien");
  const row = police.locator("table.inbox tr", { hasText: residence });
  check((await row.textContent()).includes(`Nhánh của hồ sơ liên thông ${birthGroup}`), "the inbox marks the branch");
  await fitsAndPasses(police, "the commune police's inbox");
  await police.context().close();

  await act("cax.halong.chuyenvien", residence, "Yêu cầu bổ sung hồ sơ", async (form) => {
    await typed(form.getByLabel("Nội dung cần bổ sung"), "Giấy tờ chứng minh chỗ ở hợp pháp");
    await typed(form.getByLabel("Lý do"), "Trẻ đăng ký thường trú tại nơi ở khác với cha, mẹ");
  });
  // The social insurance officer sees the card's branch waiting, with nothing to click.
  const bhxh = await phone(browser, base, "bhxh.chuyenvien");
  await bhxh.goto(`${base}/ho-so/${insurance}`);
  check((await bhxh.locator("main").textContent()).includes("Đang tạm dừng chờ nhánh «Đăng ký thường trú»"), "held");
  check((await bhxh.getByRole("button", { name: "Chuyển bước tiếp theo", exact: true }).count()) === 0, "no action while held");
  await fitsAndPasses(bhxh, "a held branch, as its officer sees it");
  await shot(bhxh, "nhanh-cho");
  await bhxh.context().close();

  // The mother answers the supplement on the residence branch.
  await citizen.goto(`${base}/ho-so/${residence}`);
  check((await citizen.locator("main").textContent()).includes(birthGroup), "the branch names its application");
  const answer = citizen.locator("form.action", { has: citizen.getByRole("button", { name: "Bổ sung hồ sơ", exact: true }) });
  await answer.getByLabel("Tệp bổ sung").setInputFiles(pdf("hop-dong-thue-nha.pdf"));
  await answer.getByRole("button", { name: "Bổ sung hồ sơ", exact: true }).click();
  await confirmed(citizen, `the applicant answered the supplement on ${residence}`, "Đã thực hiện: Bổ sung hồ sơ.");
  await fitsAndPasses(citizen, "a branch, as the applicant sees it");

  await processBranch(residence, "cax.halong.chuyenvien", "cax.halong.lanhdao", "cax.halong.vanthu");
  await processBranch(insurance, "bhxh.chuyenvien", "bhxh.lanhdao", "bhxh.vanthu");

  // Everything returned at once.
  await citizen.goto(`${base}/ho-so/${birthGroup}`);
  check((await citizen.locator("dl.facts").first().textContent()).includes("Đã trả kết quả"), "application returned");
  for (const name of ["Đăng ký khai sinh", "Đăng ký thường trú", "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi"]) {
    check((await card(citizen, name).textContent()).includes("Đã trả kết quả"), `${name}: returned`);
  }
  await fitsAndPasses(citizen, "the application returned");
  await shot(citizen, "tra-ket-qua");
  // Anyone with the code sees every branch on the public tracking page.
  const visitor = await phoneSignedOut(browser);
  await visitor.goto(`${base}/tra-cuu?ma=${birthGroup}`);
  const tracked = await visitor.locator("ul.branches").textContent();
  check(tracked.includes("Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi") && tracked.includes("Đã trả kết quả"), "tracked");
  await fitsAndPasses(visitor, "the public tracking page of an application");
  await visitor.context().close();

  // The death group: its results go back one by one.
  const deathGroup = await apply(citizen, "9.LT0002", 4);
  await act("halong.motcua", deathGroup, "Tiếp nhận hồ sơ");
  const death = await branchCode(citizen, deathGroup, "Đăng ký khai tử");
  await processBranch(death, "halong.chuyenvien", "halong.lanhdao", "halong.vanthu");
  await act("halong.motcua", death, "Trả kết quả");
  await citizen.goto(`${base}/ho-so/${deathGroup}`);
  check((await citizen.locator("main").textContent()).includes("Kết quả mỗi thủ tục được trả ngay khi xong"), "as ready");
  check((await card(citizen, "Đăng ký khai tử").textContent()).includes("Đã trả kết quả"), "death extract returned");
  for (const name of ["Xóa đăng ký thường trú", "Giải quyết mai táng phí, tử tuất"]) {
    check((await card(citizen, name).getByRole("link").count()) === 1, `${name}: started`);
  }
  await fitsAndPasses(citizen, "the death registration group under way");
  await shot(citizen, "khai-tu");
  console.log(`linked ok ${birthGroup} ${deathGroup}`);
} finally {
  await browser.close();
}
