// A paper's signed QR code, in headless Chromium:
//   SEAL_PHASE=print SEAL_SHEET=/dossiers/…/results/… node seal.mjs BASE OUT_DIR
//     the applicant signs in and prints the result sheet to OUT_DIR/seal-sheet.png (A4 width,
//     at 3 device pixels per CSS pixel, about 290 dpi, as a scanner or a phone camera sees it);
//   SEAL_PHASE=check SEAL_PNGS='["a.png", …]' SEAL_BAD=bad.json [SEAL_NOW=ms] node seal.mjs BASE OUT_DIR
//     a signed-out visitor on a phone opens /kiem-tra-qr, the network is cut, and the page
//     checks each picture (valid) and each text of bad.json (refused), each with its reason.
// Prints "seal ok NUMBER…" (check, the numbers read, in order) or "seal printed".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check, fitsAndPasses, launch, password, phoneSignedOut } from "./lib.mjs";

const [base, outDir] = process.argv.slice(2);
const browser = await launch();
try {
  if (process.env.SEAL_PHASE === "print") {
    const context = await browser.newContext({ viewport: { width: 794, height: 1123 }, deviceScaleFactor: 3 });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(`${base}/dang-nhap`);
    await page.getByLabel("Tên đăng nhập").fill("congdan");
    await page.getByLabel("Mật khẩu").fill(password);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.waitForURL(`${base}/ho-so`);
    await page.goto(`${base}${process.env.SEAL_SHEET}`);
    await page.emulateMedia({ media: "print" });
    await page.screenshot({ path: join(outDir, "seal-sheet.png"), fullPage: true });
    console.log("seal printed");
  } else {
    const page = await phoneSignedOut(browser);
    // The page judges certificates by the browser's clock: the tests' clock (shifted in the
    // shifted-clock run, where Chromium itself runs at the real time).
    if (process.env.SEAL_NOW) await page.clock.setFixedTime(new Date(Number(process.env.SEAL_NOW)));
    await page.goto(`${base}/kiem-tra-qr`);
    await fitsAndPasses(page, "the offline check page");
    // From here on, nothing reaches the server.
    await page.context().setOffline(true);
    const result = page.locator("#qr-ket-qua");
    const numbers = [];
    for (const png of JSON.parse(process.env.SEAL_PNGS)) {
      await result.evaluate((el) => el.replaceChildren());
      await page.locator("#qr-anh").setInputFiles(png);
      // Either verdict ends the wait; a refusal fails with what the page said.
      await result.locator("strong").first().waitFor();
      const shown = (await result.textContent()).replace(/\s+/g, " ");
      check(shown.startsWith("Chữ ký số hợp lệ"), `${png}: the printed paper is valid, not: ${shown}`);
      check(shown.includes("Kiểm tra trực tuyến"), `the page says to check revocation online: ${shown}`);
      numbers.push((await result.locator("dd").nth(1).textContent()).trim());
    }
    await fitsAndPasses(page, "a paper checked offline");
    await page.screenshot({ path: join(outDir, "seal-check-ok.png"), fullPage: true });
    const bad = JSON.parse(readFileSync(process.env.SEAL_BAD, "utf8"));
    for (const [what, text, reason] of bad) {
      await result.evaluate((el) => el.replaceChildren());
      await page.locator("#qr-noi-dung").fill(text);
      await page.getByRole("button", { name: "Kiểm tra", exact: true }).click();
      await result.locator("strong").first().waitFor();
      const said = (await result.textContent()).replace(/\s+/g, " ");
      check(said.startsWith("KHÔNG hợp lệ") && said.includes(reason), `${what}: refused saying «${reason}», not: ${said}`);
    }
    await fitsAndPasses(page, "a paper refused offline");
    await page.screenshot({ path: join(outDir, "seal-check-refused.png"), fullPage: true });
    console.log(`seal ok ${numbers.join(" ")}`);
  }
} finally {
  await browser.close();
}
