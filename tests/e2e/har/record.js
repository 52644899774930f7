// Records a HAR of one page load with Debian's chromium (never a
// downloaded browser): node record.js URL HAR_PATH
const { chromium } = require('playwright-core');

(async () => {
  const [url, harPath] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // The sandbox needs user namespaces, which containers and root lack.
    args: ['--no-sandbox'],
  });
  const context = await browser.newContext({ recordHar: { path: harPath } });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'networkidle' });
  await context.close(); // writes the HAR
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
