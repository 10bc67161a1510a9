// Headless Chromium (Debian's package, never a downloaded one) driven by playwright-core: opens a
// page and returns the JSON result it shows in #out, or throws with the page's error and console.
import { chromium } from 'playwright-core';

const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser() {
  return chromium.launch({ executablePath: EXECUTABLE, args: ['--no-sandbox'] });
}

/** Opens `url` in a fresh page of `browser` and parses the result the page writes into #out. */
export async function pageResult(browser, url, timeoutMs = 60_000) {
  const page = await browser.newPage();
  const log = [];
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'pending', null, { timeout: timeoutMs });
    const text = await page.textContent('#out');
    if (!text?.startsWith('{')) throw new Error(`${text}\n${log.join('\n')}`);
    return JSON.parse(text);
  } catch (e) {
    if (log.length && !String(e.message).includes(log[0])) e.message += `\n${log.join('\n')}`;
    throw e;
  } finally {
    await page.close();
  }
}
