// A file request in a real Chromium (Debian's /usr/bin/chromium), across two web
// processes. Driven by tests/requests.rs, which checks what arrived.
//
//   node requests.mjs BASE_A BASE_B TOKEN EMAIL PASSWORD KEYBOARD_FILE FILE1 FILE2 FILE3 [SCREENSHOT_DIR]
//
// TOKEN: an open request of the account EMAIL/PASSWORD, with room for four files.
// 1. An uploader (a fresh browser context) opens /r/TOKEN on web A, chooses FILE1-3
//    (setInputFiles stands in for the OS dialog), waits until the progress says they
//    are uploaded, presses "Send them" and is thanked for three files.
// 2. Another uploader (another fresh context) opens the request on web B: none of
//    those names is on the page. With the keyboard alone it Tabs to "choose files",
//    presses Enter, which opens the file chooser, gives it KEYBOARD_FILE, Tabs to
//    "Send them" and presses Enter.
// 3. The owner signs in on web A and opens /requests.
// With SCREENSHOT_DIR, saves file-request.png (the uploader's page with its files
// uploaded, before sending) and requests.png (the owner's page) there.
// Prints a JSON report; exits non-zero, with the reason, on any failure.
import { launch } from './chromium.mjs';
import { basename, join } from 'node:path';

const [baseA, baseB, token, email, password, keyboardFile, ...rest] = process.argv.slice(2);
const files = rest.slice(0, 3);
const shots = rest[3];
if (!baseA || !baseB || !token || !email || !password || !keyboardFile || files.length !== 3) {
  console.error('usage: node requests.mjs BASE_A BASE_B TOKEN EMAIL PASSWORD KEYBOARD_FILE FILE1 FILE2 FILE3 [SCREENSHOT_DIR]');
  process.exit(2);
}
const names = files.map((f) => basename(f));
const { browser, fail } = await launch();
const shot = async (page, name) => { if (shots) await page.screenshot({ path: join(shots, name), fullPage: true }); };

// A page in a browser context of its own: a visitor with no cookies.
async function freshPage() {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  return page;
}

// Waits until the polite progress line says `text` (what a screen reader hears).
async function progressSays(page, text) {
  await page.waitForFunction((t) => document.getElementById('overall-text').textContent === t, text)
    .catch(async () => fail(`the progress never said "${text}"; it says "${await page.locator('#overall-text').innerText()}"`));
}

// The text of the page's thank-you notice.
const thanks = (page) => page.locator('p.notice[role="status"]').innerText();

// Presses Tab until the element matching `selector` has the focus (at most 40 times).
async function tabTo(page, selector) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
  }
  await fail(`Tab never reached ${selector}`);
}

const report = {};
try {
  // 1. Three files through web A; the page's script sends them over tus in 4 MiB chunks.
  const uploader = await freshPage();
  const patches = [];
  uploader.on('request', (r) => { if (r.method() === 'PATCH' && new URL(r.url()).pathname.startsWith('/files/')) patches.push(r.url()); });
  await uploader.goto(`${baseA}/r/${token}`);
  if ((await uploader.locator('#drop[data-file-request]').count()) !== 1) await fail('the request page has no drop zone in request mode');
  await uploader.setInputFiles('#file-input', files);
  await progressSays(uploader, '3 files uploaded — ready to send.');
  const listed = await uploader.locator('#draft-files li[data-done="1"] .name').allInnerTexts();
  if (names.some((n) => !listed.includes(n))) await fail(`the list shows ${JSON.stringify(listed)}, not ${JSON.stringify(names)}`);
  report.patches = patches.length;
  report.patchedUploads = new Set(patches).size;
  await shot(uploader, 'file-request.png');
  await Promise.all([uploader.waitForURL(/\?sent=3$/), uploader.getByRole('button', { name: 'Send them' }).click()]);
  report.thanked = await thanks(uploader);
  if (!report.thanked.includes('Thank you: 3 files sent')) await fail('after sending: ' + report.thanked);

  // 2. Another visitor, on web B, sees none of it and adds a file with the keyboard alone.
  const other = await freshPage();
  await other.goto(`${baseB}/r/${token}`);
  const seen = (html) => names.filter((n) => html.includes(n));
  report.otherSaw = seen(await other.content());
  if (report.otherSaw.length) await fail('a visitor on web B sees ' + report.otherSaw.join(', '));
  // Playwright starts catching file choosers without waiting for the browser to
  // confirm: ask for the event before the Tabs, so it is in place by the Enter.
  const opened = other.waitForEvent('filechooser');
  await tabTo(other, '#pick');
  await other.keyboard.press('Enter');
  const chooser = await opened.catch((e) => fail('Enter on "choose files" opened no file chooser: ' + e.message));
  report.chooserMultiple = chooser.isMultiple();
  await chooser.setFiles(keyboardFile);
  await progressSays(other, '1 file uploaded — ready to send.');
  await tabTo(other, '#send-button');
  await Promise.all([other.waitForURL(/\?sent=1$/), other.keyboard.press('Enter')]);
  report.keyboardThanked = await thanks(other);
  if (!report.keyboardThanked.includes('Thank you: 1 file sent')) await fail('after sending by keyboard: ' + report.keyboardThanked);
  const after = seen(await other.content());
  if (after.length) await fail('after sending, the visitor on web B sees ' + after.join(', '));

  // 3. The owner's page, with the request and what arrived through it.
  const owner = await freshPage();
  await owner.goto(baseA + '/signin');
  await owner.fill('#email', email);
  await owner.fill('#password', password);
  await Promise.all([owner.waitForNavigation(), owner.click('main button[type="submit"]')]);
  await owner.goto(baseA + '/requests');
  report.requests = await owner.locator('article.request').count();
  if (report.requests !== 1) await fail(`the owner's page lists ${report.requests} requests`);
  report.row = (await owner.locator('article.request .meta').innerText()).replace(/\s+/g, ' ');
  await owner.locator('article.request summary').click();
  if (!(await owner.getByRole('img', { name: /QR code/ }).isVisible())) await fail("no visible QR code on the owner's page");
  await shot(owner, 'requests.png');
} catch (error) {
  await fail(error.stack || String(error));
}
console.log(JSON.stringify(report));
await browser.close();
