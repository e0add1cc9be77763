// Citizens' feedback by clicks, on phones, in headless Chromium:
//   node feedback.mjs BASE_URL SCREENSHOT_DIR
// Someone signed out sends a petition with a photo to the Hạ Long committee and keeps the
// code; the committee's specialist finds it in the queue, opens the photo and sends it to the
// provincial social insurance; there a specialist answers with a letter; the sender, with
// the code, reads the answer and its letter (not the photo again) and rates it; anyone finds the answer on the public page, without the sender. Every page on the
// way fits 390 px and passes axe-core. Prints "feedback ok CODE".
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, fitsAndPasses, launch, phone, phoneSignedOut, typed } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
// A real picture (8×8 pixels), so the officer's preview shows it.
const photo = {
  name: "giấy hẹn.png",
  mimeType: "image/png",
  buffer: Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGM4YWODFTEMLQkAZZlQAVIPr1MAAAAASUVORK5CYII=", "base64"),
};
const letter = { name: "công văn trả lời.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF cong van", "latin1") };
// A file link on the page answers with these bytes, for this viewer.
async function opens(page, name, file) {
  const href = await page.getByRole("link", { name }).getAttribute("href");
  const r = await page.request.get(new URL(href, base).toString());
  check(r.status() === 200 && Buffer.compare(await r.body(), file.buffer) === 0, `${name} opens (${r.status()})`);
}
mkdirSync(outDir, { recursive: true });
const browser = await launch();
let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(outDir, `feedback-${String(step).padStart(2, "0")}-${name}.png`), fullPage: true });
}
async function done(page, notice) {
  await page.locator("p.notice.ok", { hasText: notice }).waitFor();
}

try {
  // Sent signed out.
  const sender = await phoneSignedOut(browser);
  await sender.goto(`${base}/phan-anh`);
  await fitsAndPasses(sender, "the feedback page");
  await sender.getByLabel("Nội dung liên quan").selectOption("procedure");
  await typed(sender.getByLabel("Mã thủ tục, mã hồ sơ hoặc tên quy định (nếu có)"), "1.001193");
  await sender.getByLabel("Cơ quan nhận").selectOption("000.00.37.H22");
  await typed(sender.getByLabel("Tiêu đề"), "Khai sinh còn đòi bản sao giấy chứng sinh");
  await typed(sender.getByLabel("Nội dung phản ánh, kiến nghị"), "Đề nghị bỏ yêu cầu bản sao khi bệnh viện đã gửi bản điện tử.");
  await typed(sender.getByLabel("Họ và tên"), "Trần Thị Bình");
  await typed(sender.getByLabel("Số điện thoại"), "0912345678");
  await sender.getByLabel("Đồng ý công khai câu trả lời (không kèm thông tin cá nhân)").check();
  await sender.getByLabel(/Tệp đính kèm/).setInputFiles(photo);
  await sender.getByRole("button", { name: "Gửi", exact: true }).click();
  await done(sender, "Đã gửi");
  const code = (await sender.locator(".big-code").textContent()).trim();
  check(/^PA[0-9A-Z]{10}$/.test(code), `a tracking code: ${code}`);
  await fitsAndPasses(sender, "a feedback just sent");
  await shot(sender, "da-gui");

  // The committee's specialist finds it and sends it to the competent body.
  const officer = await phone(browser, base, "halong.chuyenvien");
  await officer.goto(`${base}/phan-anh/xu-ly`);
  await fitsAndPasses(officer, "the feedback queue");
  await officer.getByRole("link", { name: "Khai sinh còn đòi bản sao giấy chứng sinh" }).first().click();
  await officer.locator(".big-code", { hasText: code }).waitFor();
  check((await officer.locator("main").textContent()).includes("0912345678"), "the officer sees how to answer the sender");
  await opens(officer, photo.name, photo);
  await officer.locator("details", { hasText: "Xem trước" }).locator("summary").click();
  const preview = officer.getByRole("img", { name: photo.name });
  await preview.waitFor();
  await officer.waitForFunction((img) => img.complete && img.naturalWidth === 8, await preview.elementHandle());
  await fitsAndPasses(officer, "a feedback, as its officer sees it");
  await shot(officer, "can-bo");
  await officer.getByLabel("Phân loại", { exact: true }).selectOption("regulation");
  await officer.getByLabel("Chuyển cơ quan có thẩm quyền (để trống: tự xử lý)").selectOption("000.00.22.H22");
  await officer.getByRole("button", { name: "Phân loại", exact: true }).click();
  await done(officer, "Đã phân loại");
  check((await officer.getByRole("button", { name: "Trả lời", exact: true }).count()) === 0, "sent on: no longer the committee's");
  await officer.context().close();

  // Answered at the social insurance.
  const bhxh = await phone(browser, base, "bhxh.chuyenvien");
  await bhxh.goto(`${base}/phan-anh/${code}`);
  await typed(bhxh.getByLabel("Nội dung trả lời"), "Từ ngày 01/01/2026 không yêu cầu bản sao giấy chứng sinh khi đã có bản điện tử.");
  await bhxh.getByLabel("Văn bản trả lời đính kèm (nếu có)").setInputFiles(letter);
  await bhxh.getByRole("button", { name: "Trả lời", exact: true }).click();
  await done(bhxh, "Đã trả lời");
  await fitsAndPasses(bhxh, "a feedback answered");
  await bhxh.context().close();

  // The sender, with the code, reads the answer and rates it.
  await sender.goto(`${base}/phan-anh?ma=${code.toLowerCase()}`);
  check((await sender.locator("main").textContent()).includes("không yêu cầu bản sao"), "the answer");
  await opens(sender, letter.name, letter);
  check((await sender.getByRole("link", { name: photo.name }).count()) === 0, "the code does not open the sender's own files");
  await sender.getByLabel(/Rất hài lòng/).check();
  await sender.getByRole("button", { name: "Gửi đánh giá" }).click();
  await done(sender, "Cảm ơn bạn đã đánh giá");
  await fitsAndPasses(sender, "a feedback rated");
  await shot(sender, "danh-gia");

  // Anyone finds it on the public page, typed without diacritics, without the sender.
  const visitor = await phoneSignedOut(browser);
  await visitor.goto(`${base}/phan-anh?q=ban+sao+giay+chung+sinh`);
  const list = await visitor.locator("ul.answers").textContent();
  check(list.includes("Khai sinh còn đòi bản sao") && !list.includes("Trần Thị Bình") && !list.includes("0912345678"), "published without the sender");
  // Nor the code: it is the sender's key (to follow and rate).
  check(!(await visitor.content()).includes(code), "the code is not published");
  await fitsAndPasses(visitor, "the published answers");
  await shot(visitor, "cong-khai");
  console.log(`feedback ok ${code}`);
} finally {
  await browser.close();
}
