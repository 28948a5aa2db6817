// What a person sees, in a real Chromium (Debian's /usr/bin/chromium): the share
// link's QR code, and the previews of the share page. Driven by tests/looks.rs, which
// checks what this prints.
//
//   node looks.mjs qr BASE_URL FILE OUT_DIR
//     Uploads FILE through the upload page, sends it, and screenshots the QR code on
//     the sent page (OUT_DIR/qr-sent.png) and on the share page (OUT_DIR/qr-share.png).
//     Prints {"link": "<the share link the sent page shows>"}.
//
//   node looks.mjs previews SHARE_URL [SCREENSHOT_DIR]
//     On the share page of a transfer holding clip.webm, tone.wav, notes.txt, doc.pdf,
//     page.html and image.svg: plays the video and the audio and seeks each near its end, reads the text preview,
//     opens the PDF preview, and tries to render the HTML and SVG files every way a
//     recipient could. Prints a JSON report; exits non-zero, with the reason, on a
//     failure (a dialog opened by a script of an upload is one).
import { launch } from './chromium.mjs';
import { join } from 'node:path';

const [mode, ...args] = process.argv.slice(2);
const { browser, fail } = await launch(['--autoplay-policy=no-user-gesture-required']);
// Every dialog is a script from an upload that ran: none may open.
const dialogs = [];
const watch = (page) => page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });

async function qr(base, file, out) {
  const sender = await (await browser.newContext({ viewport: { width: 1100, height: 1000 } })).newPage();
  sender.setDefaultTimeout(30000);
  await sender.goto(base + '/');
  await sender.setInputFiles('#file-input', [file]);
  await sender.waitForFunction(() => document.querySelectorAll('#draft-files li[data-done="1"]').length === 1);
  await Promise.all([sender.waitForURL(/\/sent\//), sender.click('#send-button')]);
  const link = await sender.inputValue('#share-link');
  const code = sender.getByRole('img', { name: 'QR code of the share link' });
  if (!(await code.isVisible())) await fail('no visible QR code on the sent page');
  await code.screenshot({ path: join(out, 'qr-sent.png') });

  const recipient = await (await browser.newContext({ viewport: { width: 1100, height: 1000 } })).newPage();
  recipient.setDefaultTimeout(30000);
  await recipient.goto(link);
  const shared = recipient.getByRole('img', { name: 'QR code of the share link' });
  if (!(await shared.isVisible())) await fail('no visible QR code on the share page');
  await shared.screenshot({ path: join(out, 'qr-share.png') });
  console.log(JSON.stringify({ link }));
}

async function previews(share, shots) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1400 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  watch(page);
  const media = [];
  page.on('response', async (response) => {
    if (!response.url().includes('/preview/')) return;
    const headers = await response.allHeaders();
    media.push({
      url: response.url(), status: response.status(),
      range: (await response.request().allHeaders()).range || null,
      contentRange: headers['content-range'] || null,
    });
  });
  await page.goto(share);
  const report = {};

  // Text: shown as text, markup and all, and never run.
  const text = await page.locator('pre.text-preview').innerText();
  if (!text.includes('<script>alert("text ran")</script>')) await fail('text preview does not show the markup as text: ' + text);
  report.text = text;

  // Audio and video: the browser's own player plays each, then seeks near the end.
  const play = (selector, before) => page.evaluate(async ([selector, before]) => {
    const media = document.querySelector(selector);
    if (!media) return { error: 'no ' + selector + ' element' };
    media.muted = true;
    await media.play();
    const wait = (event) => new Promise((resolve) => media.addEventListener(event, resolve, { once: true }));
    while (media.currentTime < 0.2) await wait('timeupdate');
    const target = media.duration - before;
    const seeked = wait('seeked');
    media.currentTime = target;
    await seeked;
    while (media.currentTime < target + 0.2) await wait('timeupdate');
    const size = media.videoWidth ? [media.videoWidth, media.videoHeight] : null;
    media.pause();
    return { duration: media.duration, target, at: media.currentTime, size };
  }, [selector, before]);
  report.video = await play('video', 2);
  if (report.video.error) await fail(report.video.error);
  report.audio = await play('audio', 5);
  if (report.audio.error) await fail(report.audio.error);
  // Let the audio run on for the picture, with the player near its end.
  await page.evaluate(() => document.querySelector('audio').play());
  if (shots) await page.screenshot({ path: join(shots, 'preview.png'), fullPage: true });
  report.media = media;

  // PDF: its preview opens in the browser's PDF viewer, not as a download.
  const pdfLink = page.getByRole('link', { name: 'View PDF' });
  const [pdfPage] = await Promise.all([context.waitForEvent('page'), pdfLink.click()]);
  watch(pdfPage);
  const pdfDownload = pdfPage.waitForEvent('download', { timeout: 5000 }).then(() => true, () => false);
  await pdfPage.waitForLoadState('load').catch(() => {});
  report.pdf = {
    url: pdfPage.url(),
    downloaded: await pdfDownload,
    viewer: await pdfPage.evaluate(() => {
      const embed = document.querySelector('embed');
      return embed ? embed.getAttribute('type') : document.contentType;
    }).catch((e) => 'error: ' + e.message),
  };
  if (shots) await pdfPage.screenshot({ path: join(shots, 'preview-pdf.png') }).catch(() => {});
  await pdfPage.close();

  // HTML and SVG: no preview on the page, and every way to open them downloads them.
  const base = new URL(share);
  const token = base.pathname.split('/').pop();
  report.active = {};
  for (const name of ['page.html', 'image.svg']) {
    const row = page.locator('ul.files li', { hasText: name });
    const shown = await row.locator('video, audio, pre, img, iframe, embed, object').count();
    const previewLinks = await row.getByRole('link', { name: /Preview|View/ }).count();
    const results = {};
    for (const prefix of ['', 'inline/', 'get/', 'preview/']) {
      const url = `${base.origin}/${prefix}${token}/${name}`;
      const tab = await context.newPage();
      watch(tab);
      const download = tab.waitForEvent('download', { timeout: 10000 }).then((d) => d.suggestedFilename(), () => null);
      const response = await tab.goto(url).then((r) => r && r.status(), (e) => 'navigation: ' + e.message.split('\n')[0]);
      results[prefix || 'plain'] = { response, download: await download };
      await tab.close();
    }
    report.active[name] = { shown, previewLinks, results };
  }
  report.dialogs = dialogs;
  console.log(JSON.stringify(report));
}

try {
  if (mode === 'qr') await qr(...args);
  else if (mode === 'previews') await previews(...args);
  else await fail('usage: node looks.mjs qr BASE_URL FILE OUT_DIR | previews SHARE_URL [SCREENSHOT_DIR]');
} catch (e) {
  await fail(e.stack || String(e));
}
await browser.close();
