// A paperless meeting by clicks, in headless Chromium, on a desktop and two 10-inch tablets:
//   node meeting.mjs BASE_URL SCREENSHOT_DIR
// The committee's clerk calls a meeting from the form (an agenda of two items, a PDF in the
// pack), inviting an officer of the committee and one of the Department of Justice; both
// confirm on their tablets, one comments on the draft; the chair opens the meeting, both
// check in, and when the chair moves to the second item both tablets follow within a second
// (measured from the chair's change being acknowledged); the chair asks for opinions, the
// two give theirs, the chair closes the meeting; the clerk writes the minutes and the chair
// signs them. Every page fits 390 px, a tablet and a desktop, and passes axe-core.
// Prints "meeting ok" and the measured follow times.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, fitsAndPasses, launch, signedIn, typed } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const browser = await launch();
const desktop = { width: 1280, height: 800 };
const tablet = { width: 800, height: 1280 };
const title = "Họp giao ban cải cách hành chính (thử trên máy tính bảng)";

async function done(page) {
  await page.locator("p.notice.ok", { hasText: "Đã ghi nhận" }).waitFor();
}
async function shot(page, name) {
  await page.bringToFront();
  await page.screenshot({ path: join(outDir, `meeting-${name}.png`), fullPage: true });
}
/// At a phone's width, a tablet's and a desktop's.
async function fitsEverywhere(page, name) {
  const size = page.viewportSize();
  for (const viewport of [{ width: 390, height: 844 }, tablet, desktop]) {
    await page.setViewportSize(viewport);
    await fitsAndPasses(page, `${name} at ${viewport.width}px`);
  }
  await page.setViewportSize(size);
}
/// 15 June two years on at 08:00, as a datetime-local field takes it: in the future for the
/// server even when its clock is shifted ahead of this script's (scripts/test-at).
function inTwoYears() {
  return `${new Date().getFullYear() + 2}-06-15T08:00`;
}

