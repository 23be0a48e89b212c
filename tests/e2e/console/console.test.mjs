// SPDX-License-Identifier: Apache-2.0
// tests/e2e/console/console.test.mjs — the operator console in Debian's headless Chromium
// (puppeteer-core), against a running `workledger serve --http` (tests/e2e/console.sh starts
// it): sign in with an operator token; a call held for approval, made by the official MCP SDK
// client, appears without a reload; Approve → the waiting call completes with its receipt; a
// second held call, Deny with a reason → the call gets its denied receipt; runs, events and the
// Work Receipt download; the three-node delegation receipt shows three verified nodes; after the
// stored receipt is tampered with (argv[6], a command run here) it shows not verified.
// Screenshots of every page at desktop and phone widths go to the folder in argv[5].
// Usage: node console.test.mjs BASE_URL OP_TOKEN AGENT_TOKEN RECEIPT_ID SHOT_DIR TAMPER_CMD
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [BASE, OP, AGENT, RECEIPT_ID, SHOTS, TAMPER] = process.argv.slice(2);
const WAIT = 60000; // generous bound for every wait on a busy 2-core machine
mkdirSync(SHOTS, { recursive: true });
let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) { passed++; console.log('ok   ' + what); } else { failed++; console.log('FAIL ' + what); }
}

