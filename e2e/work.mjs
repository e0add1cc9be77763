// Work on an incoming document by clicks, on phones, in headless Chromium:
//   WORK_DOC=ID WORK_SUBJECT=… WORK_REPLY_LABEL=… node work.mjs BASE_URL SCREENSHOT_DIR
// The committee's leader assigns the accepted document to the specialist with the clerk as
// co-handler; the specialist finds it in their work, asks the clerk; the clerk answers; the
// specialist drafts the reply; the leader approves it; the specialist names the reply already
// sent and the work closes. Every page on the way fits 390 px and passes axe-core.
// Prints "work ok".
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { check, fitsAndPasses, launch, phone, typed } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
const id = process.env.WORK_DOC;
const subject = process.env.WORK_SUBJECT;
mkdirSync(outDir, { recursive: true });
const browser = await launch();
const url = `${base}/van-ban/${id}/cong-viec`;
async function done(page, text) {
  await page.locator("p.notice.ok", { hasText: text }).waitFor();
}
async function shot(page, name) {
  await page.screenshot({ path: join(outDir, `work-${name}.png`), fullPage: true });
}

try {
  // The leader assigns it.
  const leader = await phone(browser, base, "halong.lanhdao");
  await leader.goto(`${base}/van-ban/${id}`);
  await leader.getByRole("link", { name: "Công việc: giao và xử lý văn bản" }).click();
  await leader.getByRole("heading", { name: "Giao xử lý" }).waitFor();
  await fitsAndPasses(leader, "assigning a document");
  await leader.getByLabel("Bút phê").selectOption("handle");
  await leader.getByLabel("Người chủ trì").selectOption("halong.chuyenvien");
  await leader.getByRole("checkbox", { name: /halong\.vanthu/ }).check();
  await leader.getByLabel("Hạn xử lý (ngày làm việc)").fill("5");
  await typed(leader.getByLabel("Ý kiến giao việc"), "Đồng chí Nam chủ trì, văn thư phối hợp số liệu.");
  await leader.getByRole("button", { name: "Giao việc" }).click();
  await done(leader, "Đã giao việc");
  await fitsAndPasses(leader, "a document just assigned");
  await shot(leader, "assigned");

  // The specialist finds it in their work and asks the clerk.
  const handler = await phone(browser, base, "halong.chuyenvien");
  await handler.goto(`${base}/van-ban`);
  await handler.getByRole("link", { name: "Công việc của tôi" }).click();
  await fitsAndPasses(handler, "my work");
  await handler.getByRole("link", { name: subject }).click();
  await handler.getByLabel("Xin ý kiến").selectOption("halong.vanthu");
  await typed(handler.getByLabel("Nội dung", { exact: true }), "Chị cho số văn bản đến quý IV?");
  await handler.getByRole("button", { name: "Gửi xin ý kiến" }).click();
  await done(handler, "Đã ghi nhận");
  check((await handler.locator("dl.facts").textContent()).includes("halong.vanthu"), "waiting for the clerk");

  // The clerk, a co-handler, answers — and is offered nothing else.
  const clerk = await phone(browser, base, "halong.vanthu");
  await clerk.goto(url);
  check((await clerk.getByRole("button", { name: "Trình duyệt" }).count()) === 0, "a co-handler does not draft");
  await typed(clerk.getByLabel("Ý kiến phối hợp"), "312 văn bản đến trong quý IV.");
  await clerk.getByRole("button", { name: "Gửi ý kiến" }).click();
  await done(clerk, "Đã ghi nhận");
  await fitsAndPasses(clerk, "a co-handler's page");

  // The specialist drafts; the leader approves.
  await handler.reload();
  await typed(handler.getByLabel("Dự thảo trả lời / báo cáo"), "Kính gửi Sở Tư pháp: quý IV phường nhận 312 văn bản.");
  await handler.getByRole("button", { name: "Trình duyệt" }).click();
  await done(handler, "Đã ghi nhận");
  await leader.goto(url);
  await leader.getByRole("button", { name: "Duyệt", exact: true }).click();
  await done(leader, "Đã ghi nhận");
  check((await leader.locator("main").textContent()).includes("Đã duyệt"), "approved");

  // The reply went out; naming it closes the work.
  await handler.goto(url);
  await handler.getByLabel("Văn bản đi đã trả lời").selectOption({ label: process.env.WORK_REPLY_LABEL });
  await handler.getByRole("button", { name: "Hoàn thành" }).click();
  await done(handler, "Đã ghi nhận");
  const facts = await handler.locator("dl.facts").textContent();
  check(facts.includes("Hoàn thành") && facts.includes("đúng hạn"), `closed on time: ${facts}`);
  const record = await handler.locator("ol.timeline").textContent();
  for (const step of ["Giao việc", "Xin ý kiến phối hợp", "Ý kiến phối hợp", "Trình dự thảo", "Duyệt", "Phát hành trả lời"]) {
    check(record.includes(step), `the record shows «${step}»`);
  }
  await fitsAndPasses(handler, "closed work");
  await shot(handler, "closed");
  console.log("work ok");
} finally {
  await browser.close();
}
