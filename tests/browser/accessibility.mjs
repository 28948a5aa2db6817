// Accessibility of every page, in a real Chromium (Debian's /usr/bin/chromium) with
// axe-core (@axe-core/playwright), in both colour themes.
//
//   node accessibility.mjs BASE_URL FILE EMAIL PASSWORD [SCREENSHOT_DIR]
//
// EMAIL/PASSWORD: an existing admin account (the test makes it), for /me and /admin.
//
// 1. Keyboard only: Tab to the file picker, choose a file (setInputFiles stands in for
//    the OS dialog), Tab to the send button, press Enter, land on the sent page.
// 2. For each theme — light and dark as the system's preference, and dark chosen with
//    the header's toggle (a cookie) on a light system — every page: the upload page
//    empty and with a file, the sent page, the share page, the password page and its
//    wrong-password answer until 429, the gone page, a 404, sign-in, sign-up, forgot
//    password, reset and verify links, /me, /admin, /requests (the account has one
//    file request) and that request's page: empty, with a file, and after sending.
//    axe must report no serious or critical violation, and the page must really be in
//    the theme (its background).
// With SCREENSHOT_DIR, saves dark-upload.png and dark-share.png there.
// Exits non-zero, listing every violation, on any failure.
import { launch } from './chromium.mjs';
import { AxeBuilder } from '@axe-core/playwright';
import { join } from 'node:path';

const [base, file, email, password, shots] = process.argv.slice(2);
if (!base || !file || !email || !password) {
  console.error('usage: node accessibility.mjs BASE_URL FILE EMAIL PASSWORD [SCREENSHOT_DIR]');
  process.exit(2);
}
const { browser, fail } = await launch();
const problems = [];
let checked = 0;

async function newPage(colorScheme) {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  return page;
}

// The page's background luminance, 0 (black) to 1 (white).
async function background(page) {
  return page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  });
}

async function check(page, theme, name) {
  const dark = (await background(page)) < 0.5;
  if (dark !== (theme !== 'light')) {
    problems.push(`${theme} · ${name}: the page is ${dark ? 'dark' : 'light'}`);
  }
  const result = await new AxeBuilder({ page }).analyze();
  for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
    const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ') + (n.failureSummary ? ` (${n.failureSummary.replace(/\s+/g, ' ')})` : '')).join('; ');
    problems.push(`${theme} · ${name}: [${v.impact}] ${v.id}: ${v.help} — ${where}`);
  }
  checked++;
}

async function uploadOne(page) {
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(() => document.querySelectorAll('#draft-files li[data-done="1"]').length >= 1
    && document.querySelectorAll('#draft-files li[data-done="0"]').length === 0);
}

// Presses Tab until the element matching `selector` has the focus (at most 40 times).
async function tabTo(page, selector) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
  }
  await fail(`Tab never reached ${selector}`);
}

