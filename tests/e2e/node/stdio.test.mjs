// SPDX-License-Identifier: Apache-2.0
// tests/e2e/node/stdio.test.mjs — drives `workledger serve` over stdio with the official MCP
// TypeScript SDK client (@modelcontextprotocol/sdk, pinned in package.json): initialize, list all
// pages, call every tool (the SDK checks structuredContent against each outputSchema), a denied
// call, the approval round trip through `workledger approve` and through elicitation,
// cancellation, progress, and a stream of garbage. Usage: node stdio.test.mjs /path/to/workledger
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.argv[2] || process.env.WORKLEDGER_BIN;
assert.ok(BIN, 'usage: node stdio.test.mjs /path/to/workledger');
const dirs = [];

function storeDir(config) {
  const d = mkdtempSync(join(tmpdir(), 'wl-node-'));
  dirs.push(d);
  mkdirSync(join(d, '.motus'), { recursive: true });
  if (config) writeFileSync(join(d, '.motus', 'config.json'), JSON.stringify(config));
  const env = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(d, '.motus', 'kernel-store.db') };
  spawnSync(BIN, ['init'], { cwd: d, env, stdio: 'ignore' });
  return { dir: d, env };
}

async function connect(store, capabilities = {}, extra = []) {
  const transport = new StdioClientTransport({
    command: BIN, args: ['serve', ...extra], cwd: store.dir, env: store.env, stderr: 'pipe',
  });
  const client = new Client({ name: 'workledger-e2e', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return client;
}

async function listAll(client) {
  const tools = [];
  let cursor;
  do {
    const r = await client.listTools(cursor ? { cursor } : {});
    tools.push(...r.tools);
    cursor = r.nextCursor;
  } while (cursor);
  return tools;
}

function text(r) { return r.content[0].text; }
function receipt(r) {
  const rc = r._meta?.['io.motebit/receipt'];
  assert.ok(rc && rc.signature && rc.suite === 'motebit-jcs-ed25519-b64-v1', 'receipt in _meta');
  return rc;
}
function ok(r, what) {
  assert.ok(!r.isError, `${what}: ${r.isError ? text(r) : ''}`);
  assert.ok(r.structuredContent !== undefined, `${what}: structuredContent`);
  receipt(r);
  return r.structuredContent;
}

const steps = [];
function step(name, fn) { steps.push([name, fn]); }

const ALL = ['motebit_identity', 'motebit_tools', 'motus_work_claim', 'motus_work_evidence',
  'motus_work_decision', 'motus_work_release', 'motus_work_receipt', 'motus_work_status',
  'motus_work_list', 'motus_run_export', 'motus_wrap'];

const main = storeDir(null);
let client;

step('initialize and list every page', async () => {
  client = await connect(main, {}, ['--heartbeat-ms', '150']);
  const v = client.getServerVersion();
  assert.equal(v.name, 'workledger');
  const tools = await listAll(client);
  const names = tools.map((t) => t.name);
  for (const n of ALL) assert.ok(names.includes(n), `tools/list has ${n}`);
  const id = tools.find((t) => t.name === 'motebit_identity');
  assert.equal(id.inputSchema.type, 'object');
  assert.deepEqual(id.inputSchema.properties, {});
  assert.equal(id.annotations.readOnlyHint, true);
});

step('call every tool', async () => {
  const ident = ok(await client.callTool({ name: 'motebit_identity', arguments: {} }), 'identity');
  const r0 = await client.callTool({ name: 'motebit_identity', arguments: {} });
  assert.match(text(r0), new RegExp(`\\n\\[motebit:${ident.motebit_id.slice(0, 8)} key:${ident.public_key.slice(0, 16)}\\]$`));
  const tl = await client.callTool({ name: 'motebit_tools', arguments: {} });
  const arr = JSON.parse(text(tl).replace(/\n\[motebit:[^\]]*\]\s*$/, ''));
  assert.ok(Array.isArray(arr) && arr.every((t) => Number.isInteger(t.risk)), 'motebit_tools: numeric risk');
  const claim = ok(await client.callTool({ name: 'motus_work_claim', arguments: { work_id: 'ADHOC-NODE-1', intent: 'e2e' } }), 'claim');
  const lease = claim.lease_id;
  ok(await client.callTool({ name: 'motus_work_evidence', arguments: { lease_id: lease, kind: 'test_result', passed: 3, failed: 0 } }), 'evidence');
  ok(await client.callTool({ name: 'motus_work_decision', arguments: { lease_id: lease, text: 'ship it', rationale: 'green' } }), 'decision');
  ok(await client.callTool({ name: 'motus_work_status', arguments: { id: lease } }), 'status');
  const list = ok(await client.callTool({ name: 'motus_work_list', arguments: {} }), 'list');
  assert.ok(list.count >= 1);
  ok(await client.callTool({ name: 'motus_work_release', arguments: { lease_id: lease, outcome: 'success' } }), 'release');
  ok(await client.callTool({ name: 'motus_work_receipt', arguments: { id: lease } }), 'receipt');
  const exp = ok(await client.callTool({ name: 'motus_run_export', arguments: { id: claim.run_id } }), 'export');
  const exp2 = ok(await client.callTool({ name: 'motus_run_export', arguments: { id: claim.run_id } }), 'export again');
  assert.deepEqual(exp, exp2, 'exports are deterministic');
  const wrap = await client.callTool({ name: 'motus_wrap', arguments: { argv: ['echo', 'hi'] } });
  assert.ok(wrap.isError && text(wrap).startsWith('Governance: tool "motus_wrap" requires approval'), text(wrap));
  receipt(wrap);
  const bad = await client.callTool({ name: 'motus_work_claim', arguments: { work_id: 5 } });
  assert.ok(bad.isError && /work_id/.test(text(bad)), 'invalid arguments are an isError result');
});

step('approval round trip through workledger approve', async () => {
  const args = { argv: ['echo', 'approved'] };
  const r1 = await client.callTool({ name: 'motus_wrap', arguments: args });
  const m = /Pending approval: (\S+?)\./.exec(text(r1));
  assert.ok(r1.isError && m, text(r1));
  const a = spawnSync(BIN, ['approve', m[1]], { cwd: main.dir, env: main.env, encoding: 'utf8' });
  assert.equal(a.status, 0, `workledger approve: ${a.stderr}`);
  const r2 = await client.callTool({ name: 'motus_wrap', arguments: args });
  const out = ok(r2, 'approved retry');
  assert.equal(out.exit_status, 0);
});

step('progress notifications', async () => {
  // approve through the CLI first, then run a command that prints over time
  const args = { argv: ['sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.1; done'] };
  const r1 = await client.callTool({ name: 'motus_wrap', arguments: args });
  const id = /Pending approval: (\S+?)\./.exec(text(r1))[1];
  assert.equal(spawnSync(BIN, ['approve', id], { cwd: main.dir, env: main.env }).status, 0);
  const seen = [];
  const r2 = await client.callTool({ name: 'motus_wrap', arguments: args }, undefined,
    { onprogress: (p) => seen.push(p.progress), resetTimeoutOnProgress: true });
  ok(r2, 'wrap with progress');
  assert.ok(seen.length >= 2, `progress notifications: ${seen}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], 'progress increases');
});

step('heartbeat progress for a quiet long call', async () => {
  const args = { argv: ['sleep', '1'] };
  const r1 = await client.callTool({ name: 'motus_wrap', arguments: args });
  const id = /Pending approval: (\S+?)\./.exec(text(r1))[1];
  assert.equal(spawnSync(BIN, ['approve', id], { cwd: main.dir, env: main.env }).status, 0);
  const seen = [];
  const r2 = await client.callTool({ name: 'motus_wrap', arguments: args }, undefined,
    { onprogress: (p) => seen.push(p), resetTimeoutOnProgress: true, timeout: 800 });
  ok(r2, 'quiet wrap');
  assert.ok(seen.filter((p) => p.message === 'still running').length >= 3, JSON.stringify(seen));
});

step('a denied call', async () => {
  const s = storeDir({ policy: { denylist: ['motus_work_list'] } });
  const c = await connect(s);
  const r = await c.callTool({ name: 'motus_work_list', arguments: {} });
  assert.ok(r.isError && text(r).startsWith('Policy denied: '), text(r));
  assert.equal(receipt(r).status, 'denied');
  const tl = await c.callTool({ name: 'motebit_tools', arguments: {} });
  assert.ok(!tl.structuredContent.tools.some((t) => t.name === 'motus_work_list'));
  await c.close();
});

step('approval through elicitation, and cancellation', async () => {
  const s = storeDir(null);
  const c = await connect(s, { elicitation: {} });
  let answer = 'accept';
  let onAsk = () => {};
  c.setRequestHandler(ElicitRequestSchema, async (req) => {
    assert.match(req.params.message, /motus_wrap/);
    onAsk();
    if (answer === 'hang') return new Promise(() => {});
    return answer === 'accept' ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
  });
  const r = await c.callTool({ name: 'motus_wrap', arguments: { argv: ['echo', 'elicited'] } });
  assert.equal(ok(r, 'elicited wrap').exit_status, 0);
  answer = 'decline';
  const d = await c.callTool({ name: 'motus_wrap', arguments: { argv: ['echo', 'no'] } });
  assert.ok(d.isError && /declined/.test(text(d)), text(d));
  // cancel a call while the server waits for the user's answer
  answer = 'hang';
  const ac = new AbortController();
  onAsk = () => setImmediate(() => ac.abort('test cancel'));
  await assert.rejects(c.callTool({ name: 'motus_wrap', arguments: { argv: ['echo', 'never'] } }, undefined, { signal: ac.signal }));
  // cancel a running command (it prints, so the server notices at its next output)
  answer = 'accept';
  const ac2 = new AbortController();
  let progressed = 0;
  const p = c.callTool({ name: 'motus_wrap', arguments: { argv: ['sh', '-c', 'while true; do echo x; sleep 0.05; done'], timeout_s: 20 } },
    undefined, { signal: ac2.signal, onprogress: () => { if (++progressed === 2) ac2.abort('stop'); } });
  await assert.rejects(p);
  assert.ok(progressed >= 2);
  await c.ping();   // still answering
  const id = await c.callTool({ name: 'motebit_identity', arguments: {} });
  ok(id, 'identity after cancellations');
  await c.close();
});

step('modern era probe and a stream of garbage', async () => {
  const s = storeDir(null);
  const child = spawn(BIN, ['serve'], { cwd: s.dir, env: s.env, stdio: ['pipe', 'pipe', 'ignore'] });
  const chunks = [];
  child.stdout.on('data', (b) => chunks.push(b));
  const done = new Promise((res) => child.on('close', res));
  const lines = [
    '{"jsonrpc":"2.0","id":"i","method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}',
    '{"jsonrpc":"2.0","id":"d","method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}',
    '{"jsonrpc":"2.0","id":"m","method":"tools/call","params":{"name":"motebit_identity","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}',
    'garbage', '{"jsonrpc":"2.0"', '[]', '{"id":1}', '\u0000\u0001\u0002', 'null', '"str"',
    '{"jsonrpc":"2.0","id":[1],"method":"ping"}', '{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":1}}',
    '{"jsonrpc":"2.0","id":"last","method":"ping"}',
  ];
  child.stdin.write(Buffer.concat([Buffer.from(lines.join('\n') + '\n'), Buffer.from([0xff, 0xfe, 0x0a])]));
  child.stdin.end();
  const code = await done;
  assert.equal(code, 0);
  const out = Buffer.concat(chunks).toString('utf8').split('\n');
  assert.equal(out.pop(), '');
  const msgs = out.map((l) => JSON.parse(l));
  for (const m of msgs) assert.equal(m.jsonrpc, '2.0');
  const byId = Object.fromEntries(msgs.filter((m) => m.id !== null).map((m) => [m.id, m]));
  assert.equal(byId.i.result.protocolVersion, '2025-03-26');
  assert.equal(byId.d.result.resultType, 'complete');
  assert.equal(byId.m.result.resultType, 'complete');
  assert.ok(byId.m.result._meta['io.motebit/receipt']);
  assert.deepEqual(byId.last.result, {});
  assert.equal(byId.x.error.code, -32602);
  assert.equal(byId[1].error.code, -32600);
  // garbage, truncated, batch, NUL/control bytes, null, "str", id [1], invalid UTF-8: id null
  assert.equal(msgs.filter((m) => m.id === null).length, 8, JSON.stringify(msgs.filter((m) => m.id === null)));
});

let failed = 0;
for (const [name, fn] of steps) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e.stack || e}`);
  }
}
try { await client?.close(); } catch { /* already closed */ }
for (const d of dirs) rmSync(d, { recursive: true, force: true });
console.log(failed ? `${failed} step(s) failed` : `all ${steps.length} steps passed`);
process.exit(failed ? 1 : 0);
