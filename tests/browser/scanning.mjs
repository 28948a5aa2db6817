// Accessibility of the malware-scanning pages, in a real Chromium with axe-core, light
// and dark (the system's preference):
//
//   node scanning.mjs BASE_URL PATH…
//
// Each PATH (the page a blocked file answers with, a share page labelling one) must
// have no serious or critical axe violation. Exits non-zero, listing every violation.
import { launch } from './chromium.mjs';
import { AxeBuilder } from '@axe-core/playwright';

const [base, ...paths] = process.argv.slice(2);
if (!base || paths.length === 0) {
  console.error('usage: node scanning.mjs BASE_URL PATH…');
  process.exit(2);
}
const { browser, fail } = await launch();
const problems = [];
let checked = 0;
try {
  for (const colorScheme of ['light', 'dark']) {
    const context = await browser.newContext({ colorScheme, viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    for (const path of paths) {
      await page.goto(base + path);
      const result = await new AxeBuilder({ page }).analyze();
      for (const v of result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ');
        problems.push(`${colorScheme} · ${path}: [${v.impact}] ${v.id}: ${v.help} — ${where}`);
      }
      checked++;
    }
    await context.close();
  }
} catch (error) {
  await fail(error.stack || String(error));
}
if (problems.length) await fail(`${problems.length} problem(s) on ${checked} checked pages:\n  ` + problems.join('\n  '));
console.log(`scanning pages passed axe: ${checked} pages in 2 themes`);
await browser.close();