async function agentClient() {
  const transport = new StreamableHTTPClientTransport(new URL(BASE + '/mcp'), {
    requestInit: { headers: { Authorization: 'Bearer ' + AGENT } },
  });
  const client = new Client({ name: 'console-e2e-agent', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// phone: 390 px wide; not isMobile, since switching that reloads the page mid-test
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
async function shots(page, name) {
  for (const [kind, vp] of Object.entries(VIEWPORTS)) {
    await page.setViewport(vp);
    await page.screenshot({ path: join(SHOTS, `${name}-${kind}.png`), fullPage: true });
  }
  await page.setViewport(VIEWPORTS.desktop);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.setViewport(VIEWPORTS.desktop);
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  let loads = 0;
  page.on('load', () => { loads++; });
  await page.goto(BASE + '/', { waitUntil: 'networkidle0' });
  check(await page.$eval('#page-signin', (e) => !e.hidden), 'the sign-in form shows without a token');
  check(await page.$eval('#nav', (e) => e.hidden), 'no navigation before signing in');
  await shots(page, 'signin');

  // a wrong token is refused and shows no ledger data
  await page.type('#token', 'not-the-token');
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#signin-error').textContent.length > 0, { timeout: WAIT });
  check(await page.$eval('#page-approvals', (e) => e.hidden), 'a wrong token: still signed out');
  // the agent's token is valid but cannot approve
  await page.$eval('#token', (e) => { e.value = ''; });
  await page.type('#token', AGENT);
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(() => /cannot approve/.test(document.querySelector('#signin-error').textContent), { timeout: WAIT });
  check(await page.$eval('#page-approvals', (e) => e.hidden), 'a non-operator token cannot sign in');

  // keyboard sign-in with the operator token
  await page.$eval('#token', (e) => { e.value = ''; });
  await page.focus('#token');
  await page.keyboard.type(OP);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#page-approvals:not([hidden])', { timeout: WAIT });
  check(true, 'signed in with the operator token (keyboard)');
  check(await page.evaluate(() => document.cookie === ''), 'no cookie is set');
  const loadsAfterSignin = loads;

  // 1. a held call appears without a reload; approve it; the waiting call completes
  const agent = await agentClient();
  const held = agent.callTool({ name: 'motebit_remember', arguments: { content: 'console approval e2e' } },
    undefined, { timeout: 300000 });
  await page.waitForSelector('#approvals-list li[data-approval]', { timeout: WAIT });
  check(loads === loadsAfterSignin, 'the pending approval appeared without a reload');
  const card = await page.$eval('#approvals-list li[data-approval]', (e) => ({ id: e.dataset.approval, text: e.textContent }));
  check(/motebit_remember/.test(card.text) && /agent/.test(card.text) && /R2/.test(card.text), 'the card shows tool, caller and risk');
  await shots(page, 'approvals');
  await page.click(`li[data-approval="${card.id}"] button.approve`);
  const r1 = await held;
  check(!r1.isError, 'the approved call completed: ' + (r1.content && r1.content[0] && r1.content[0].text.slice(0, 60)));
  const rc1 = r1._meta && r1._meta['io.motebit/receipt'];
  check(rc1 && rc1.signature && rc1.status === 'completed', 'with its signed receipt (status ' + (rc1 && rc1.status) + ')');
  await page.waitForSelector(`li[data-approval="${card.id}"][data-resolved="approved"]`, { timeout: WAIT });
  check(true, 'the console shows it approved');

  // 2. deny another with a reason: the call gets its denied receipt
  const held2 = agent.callTool({ name: 'motebit_remember', arguments: { content: 'console denial e2e' } },
    undefined, { timeout: 300000 });
  await page.waitForFunction(() => [...document.querySelectorAll('#approvals-list li[data-approval]')].some((e) => !e.dataset.resolved), { timeout: WAIT });
  const id2 = await page.evaluate(() => [...document.querySelectorAll('#approvals-list li[data-approval]')].find((e) => !e.dataset.resolved).dataset.approval);
  await page.type(`#reason-${id2}`, 'not on my watch');
  await page.click(`li[data-approval="${id2}"] button.deny`);
  const r2 = await held2;
  const rc2 = r2._meta && r2._meta['io.motebit/receipt'];
  check(r2.isError === true && /denied/.test(r2.content[0].text), 'the denied call failed: ' + r2.content[0].text.slice(0, 80));
  check(rc2 && rc2.signature && rc2.status === 'denied', 'with its denied receipt (status ' + (rc2 && rc2.status) + ')');
  await agent.close();

  // 3. runs, events, Work Receipt
  await page.goto(BASE + '/#runs', { waitUntil: 'networkidle0' });
  await page.waitForSelector('#runs-table tbody tr', { timeout: WAIT });
  const nRuns = await page.$$eval('#runs-table tbody tr', (r) => r.length);
  check(nRuns > 0, `runs listed (${nRuns})`);
  await page.type('#f-work', 'no-such-work-id');
  check(await page.$$eval('#runs-table tbody tr', (r) => r.length) === 0, 'the work-id filter filters');
  await page.$eval('#f-work', (e) => { e.value = ''; e.dispatchEvent(new Event('input')); });
  await page.select('#f-outcome', 'success');
  const closed = await page.$$eval('#runs-table tbody tr a', (a) => a.map((x) => x.getAttribute('href')));
  check(closed.length > 0, 'closed successful runs listed');
  await shots(page, 'runs');
  await page.click(`a[href="${closed[0]}"]`);
  await page.waitForSelector('#run-detail:not([hidden]) #events-table tbody tr', { timeout: WAIT });
  const seqs = await page.$$eval('#events-table tbody tr td:first-child', (t) => t.map((x) => Number(x.textContent)));
  check(seqs.length > 0 && seqs.every((s, i) => s === i + 1), 'the run\'s events in order: ' + seqs.join(','));
  await page.waitForSelector('#receipt-download:not([hidden])', { timeout: WAIT });
  const dl = join(SHOTS, 'downloads');
  mkdirSync(dl, { recursive: true });
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl });
  const fname = await page.$eval('#receipt-download', (a) => a.download);
  await page.click('#receipt-download');
  let wr = '';
  for (let i = 0; i < 600 && !wr; i++) {
    if (existsSync(join(dl, fname))) wr = readFileSync(join(dl, fname), 'utf8');
    else await new Promise((r) => setTimeout(r, 100)); // poll, bounded at 60 s
  }
  check(/"receipt_id":"sha256:/.test(wr), 'the Work Receipt downloads (' + fname + ', ' + wr.length + ' bytes)');
  await shots(page, 'run');

  // 4. the three-node delegation receipt
  await page.goto(BASE + '/#receipts/' + encodeURIComponent(RECEIPT_ID), { waitUntil: 'networkidle0' });
  await page.waitForSelector('#tree-root li.node', { timeout: WAIT });
  const nodes = await page.$$eval('#tree-root li.node', (n) => n.map((x) => x.dataset.verified));
  check(nodes.length === 3 && nodes.every((v) => v === 'true'), 'three verified nodes: ' + nodes.join(','));
  const badges = await page.$$eval('#tree-root .badge', (b) => b.map((x) => x.textContent));
  check(badges.length === 3 && badges.every((b) => b === 'verified'), 'three "verified" badges');
  await shots(page, 'receipt-tree');

  // 5. tamper with the stored receipt: not verified
  execFileSync('/bin/sh', ['-c', TAMPER], { stdio: 'inherit' });
  await page.goto(BASE + '/#receipts', { waitUntil: 'networkidle0' });
  await page.goto(BASE + '/#receipts/' + encodeURIComponent(RECEIPT_ID), { waitUntil: 'networkidle0' });
  await page.waitForFunction(() => document.querySelector('#tree-root li.node[data-verified="false"]'), { timeout: WAIT });
  const after = await page.$$eval('#tree-root li.node', (n) => n.map((x) => x.dataset.verified));
  check(after[0] === 'false', 'the tampered receipt shows not verified: ' + after.join(','));
  check(await page.$$eval('#tree-root .badge.bad', (b) => b.length) >= 1, 'a "not verified" badge');
  await shots(page, 'receipt-tampered');

  // 6. health
  await page.goto(BASE + '/#health', { waitUntil: 'networkidle0' });
  await page.waitForSelector('#health-list dt', { timeout: WAIT });
  const health = await page.$eval('#health-list', (d) => d.textContent);
  check(/sqlite/.test(health) && /Calls in the last minute/.test(health) && /Auth failures/.test(health), 'health shows engine, calls, auth failures');
  await shots(page, 'health');

  // 7. accessibility basics: every input has a label; nothing overflows at phone width
  const unlabeled = await page.$$eval('input, select', (els) => els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id));
  check(unlabeled.length === 0, 'every input has a label ' + unlabeled.join(','));
  await page.setViewport(VIEWPORTS.phone);
  for (const p of ['approvals', 'runs', 'receipts', 'health']) {
    await page.goto(BASE + '/#' + p, { waitUntil: 'networkidle0' });
    const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(over <= 1, `${p}: no horizontal overflow at phone width (${over}px)`);
  }
  check(cspViolations.length === 0, 'no CSP violation reported ' + cspViolations.join(' | '));
} finally {
  await browser.close();
}
console.log(`console: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