try {
  // 1. Keyboard only.
  const keys = await newPage('light');
  await keys.goto(base + '/');
  await tabTo(keys, '#pick');
  await keys.setInputFiles('#file-input', file);
  await keys.waitForFunction(() => document.querySelectorAll('#draft-files li[data-done="1"]').length === 1);
  // The polite live region tells a screen-reader user the upload is done.
  const said = await keys.locator('#overall-text[aria-live="polite"]').innerText();
  if (said !== '1 file uploaded — ready to send.') await fail('live region says: ' + said);
  await tabTo(keys, '#send-button');
  await Promise.all([keys.waitForURL(/\/sent\//), keys.keyboard.press('Enter')]);
  console.log('keyboard only: picked a file, sent it with Enter, landed on ' + new URL(keys.url()).pathname);
  // Copying the link by keyboard is announced through the page's status region.
  await tabTo(keys, 'button[data-copy]');
  await keys.keyboard.press('Enter');
  await keys.waitForFunction(() => document.getElementById('copy-status').textContent !== '')
    .catch(() => fail('copying the link is not announced'));
  const copied = await keys.locator('#copy-status[role="status"]').innerText();
  if (copied !== 'Link copied to the clipboard.') await fail('status region says: ' + copied);

  // A password-protected transfer for the password pages.
  const locked = await newPage('light');
  await locked.goto(base + '/');
  await uploadOne(locked);
  await locked.fill('#password', 'correct horse battery');
  await Promise.all([locked.waitForURL(/\/sent\//), locked.click('#send-button')]);
  const lockedLink = await locked.inputValue('#share-link');

  // 2. Every page in every theme.
  for (const [theme, colorScheme, viaToggle] of [['light', 'light', false], ['dark', 'dark', false], ['dark (toggle)', 'light', true]]) {
    const page = await newPage(colorScheme);
    await page.goto(base + '/');
    if (viaToggle) {
      await Promise.all([page.waitForURL(base + '/'), page.click('form.theme button[value="dark"]')]);
      if ((await page.getAttribute('html', 'data-theme')) !== 'dark') await fail('the Dark button did not set data-theme="dark"');
    }
    await check(page, theme, 'upload page, empty');
    await uploadOne(page);
    await check(page, theme, 'upload page with a file');
    if (shots && theme === 'dark') await page.screenshot({ path: join(shots, 'dark-upload.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/sent\//), page.click('#send-button')]);
    await check(page, theme, 'sent page');
    const link = await page.inputValue('#share-link');
    await page.goto(link);
    await check(page, theme, 'share page');
    if (shots && theme === 'dark') await page.screenshot({ path: join(shots, 'dark-share.png'), fullPage: true });

    await page.goto(lockedLink);
    await check(page, theme, 'password page');
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) {
      await page.fill('#password', 'not the password');
      const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]:not(.link)')]);
      status = response.status();
      if (i === 0) await check(page, theme, 'wrong password');
    }
    if (status !== 429) await fail('wrong passwords never answered 429');
    await check(page, theme, 'too many tries (429)');

    await page.goto(base + '/s/AAAAAAAAAAAAAAAAAAAAAA');
    await check(page, theme, 'gone page');
    const missing = await page.goto(base + '/no/such/page');
    if (missing.status() !== 404) await fail('/no/such/page answered ' + missing.status());
    await check(page, theme, '404 page');
    for (const [path, name] of [['/signin', 'sign-in'], ['/signup', 'sign-up'], ['/forgot', 'forgot password'],
      ['/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'reset link'], ['/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'verify link']]) {
      await page.goto(base + path);
      await check(page, theme, name);
    }
    await page.goto(base + '/signin');
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]')]);
    await page.goto(base + '/me');
    if (!(await page.title()).includes('My transfers')) await fail('not signed in: ' + await page.title());
    await check(page, theme, '/me');
    await page.goto(base + '/admin');
    await check(page, theme, '/admin');
    await page.goto(base + '/admin/users');
    await check(page, theme, '/admin/users');
    if (shots && theme === 'light') await page.screenshot({ path: join(shots, 'admin-users.png'), fullPage: true });
    await page.goto(base + '/admin/transfers');
    await check(page, theme, '/admin/transfers');
    if (shots && theme === 'light') await page.screenshot({ path: join(shots, 'admin-transfers.png'), fullPage: true });
    await page.goto(base + '/requests');
    if ((await page.locator('article.request').count()) !== 1) await fail('/requests does not list the one file request');
    await check(page, theme, '/requests with a request');
    await page.goto(base + '/tokens');
    await check(page, theme, '/tokens');
    await page.fill('#token-name', `ci ${theme}`);
    await Promise.all([page.waitForLoadState(), page.click('main form[action="/tokens"] button[type="submit"]')]);
    if (!(await page.inputValue('#new-token')).startsWith('ferry_')) await fail('/tokens shows no new token');
    await check(page, theme, '/tokens with a new token');
    if (shots && theme === 'light') await page.screenshot({ path: join(shots, 'tokens.png'), fullPage: true });
    await page.goto(base + '/requests');
    const request = new URL(await page.inputValue('article.request input[readonly]')).pathname;
    await page.goto(base + request);
    await check(page, theme, 'file request page, empty');
    await uploadOne(page);
    await check(page, theme, 'file request page with a file');
    await Promise.all([page.waitForURL(/\?sent=1$/), page.click('#send-button')]);
    await check(page, theme, 'file request page, sent');
    await page.goto(base + '/');
    if ((await page.locator('#recipients').count()) !== 1) await fail('no recipients field for a confirmed sender');
    await check(page, theme, 'upload page signed in, with e-mail');
    await page.context().close();
  }
} catch (error) {
  await fail(error.stack || String(error));
}
if (problems.length) await fail(`${problems.length} problem(s) on ${checked} checked pages:\n  ` + problems.join('\n  '));
console.log(`accessibility passed: ${checked} pages in 3 theme settings, no serious or critical axe violation`);
await browser.close();
