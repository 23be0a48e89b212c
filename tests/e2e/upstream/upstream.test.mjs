// SPDX-License-Identifier: Apache-2.0
// tests/e2e/upstream/upstream.test.mjs — real MCP servers behind workledger (spec/upstreams.md):
// the official TypeScript SDK client in front of `workledger serve` (stdio), and behind it
// @modelcontextprotocol/server-everything and @modelcontextprotocol/server-filesystem (pinned in
// package-lock.json), each also driven directly by the same SDK for comparison. Checks: tools
// listed as <upstream>__<tool> with the upstream's description, schemas and annotations;
// results equal to the direct ones plus a receipt `workledger verify --strict-hash` accepts
// whose result_hash is sha256(JCS(result without our receipt)); the upstream sees only its
// configured environment; a denied tool gives a signed denied receipt and never reaches the
// upstream (the file is not written); progress, cancellation and elicitation pass through;
// killing the upstream mid-call gives a failed receipt and the next call succeeds after the
// restart; motebit_task with an `mcp` executor names the tool in tools_used; a misbehaving
// fake upstream (garbage, hang, huge reply, crash, list_changed); HTTP upstreams (server-everything
// over Streamable HTTP, and another workledger node in the 2026-07-28 era).
// Usage: node upstream.test.mjs /path/to/workledger
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = process.argv[2] || process.env.WORKLEDGER_BIN;
assert.ok(BIN, 'usage: node upstream.test.mjs /path/to/workledger');
const HERE = dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;
const EVERYTHING = join(HERE, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FILESYSTEM = join(HERE, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');

const dir = mkdtempSync(join(tmpdir(), 'wl-upstream-'));
const fsroot = join(dir, 'files');
mkdirSync(fsroot);
writeFileSync(join(fsroot, 'hello.txt'), 'hello from the filesystem server\n');
mkdirSync(join(dir, '.motus'));
const config = {
  policy: { preset: 'autonomous' },
  upstreams: [
    { name: 'everything', command: [NODE, EVERYTHING, 'stdio'],
      env: { PATH: '/usr/bin:/bin', WL_UPSTREAM_MARK: 'configured' }, timeout_s: 60 },
    { name: 'fs', command: [NODE, FILESYSTEM, fsroot], env: { PATH: '/usr/bin:/bin' },
      tools: { write_file: { deny: true } } },
  ],
  executors: { echo: { type: 'mcp', upstream: 'everything', tool: 'echo' } },
};
writeFileSync(join(dir, '.motus', 'config.json'), JSON.stringify(config));
const env = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(dir, '.motus', 'kernel-store.db'),
  WL_SECRET_OF_THE_NODE: 'must-not-leak' };
spawnSync(BIN, ['init'], { cwd: dir, env, stdio: 'ignore' });

// JCS (RFC 8785) for the JSON values MCP results hold: sorted keys, ECMAScript numbers.
function jcs(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
}
function receipt(r) {
  const rc = r._meta?.['io.motebit/receipt'];
  assert.ok(rc && rc.signature && rc.suite === 'motebit-jcs-ed25519-b64-v1', 'receipt in _meta');
  return rc;
}
// The result as returned minus our receipt (and minus _meta when that leaves it empty).
function withoutReceipt(r) {
  const c = structuredClone(r);
  delete c._meta['io.motebit/receipt'];
  if (Object.keys(c._meta).length === 0) delete c._meta;
  return c;
}
function verify(rc, strict = true) {
  const f = join(dir, `receipt-${rc.invocation_id || rc.task_id}.json`);
  writeFileSync(f, JSON.stringify(rc));
  const v = spawnSync(BIN, ['verify', ...(strict ? ['--strict-hash'] : []), f], { encoding: 'utf8' });
  assert.equal(v.status, 0, `workledger verify: ${v.stdout}${v.stderr}`);
}
function checkReceipt(r, tool, status) {
  const rc = receipt(r);
  assert.equal(rc.tool_name, tool);
  assert.equal(rc.status, status);
  const h = createHash('sha256').update(jcs(withoutReceipt(r)), 'utf8').digest('hex');
  if (status !== 'denied') assert.equal(rc.result_hash, h, 'result_hash covers the result');
  verify(rc);
  return rc;
}
// The SDK's view of a result, without what only we add.
function plain(r) { return withoutReceipt(r); }

let stderr = '';
async function connectWorkledger() {
  const transport = new StdioClientTransport({ command: BIN, args: ['serve'], cwd: dir, env,
    stderr: 'pipe' });
  transport.stderr.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: 'upstream-e2e', version: '1.0.0' },
    { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    elicited.push(req.params);
    return { action: 'decline' };
  });
  await client.connect(transport);
  return client;
}
async function connectDirect(args) {
  const transport = new StdioClientTransport({ command: NODE, args, env: { PATH: '/usr/bin:/bin' },
    stderr: 'ignore' });
  const client = new Client({ name: 'upstream-e2e-direct', version: '1.0.0' },
    { capabilities: { elicitation: {} } });
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
async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
function upstreamPids() {
  return [...stderr.matchAll(/upstream everything: started \(pid (\d+)\)/g)].map((m) => +m[1]);
}

const elicited = [];
const steps = [];
const step = (name, fn) => steps.push([name, fn]);
let wl, direct, directFs;

step('tools listed as <upstream>__<tool> with the upstream schemas', async () => {
  wl = await connectWorkledger();
  direct = await connectDirect([EVERYTHING, 'stdio']);
  directFs = await connectDirect([FILESYSTEM, fsroot]);
  assert.equal(wl.getServerCapabilities().tools.listChanged, true);
  const theirs = [...(await listAll(direct)).map((t) => ['everything', t]),
    ...(await listAll(directFs)).map((t) => ['fs', t])];
  // conditional tools (elicitation) are registered after initialize and announced by
  // list_changed, which workledger relays: poll until they are there
  // a tool its config denies is not listed (tools/list never lists a denied tool); called by
  // name it still gets a signed denial (below)
  const denied = (u, t) => u === 'fs' && t.name === 'write_file';
  const listed = theirs.filter(([u, t]) => !denied(u, t));
  const ours = await until('every upstream tool listed', async () => {
    const l = await listAll(wl);
    return listed.every(([u, t]) => l.some((o) => o.name === `${u}__${t.name}`)) && l;
  });
  assert.ok(!ours.some((o) => o.name === 'fs__write_file'), 'a denied upstream tool is not listed');
  for (const [u, t] of listed) {
    const o = ours.find((x) => x.name === `${u}__${t.name}`);
    assert.equal(o.description, t.description, `${o.name} description`);
    assert.deepEqual(o.inputSchema, t.inputSchema, `${o.name} inputSchema`);
    assert.deepEqual(o.outputSchema, t.outputSchema, `${o.name} outputSchema`);
    assert.deepEqual(o.annotations, t.annotations, `${o.name} annotations`);
  }
  assert.ok(ours.some((t) => t.name === 'everything__trigger-elicitation-request'));
  assert.ok(ours.some((t) => t.name === 'motebit_identity'), 'our own tools are still there');
});

step('calls return the upstream content unchanged plus a verifiable receipt', async () => {
  const cases = [
    ['echo', { message: 'hello through the gate' }],
    ['get-sum', { a: 2, b: 40 }],
    ['get-tiny-image', {}],
    ['get-structured-content', { location: 'New York' }],
    ['get-annotated-message', { messageType: 'error', includeImage: true }],
  ];
  for (const [tool, args] of cases) {
    const d = await direct.callTool({ name: tool, arguments: args });
    const r = await wl.callTool({ name: `everything__${tool}`, arguments: args });
    assert.deepEqual(plain(r), d, `${tool}: same result as direct`);
    checkReceipt(r, `everything__${tool}`, 'completed');
  }
  const d = await directFs.callTool({ name: 'read_text_file', arguments: { path: join(fsroot, 'hello.txt') } });
  const r = await wl.callTool({ name: 'fs__read_text_file', arguments: { path: join(fsroot, 'hello.txt') } });
  assert.deepEqual(plain(r), d);
  assert.match(r.content[0].text, /hello from the filesystem server/);
  checkReceipt(r, 'fs__read_text_file', 'completed');
});

step('the upstream sees only the environment its config names', async () => {
  const r = await wl.callTool({ name: 'everything__get-env', arguments: {} });
  const seen = JSON.parse(r.content[0].text);
  assert.equal(seen.WL_UPSTREAM_MARK, 'configured');
  assert.equal(seen.WL_SECRET_OF_THE_NODE, undefined, 'our environment does not leak');
  assert.equal(seen.MOTUS_KERNEL_STORE_PATH, undefined);
  checkReceipt(r, 'everything__get-env', 'completed');
});

step('a denied upstream tool: signed denied receipt, the upstream never called', async () => {
  const target = join(fsroot, 'written.txt');
  const r = await wl.callTool({ name: 'fs__write_file', arguments: { path: target, content: 'x' } });
  assert.equal(r.isError, true);
  assert.match(r.content[0].text, /^Policy denied: /);
  checkReceipt(r, 'fs__write_file', 'denied');
  assert.equal(existsSync(target), false, 'the file was not written');
  const tools = await wl.callTool({ name: 'motebit_tools', arguments: {} });
  assert.ok(!tools.structuredContent.tools.some((t) => t.name === 'fs__write_file'));
  assert.ok(tools.structuredContent.tools.some((t) => t.name === 'fs__read_text_file' && t.risk === 0));
});

step('invalid arguments are refused before the upstream', async () => {
  const r = await wl.callTool({ name: 'everything__echo', arguments: { message: 42 } });
  assert.equal(r.isError, true);
  assert.equal(receipt(r).status, 'failed');
});

step('progress passes through', async () => {
  const seen = [];
  const r = await wl.callTool({ name: 'everything__trigger-long-running-operation',
    arguments: { duration: 1, steps: 4 } }, undefined, { onprogress: (p) => seen.push(p) });
  assert.ok(!r.isError);
  const up = seen.filter((p) => p.total === 4).map((p) => p.progress);
  assert.deepEqual(up, [1, 2, 3, 4], `progress relayed: ${JSON.stringify(seen)}`);
  checkReceipt(r, 'everything__trigger-long-running-operation', 'completed');
});

step('cancellation passes through', async () => {
  const ac = new AbortController();
  const p = wl.callTool({ name: 'everything__trigger-long-running-operation',
    arguments: { duration: 30, steps: 30 } }, undefined,
  { signal: ac.signal, onprogress: () => ac.abort() });
  await assert.rejects(p);
  await until('notifications/cancelled sent upstream',
    () => /upstream everything: sent notifications\/cancelled for request \d+ \(cancelled\)/.test(stderr));
  const r = await wl.callTool({ name: 'everything__echo', arguments: { message: 'after cancel' } });
  assert.equal(r.content[0].text, 'Echo: after cancel');
});

step('elicitation of the upstream is asked of the client', async () => {
  const before = elicited.length;
  const r = await wl.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
  assert.equal(elicited.length, before + 1, 'the client was asked');
  assert.match(r.content.map((c) => c.text).join('\n'), /declined/);
  checkReceipt(r, 'everything__trigger-elicitation-request', 'completed');
});

step('upstream killed mid-call: failed receipt, the next call succeeds after the restart', async () => {
  const pids = upstreamPids();
  assert.ok(pids.length >= 1, 'the upstream pid is logged');
  const pid = pids[pids.length - 1];
  let killed = false;
  const r = await wl.callTool({ name: 'everything__trigger-long-running-operation',
    arguments: { duration: 30, steps: 30 } }, undefined,
  { onprogress: () => { if (!killed) { killed = true; process.kill(pid, 'SIGKILL'); } } });
  assert.ok(killed);
  assert.equal(r.isError, true);
  assert.match(r.content[0].text, /died|exited/);
  const rc = receipt(r);
  assert.equal(rc.status, 'failed');
  verify(rc);
  const again = await wl.callTool({ name: 'everything__echo', arguments: { message: 'restarted' } });
  assert.equal(again.content[0].text, 'Echo: restarted');
  checkReceipt(again, 'everything__echo', 'completed');
  assert.ok(upstreamPids().length > pids.length, 'a new upstream process was started');
});

step('motebit_task with an mcp executor', async () => {
  const r = await wl.callTool({ name: 'motebit_task',
    arguments: { prompt: '{"message":"as a task"}', required_capabilities: ['echo'] } });
  assert.ok(!r.isError, r.content[0].text);
  const er = r.structuredContent.receipt || r.structuredContent;
  assert.equal(er.status, 'completed');
  assert.equal(er.result, 'Echo: as a task');
  assert.deepEqual(er.tools_used, ['everything__echo']);
  verify(er);
});

// A misbehaving upstream (tests/e2e/fakes/upstream_fake.py) costs a clear error, never the server.
const FAKE = join(HERE, '..', 'fakes', 'upstream_fake.py');
let bad, badStderr = '';
step('a misbehaving upstream: garbage, hang, huge reply and crash are clear errors; list_changed relayed', async () => {
  const bdir = mkdtempSync(join(tmpdir(), 'wl-upstream-bad-'));
  mkdirSync(join(bdir, '.motus'));
  writeFileSync(join(bdir, '.motus', 'config.json'), JSON.stringify({
    policy: { preset: 'autonomous' },
    upstreams: [{ name: 'bad', command: ['python3', FAKE], env: { PATH: '/usr/bin:/bin' },
      timeout_s: 5, max_result_bytes: 1048576 }],
  }));
  const benv = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(bdir, '.motus', 'kernel-store.db') };
  spawnSync(BIN, ['init'], { cwd: bdir, env: benv, stdio: 'ignore' });
  const transport = new StdioClientTransport({ command: BIN, args: ['serve'], cwd: bdir, env: benv,
    stderr: 'pipe' });
  transport.stderr.on('data', (d) => { badStderr += d.toString(); });
  bad = new Client({ name: 'upstream-e2e-bad', version: '1.0.0' });
  let changed = 0;
  bad.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
  await bad.connect(transport);
  const call = (name) => bad.callTool({ name: `bad__${name}`, arguments: {} });
  const failedWith = async (name, re) => {
    const r = await call(name);
    assert.equal(r.isError, true, `${name}: isError`);
    assert.match(r.content[0].text, re, `${name}: message`);
    assert.equal(receipt(r).status, 'failed');
    verify(receipt(r));
    const ok = await call('ok'); // the server (and, restarted, the upstream) still serves
    assert.match(ok.content[0].text, /^ok from pid \d+$/, `after ${name}`);
    return ok.content[0].text;
  };
  const first = (await call('ok')).content[0].text;
  const g = await call('garbage');
  assert.equal(g.content[0].text, 'ok after garbage');
  assert.match(badStderr, /skipped a line on stdout that is not a JSON-RPC message/);
  await failedWith('hang', /no answer to tools\/call within 5000 ms/);
  const afterHuge = await failedWith('huge', /exceeded the size cap of 1048576 bytes/);
  assert.notEqual(afterHuge, first, 'the oversized upstream was restarted');
  const afterCrash = await failedWith('crash', /exited \(status 3\)/);
  assert.notEqual(afterCrash, afterHuge, 'the crashed upstream was restarted');
  // tools/list_changed of the upstream is relayed, and the new tool is served
  assert.ok(!(await listAll(bad)).some((t) => t.name === 'bad__grown'));
  const before = changed;
  assert.equal((await call('grow')).content[0].text, 'grown');
  await until('notifications/tools/list_changed relayed', () => changed > before);
  assert.ok((await listAll(bad)).some((t) => t.name === 'bad__grown'));
  assert.equal((await call('grown')).content[0].text, 'I am new');
  await bad.close();
  rmSync(bdir, { recursive: true, force: true });
});

