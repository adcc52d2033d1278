// browser.mjs: real Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, for the tests in tests/browser. One browser per test file;
// pages are reused within a file.
//
//   const browser = await launch();                 // closed in a root after() hook
//   const page = await openPage(browser, { size: 'phone' });
//   await page.goto(server.url + '/s/100001');
//   …
//   await shot(page, 'chat');                       // test-output/browser/chat-390x844.png
//   assertNoConsoleErrors(page);
//
// Every page records console errors and uncaught exceptions (page.problems);
// tests assert there are none.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.SORAK_CHROMIUM || '/usr/bin/chromium';
export const OUTPUT_DIR = join(process.env.SORAK_TEST_OUTPUT || resolve(here, '../../../build/test-output'), 'browser');

export const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

const browsers = new Set();
after(async () => {
  await Promise.all([...browsers].map((b) => b.close()));
});

export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // --no-sandbox: the tests run as root in CI, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  browsers.add(browser);
  return browser;
}

// A page in its own context (own localStorage), desktop or phone sized.
// ignore: patterns of console errors this test expects (e.g. a refused
// WebSocket while the server is down).
export async function openPage(browser, { size = 'desktop', ignore = [] } = {}) {
  const phone = size === 'phone';
  const context = await browser.newContext({
    viewport: SIZES[size], isMobile: phone, hasTouch: phone, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC',
  });
  const page = await context.newPage();
  page.problems = [];
  page.ignoreProblems = ignore;
  page.dialogs = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`uncaught: ${err.message}`));
  page.on('dialog', async (d) => { page.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  page.setDefaultTimeout(10000);
  return page;
}

export function assertNoConsoleErrors(page) {
  const real = page.problems.filter((p) => !page.ignoreProblems.some((re) => re.test(p)));
  assert.deepEqual(real, [], 'the page logged errors');
  assert.deepEqual(page.dialogs, [], 'the page opened dialogs (alert/confirm)');
}

// Saves a full-viewport screenshot as OUTPUT_DIR/NAME-WxH.png; returns the path.
export async function shot(page, name) {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const { width, height } = page.viewportSize();
  const path = join(OUTPUT_DIR, `${name}-${width}x${height}.png`);
  await page.screenshot({ path });
  return path;
}

// Logs in through the page's own "pick a name" dialog (dev mode).
export async function pickName(page, name) {
  await page.click('#login-button');
  await page.fill('#login-name', name);
  await page.click('#login-dialog button[type=submit]');
  await page.locator('#login-dialog').waitFor({ state: 'hidden' });
  await page.locator('.me', { hasText: name }).waitFor();
}

// Puts a token in the page's login storage before its scripts run.
export async function useToken(page, token) {
  await page.addInitScript((t) => localStorage.setItem('sorak.token', t), token);
}

// A free loopback port (for a server that must come back on the same one).
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

// The messages shown in the chat list, as text, oldest first.
export const chatTexts = (page) => page.$$eval('#messages .msg .text', (els) => els.map((e) => e.textContent));
