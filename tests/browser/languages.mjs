// The upload page in another language, in a real Chromium (Debian's /usr/bin/chromium)
// whose own language is LANG (so it sends that Accept-Language, as a visitor's would).
//
//   node languages.mjs BASE_URL LANG FILE_A FILE_B [SCREENSHOT_DIR]
//
// Uploads two files and reports, as one JSON line: the page's `lang` and `dir`, what
// the live region says once both are uploaded, the size the script wrote for the first
// file, what the copy button announces on the sent page, whether the page is wider
// than the window (a right-to-left layout that overflows), whether the logo sits at
// the reading start of the header (the right in Arabic), and axe's serious or
// critical violations. The Rust test compares the words with the catalogues.
// With SCREENSHOT_DIR, saves upload-LANG.png there.
import { launch } from './chromium.mjs';
import { AxeBuilder } from '@axe-core/playwright';
import { join } from 'node:path';

const [base, lang, fileA, fileB, shots] = process.argv.slice(2);
if (!base || !lang || !fileA || !fileB) {
  console.error('usage: node languages.mjs BASE_URL LANG FILE_A FILE_B [SCREENSHOT_DIR]');
  process.exit(2);
}
const { browser, fail } = await launch([`--lang=${lang}`]);
try {
  const context = await browser.newContext({ locale: lang, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  await page.goto(base + '/');
  const root = await page.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir }));
  await page.setInputFiles('#file-input', [fileA, fileB]);
  await page.waitForFunction(() => document.querySelectorAll('#draft-files li[data-done="1"]').length === 2);
  const said = await page.locator('#overall-text').innerText();
  const size = await page.locator('#draft-files li .size').first().innerText();
  const overflows = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
  const logoAtStart = await page.evaluate(() => {
    const logo = document.querySelector('header.top .logo').getBoundingClientRect();
    const nav = document.querySelector('header.top nav').getBoundingClientRect();
    return document.documentElement.dir === 'rtl' ? logo.left > nav.left : logo.left < nav.left;
  });
  const axe = await new AxeBuilder({ page }).analyze();
  const violations = axe.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help}`);
  if (shots) await page.screenshot({ path: join(shots, `upload-${lang}.png`), fullPage: true });
  await Promise.all([page.waitForURL(/\/sent\//), page.click('#send-button')]);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.click('button[data-copy]');
  await page.waitForFunction(() => document.getElementById('copy-status').textContent !== '');
  const copied = await page.locator('#copy-status').innerText();
  console.log(JSON.stringify({ ...root, said, size, copied, overflows, logoAtStart, violations }));
} catch (e) {
  await fail(String(e && e.stack || e));
}
await browser.close();