try {
  // The clerk calls the meeting from the form.
  const clerk = await signedIn(browser, base, "halong.vanthu", desktop);
  await clerk.goto(`${base}/cuoc-hop`);
  await clerk.getByRole("link", { name: "Tổ chức cuộc họp" }).click();
  await fitsEverywhere(clerk, "calling a meeting");
  await typed(clerk.getByLabel("Tên cuộc họp"), title);
  await typed(clerk.getByLabel(/Người chủ trì/), "halong.lanhdao");
  await clerk.getByLabel("Thời gian").fill(inTwoYears());
  await typed(clerk.getByLabel(/Địa điểm/), "Phòng họp không giấy, tầng 3");
  await typed(clerk.getByLabel(/Thành phần mời/), "halong.chuyenvien\nstp.chuyenvien");
  await typed(clerk.locator("#item-1-title"), "Báo cáo giải quyết hồ sơ quý IV");
  await typed(clerk.locator("#item-1-presenter"), "halong.chuyenvien");
  await clerk.locator("#item-1-file").setInputFiles({ name: "du-thao.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n") });
  await typed(clerk.locator("#item-2-title"), "Kế hoạch năm 2027");
  await typed(clerk.locator("#item-2-presenter"), "halong.lanhdao");
  await clerk.getByRole("button", { name: "Gửi giấy mời" }).click();
  await clerk.getByRole("heading", { name: title }).waitFor();
  const url = clerk.url().split("?")[0];
  check(/\/cuoc-hop\/\d+$/.test(url), `the meeting's page: ${url}`);
  await fitsEverywhere(clerk, "a meeting just called");

  // Both invitees confirm on their tablets; one comments on the draft.
  const a = await signedIn(browser, base, "halong.chuyenvien", tablet);
  await a.goto(`${base}/cuoc-hop`);
  await a.getByRole("link", { name: title }).click();
  await a.getByRole("button", { name: "Xác nhận dự họp" }).click();
  await done(a);
  check((await a.locator("main").textContent()).includes("du-thao.pdf"), "the pack lists the file");
  await typed(a.locator("#comment-1"), "Đề nghị bổ sung số liệu tháng 12.");
  await a.locator("#muc-1").getByRole("button", { name: "Gửi góp ý" }).click();
  await done(a);
  await fitsEverywhere(a, "an invitee's meeting");
  const b = await signedIn(browser, base, "stp.chuyenvien", tablet);
  await b.goto(url);
  await b.getByRole("button", { name: "Xác nhận dự họp" }).click();
  await done(b);
  check((await b.locator("#muc-1").textContent()).includes("Đề nghị bổ sung số liệu"), "comments are shared");

  // The chair opens it; the tablets offer the check-in without reloading.
  const chair = await signedIn(browser, base, "halong.lanhdao", desktop);
  await chair.goto(url);
  await chair.getByRole("button", { name: "Khai mạc cuộc họp" }).click();
  await done(chair);
  for (const p of [a, b]) {
    await p.getByRole("button", { name: "Điểm danh: tôi có mặt" }).click();
    await done(p);
  }

  // The chair moves to item 2: both screens follow within a second of the change.
  const follows = [a, b].map((p) =>
    p.waitForFunction(() => {
      const item = document.getElementById("muc-2");
      return item && item.classList.contains("current") && document.getElementById("live-title").textContent.startsWith("2.");
    }, null, { polling: 20, timeout: 10_000 }).then(() => Date.now()));
  const acknowledged = chair.waitForResponse((r) => r.request().method() === "POST" && r.url().startsWith(url)).then(() => Date.now());
  await chair.locator("#muc-2").getByRole("button", { name: "Chuyển sang nội dung này" }).click();
  const changed = await acknowledged;
  const [ta, tb] = await Promise.all(follows);
  const lag = Math.max(ta, tb) - changed;
  console.log(`follow: ${ta - changed} ms and ${tb - changed} ms after the change was acknowledged`);
  check(lag < 1000, `the screens followed within a second (${lag} ms)`);
  await shot(a, "following");

  // Opinions on item 2, counted.
  await done(chair);
  await chair.locator("#muc-2").getByRole("button", { name: "Lấy ý kiến" }).click();
  await done(chair);
  await a.locator("#muc-2").getByRole("button", { name: "Gửi ý kiến" }).waitFor();
  await a.locator("#muc-2").getByLabel("Đồng ý", { exact: true }).check();
  await a.locator("#muc-2").getByRole("button", { name: "Gửi ý kiến" }).click();
  await done(a);
  await b.locator("#muc-2").getByRole("button", { name: "Gửi ý kiến" }).waitFor();
  await b.locator("#muc-2").getByLabel("Ý kiến khác").check();
  await typed(b.locator("#opinion-2"), "Lùi mốc số hóa sang quý II.");
  await b.locator("#muc-2").getByRole("button", { name: "Gửi ý kiến" }).click();
  await done(b);
  await fitsEverywhere(b, "opinions on a tablet");
  await chair.reload();
  const tally = await chair.locator("#muc-2 .tally").textContent();
  check(tally.includes("Đồng ý 1") && tally.includes("Khác 1"), `counted: ${tally}`);
  await chair.getByRole("button", { name: "Bế mạc cuộc họp" }).click();
  await done(chair);

  // The minutes: written by the clerk, signed by the chair; then final.
  await clerk.goto(url);
  await typed(clerk.getByLabel("Diễn biến cuộc họp"), "Cuộc họp thống nhất các nội dung.");
  await typed(clerk.getByLabel("Kết luận"), "Giao phường hoàn thành số hóa trong quý II/2027.");
  await clerk.getByRole("button", { name: "Lưu biên bản" }).click();
  await done(clerk);
  await chair.goto(url);
  await chair.getByRole("button", { name: "Ký số và phát hành biên bản" }).click();
  await chair.locator("#signed").waitFor();
  check((await chair.getByRole("button", { name: "Lưu biên bản" }).count()) === 0, "no more minutes to write");
  await fitsEverywhere(chair, "signed minutes");
  await shot(chair, "signed");
  console.log("meeting ok");
} finally {
  await browser.close();
}