// An HTTP upstream: server-everything over Streamable HTTP, reached with our MCP client.
step('an HTTP upstream (Streamable HTTP, token from token_env)', async () => {
  const port = await new Promise((res) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => res(p));
    });
  });
  const se = spawn(NODE, [EVERYTHING, 'streamableHttp'], { env: { PATH: '/usr/bin:/bin', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'] });
  let seErr = '';
  se.stderr.on('data', (d) => { seErr += d.toString(); });
  try {
    await until('server-everything listening', () => /listening on port/.test(seErr));
    const hdir = mkdtempSync(join(tmpdir(), 'wl-upstream-http-'));
    mkdirSync(join(hdir, '.motus'));
    writeFileSync(join(hdir, '.motus', 'config.json'), JSON.stringify({
      upstreams: [{ name: 'remote', url: `http://127.0.0.1:${port}/mcp`, token_env: 'WL_REMOTE_TOKEN' }],
    }));
    const henv = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(hdir, '.motus', 'kernel-store.db') };
    spawnSync(BIN, ['init'], { cwd: hdir, env: henv, stdio: 'ignore' });
    const refused = spawnSync(BIN, ['serve'], { cwd: hdir, env: henv, input: '', encoding: 'utf8' });
    assert.notEqual(refused.status, 0, 'serve refuses an unset token_env');
    assert.match(refused.stderr, /upstream remote: token_env WL_REMOTE_TOKEN is not set/);
    const transport = new StdioClientTransport({ command: BIN, args: ['serve'], cwd: hdir,
      env: { ...henv, WL_REMOTE_TOKEN: 'not-a-real-secret' }, stderr: 'pipe' });
    let herr = '';
    transport.stderr.on('data', (d) => { herr += d.toString(); });
    const c = new Client({ name: 'upstream-e2e-http', version: '1.0.0' });
    await c.connect(transport);
    try {
      const tools = await listAll(c);
      const echo = tools.find((t) => t.name === 'remote__echo');
      assert.ok(echo, `remote__echo listed (${herr.slice(-300)})`);
      assert.deepEqual(echo.inputSchema, (await direct.listTools()).tools.find((t) => t.name === 'echo').inputSchema);
      const r = await c.callTool({ name: 'remote__echo', arguments: { message: 'over http' } });
      assert.deepEqual(plain(r), await direct.callTool({ name: 'echo', arguments: { message: 'over http' } }));
      checkReceipt(r, 'remote__echo', 'completed');
      const seen = [];
      const lr = await c.callTool({ name: 'remote__trigger-long-running-operation',
        arguments: { duration: 1, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
      assert.ok(!lr.isError);
      assert.deepEqual(seen.filter((x) => x >= 1 && x <= 3), [1, 2, 3], `progress over HTTP: ${seen}`);
    } finally {
      await c.close();
      rmSync(hdir, { recursive: true, force: true });
    }
  } finally {
    se.kill('SIGKILL');
  }
});

// Another workledger node as an HTTP upstream: it speaks 2026-07-28, so our client uses the
// modern era; its own receipt moves to _meta["io.motebit/upstream-receipt"] beside ours.
step('a workledger node as an HTTP upstream (modern era, its receipt kept)', async () => {
  const ndir = mkdtempSync(join(tmpdir(), 'wl-upstream-node-'));
  mkdirSync(join(ndir, '.motus'));
  const token = 'upstream-node-token-0123456789abcdef';
  writeFileSync(join(ndir, '.motus', 'config.json'), JSON.stringify({
    http: { tokens: [{ name: 'front', token }] } }));
  const nenv = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(ndir, '.motus', 'kernel-store.db') };
  spawnSync(BIN, ['init'], { cwd: ndir, env: nenv, stdio: 'ignore' });
  const node = spawn(BIN, ['serve', '--http', '127.0.0.1:0', '--port-file', join(ndir, 'port')],
    { cwd: ndir, env: nenv, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    const port = await until('the upstream node listening', () => {
      try { return readFileSync(join(ndir, 'port'), 'utf8').trim(); } catch { return ''; }
    });
    const fdir = mkdtempSync(join(tmpdir(), 'wl-upstream-front-'));
    mkdirSync(join(fdir, '.motus'));
    writeFileSync(join(fdir, '.motus', 'config.json'), JSON.stringify({
      upstreams: [{ name: 'node', url: `http://127.0.0.1:${port}/mcp`, token_env: 'WL_NODE_TOKEN' }] }));
    const fenv = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(fdir, '.motus', 'kernel-store.db'),
      WL_NODE_TOKEN: token };
    spawnSync(BIN, ['init'], { cwd: fdir, env: fenv, stdio: 'ignore' });
    const c = new Client({ name: 'upstream-e2e-front', version: '1.0.0' });
    await c.connect(new StdioClientTransport({ command: BIN, args: ['serve'], cwd: fdir, env: fenv,
      stderr: 'ignore' }));
    try {
      const tools = await listAll(c);
      assert.ok(tools.some((t) => t.name === 'node__motebit_identity'));
      const r = await c.callTool({ name: 'node__motebit_identity', arguments: {} });
      assert.ok(!r.isError, r.content?.[0]?.text);
      const ours = checkReceipt(r, 'node__motebit_identity', 'completed');
      const theirs = r._meta['io.motebit/upstream-receipt'];
      assert.equal(theirs.tool_name, 'motebit_identity', 'the upstream node receipt is kept');
      assert.notEqual(theirs.public_key, ours.public_key, 'two nodes, two keys');
      verify(theirs);
      assert.ok(r._meta['io.modelcontextprotocol/serverInfo'], 'a 2026-07-28 (modern era) result');
    } finally {
      await c.close();
      rmSync(fdir, { recursive: true, force: true });
    }
  } finally {
    node.kill('SIGTERM');
    rmSync(ndir, { recursive: true, force: true });
  }
});

let failed = 0;
for (const [name, fn] of steps) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').slice(0, 6).join('\n  ')}`);
  }
}
for (const c of [wl, direct, directFs]) await c?.close().catch(() => {});
if (failed) console.log(`--- workledger stderr (tail) ---\n${stderr.split('\n').slice(-40).join('\n')}\n--- bad ---\n${badStderr.split('\n').slice(-30).join('\n')}`);
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
