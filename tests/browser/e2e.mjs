// End-to-end test of the web UI in a real Chromium (Debian's /usr/bin/chromium).
//
//   node e2e.mjs BASE_URL FILE1 FILE2 [SCREENSHOT_DIR]
//
// Uploads two files through the upload page (resumable uploads into the draft),
// reloads to check the draft survived, sends it with a download limit, opens the
// share link in a fresh browser context (another visitor) and downloads a file,
// comparing its bytes. Exits non-zero, with the reason, on any failure.
import { launch } from './chromium.mjs';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [base, first, second, shots] = process.argv.slice(2);
if (!base || !first || !second) {
  console.error('usage: node e2e.mjs BASE_URL FILE1 FILE2 [SCREENSHOT_DIR]');
  process.exit(2);
}
const { browser, fail } = await launch();
const shot = async (page, name) => { if (shots) await page.screenshot({ path: join(shots, name), fullPage: true }); };

try {
  const sender = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  sender.setDefaultTimeout(30000);
  await sender.goto(base + '/');
  if (!(await sender.title()).includes('Send files')) await fail('upload page title: ' + await sender.title());
  await sender.setInputFiles('#file-input', [first, second]);
  await sender.waitForFunction(() => document.querySelectorAll('#draft-files li[data-done="1"]').length === 2);
  await sender.reload();
  const drafted = await sender.locator('#draft-files li[data-done="1"]').count();
  if (drafted !== 2) await fail(`draft has ${drafted} files after a reload, expected 2`);
  await shot(sender, 'upload.png');

  await sender.selectOption('#days', '7');
  await sender.fill('#max_downloads', '5');
  await Promise.all([sender.waitForURL(/\/sent\//), sender.click('#send-button')]);
  const link = await sender.inputValue('#share-link');
  if (!/\/s\/[A-Za-z0-9_-]{22}$/.test(link)) await fail('share link looks wrong: ' + link);
  await shot(sender, 'sent.png');

  // Another visitor, with nothing in common with the sender but the link.
  const recipient = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 800 } })).newPage();
  recipient.setDefaultTimeout(30000);
  await recipient.goto(link);
  const heading = await recipient.locator('h1').innerText();
  if (heading !== '2 files for you') await fail('share page heading: ' + heading);
  // The worker makes the image's thumbnail; wait for it to appear (reloading).
  for (let i = 0; i < 30 && (await recipient.locator('img.thumb').count()) === 0; i++) {
    await recipient.waitForTimeout(500);
    await recipient.reload();
  }
  await shot(recipient, 'share.png');
  const name = basename(first);
  const [download] = await Promise.all([
    recipient.waitForEvent('download'),
    recipient.locator(`a[href$="/${encodeURIComponent(name)}"]`).click(),
  ]);
  const got = readFileSync(await download.path());
  if (!got.equals(readFileSync(first))) await fail(`downloaded ${got.length} bytes differ from ${name}`);
  if (download.suggestedFilename() !== name) await fail('suggested file name: ' + download.suggestedFilename());
  console.log('e2e passed: uploaded 2 files, draft survived a reload, sent, downloaded byte-identical ' + name);
} catch (error) {
  await fail(error.stack || String(error));
}
await browser.close();
