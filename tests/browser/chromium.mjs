// The one way the browser tests start Chromium (Debian's, or $CHROMIUM): headless,
// with nothing that phones home, plus any `extraArgs`. `fail(message)` reports a
// failure, closes the browser and exits 1.
import { chromium } from 'playwright-core';

export async function launch(extraArgs = []) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...extraArgs],
  });
  const fail = async (message) => { console.error('FAILED: ' + message); await browser.close(); process.exit(1); };
  return { browser, fail };
}
