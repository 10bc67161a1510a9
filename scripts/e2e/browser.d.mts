// Types of browser.mjs, for the TypeScript tests that launch the same Chromium.
import type { Browser } from 'playwright-core';

/** Debian's Chromium (or $CHROMIUM), headless, driven by playwright-core. */
export function launchBrowser(): Promise<Browser>;
/** Opens `url` in a fresh page of `browser` and parses the result the page writes into #out. */
export function pageResult(browser: Browser, url: string, timeoutMs?: number): Promise<unknown>;
