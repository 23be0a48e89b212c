// SPDX-License-Identifier: Apache-2.0
// tests/e2e/node/chat.test.mjs — the motebit surface beyond tools, with the official MCP
// TypeScript SDK client over stdio against the real `workledger serve`:
//  - executors.chat of type `sampling`: motebit_query asks the client's own model through
//    sampling/createMessage (the SDK client answers it here, checking the request: the message,
//    a system prompt, maxTokens), and that text comes back as the response with a receipt; the
//    answer's memory tag is stored; a client without the sampling capability gets a clear isError;
//  - resources: motebit://identity, motebit://state and motebit://memories are listed;
//    motebit://identity reads back a file that `workledger verify` accepts, motebit://memories
//    never shows a personal memory, and an unknown URI is a JSON-RPC error;
//  - prompts: chat, recall and reflect are listed, and recall carries the memory it matched.
// Usage: node chat.test.mjs /path/to/workledger
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.argv[2] || process.env.WORKLEDGER_BIN;
assert.ok(BIN, 'usage: node chat.test.mjs /path/to/workledger');
const dir = mkdtempSync(join(tmpdir(), 'wl-chat-'));
mkdirSync(join(dir, '.motus'), { recursive: true });
writeFileSync(join(dir, '.motus', 'config.json'), JSON.stringify({
  policy: { preset: 'autonomous' },
  executors: { chat: { type: 'sampling', max_tokens: 200 } },
}));
const env = { ...process.env, MOTUS_KERNEL_STORE_PATH: join(dir, '.motus', 'kernel-store.db') };
assert.equal(spawnSync(BIN, ['init'], { cwd: dir, env, stdio: 'ignore' }).status, 0);
// memories no MCP caller may write, planted in the Store directly: none of them may show
const plant = spawnSync('python3', ['-c', `
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for i, s in enumerate(["personal", "medical", "financial", "secret"]):
    con.execute("INSERT INTO memories(memory_id, content, sensitivity, confidence, created_at)"
                " VALUES (?,?,?,?,?)", ("mem_planted_%d" % i, "planted sky " + s, s, 100,
                "2026-01-01T00:00:00.000Z"))
con.commit()`, env.MOTUS_KERNEL_STORE_PATH], { encoding: 'utf8' });
assert.equal(plant.status, 0, plant.stderr);

async function connect(capabilities) {
  const transport = new StdioClientTransport({
    command: BIN, args: ['serve'], cwd: dir, env, stderr: 'pipe',
  });
  const client = new Client({ name: 'workledger-chat-e2e', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return client;
}
const text = (r) => r.content[0].text;
const payload = (r) => JSON.parse(text(r).slice(0, text(r).lastIndexOf('\n[motebit:')));

let failures = 0;
async function step(name, fn) {
  try { await fn(); console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}: ${e.stack}`); }
}

const c = await connect({ sampling: {} });
let asked = 0;
c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
  asked++;
  const p = req.params;
  assert.equal(p.messages.length, 1);
  assert.equal(p.messages[0].role, 'user');
  assert.equal(p.maxTokens, 200);
  assert.match(p.systemPrompt, /motebit agent/);
  const said = p.messages[0].content.text;
  return {
    role: 'assistant', model: 'sdk-test-model', stopReason: 'endTurn',
    content: { type: 'text', text: `Sampled: ${said} <memory confidence="0.9" sensitivity="none">sdk said ${said}</memory>` },
  };
});

await step('sampling: the client model answers motebit_query', async () => {
  const r = await c.callTool({ name: 'motebit_query', arguments: { message: 'hello model' } });
  assert.ok(!r.isError, text(r));
  assert.deepEqual(payload(r), { response: 'Sampled: hello model', memories_formed: 1 });
  assert.deepEqual(r.structuredContent, { response: 'Sampled: hello model', memories_formed: 1 });
  const rc = r._meta?.['io.motebit/receipt'];
  assert.ok(rc && rc.status === 'completed', JSON.stringify(rc));
  assert.equal(asked, 1);
});

await step('resources: listed, identity verifies, memories privacy-filtered', async () => {
  const rm = await c.callTool({ name: 'motebit_remember', arguments: { content: 'the sky is green here' } });
  assert.ok(!rm.isError, text(rm));
  const list = await c.listResources();
  const all = list.resources.map((x) => x.uri);
  const uris = all.filter((u) => u.startsWith('motebit://')).sort();
  assert.deepEqual(uris, ['motebit://identity', 'motebit://memories', 'motebit://state']);
  assert.ok(all.includes('workledger://runs'), 'the ledger resources are listed too: ' + all);
  const id = await c.readResource({ uri: 'motebit://identity' });
  const md = id.contents[0].text;
  assert.match(md, /^---\n/);
  const path = join(dir, 'identity-copy.md');
  writeFileSync(path, md);
  const v = spawnSync(BIN, ['verify', path], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.equal(JSON.parse(v.stdout).valid, true);
  const st = JSON.parse((await c.readResource({ uri: 'motebit://state' })).contents[0].text);
  assert.equal(st.chat_backend, 'sampling');
  assert.match(st.did, /^did:key:z6Mk/);
  const mem = JSON.parse((await c.readResource({ uri: 'motebit://memories' })).contents[0].text);
  const contents = mem.map((m) => m.content);
  assert.ok(contents.includes('the sky is green here'), contents);
  assert.ok(contents.includes('sdk said hello model'), contents);
  assert.ok(!contents.some((x) => x.startsWith('planted')), contents);
  for (const m of mem) assert.deepEqual(Object.keys(m).sort(), ['confidence', 'content', 'created_at']);
  await assert.rejects(c.readResource({ uri: 'motebit://nothing' }), /Resource not found/);
});

await step('prompts: chat, recall, reflect (and the ledger prompts)', async () => {
  const names = (await c.listPrompts()).prompts.map((p) => p.name).sort();
  assert.deepEqual(names, ['chat', 'recall', 'reflect', 'review_approvals', 'start_work', 'summarise_run']);
  const r = await c.getPrompt({ name: 'recall', arguments: { query: 'sky green' } });
  assert.match(r.messages[0].content.text, /the sky is green here/);
  const all = await c.getPrompt({ name: 'recall', arguments: { query: 'planted sky' } });
  assert.doesNotMatch(all.messages[0].content.text, /planted sky (medical|financial|secret)/);
  const ch = await c.getPrompt({ name: 'chat', arguments: { message: 'what color is the sky' } });
  assert.match(ch.messages[0].content.text, /what color is the sky/);
  const rf = await c.getPrompt({ name: 'reflect' });
  assert.match(rf.messages[0].content.text, /Reflect on them/);
  await assert.rejects(c.getPrompt({ name: 'recall', arguments: {} }), /query.*required/);
});
await c.close();

await step('sampling: a client without the capability gets a clear tool error', async () => {
  const d = await connect({});
  const r = await d.callTool({ name: 'motebit_query', arguments: { message: 'anyone?' } });
  assert.ok(r.isError && /did not declare the sampling capability/.test(text(r)), text(r));
  await d.close();
});

rmSync(dir, { recursive: true, force: true });
if (failures) { console.log(`${failures} step(s) failed`); process.exit(1); }
