// SPDX-License-Identifier: Apache-2.0
// Official TypeScript SDK v1 server (sessionful Streamable HTTP: Mcp-Session-Id, SSE replies)
// for the e2e tests of `workledger call` (tests/e2e/client_call.sh).
// Usage: node sdk-server.mjs PORT-FILE TOKEN
// Listens on 127.0.0.1 (ephemeral port, written to PORT-FILE); every request needs
// `Authorization: Bearer TOKEN` (else 401). Tools: `echo {text}` and `progress` (three
// notifications/progress when the request carries a progressToken, then "done").
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const [portFile, token] = process.argv.slice(2);

function makeServer() {
  const s = new McpServer({ name: 'sdk-v1-e2e', version: '0.1.0' });
  s.registerTool('echo', { description: 'echo the text', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }));
  s.registerTool('progress', { description: 'three progress notifications' }, async (extra) => {
    const tok = extra._meta?.progressToken;
    for (let i = 1; i <= 3 && tok !== undefined; i++) {
      await extra.sendNotification({ method: 'notifications/progress',
        params: { progressToken: tok, progress: i, total: 3, message: `step ${i}` } });
    }
    return { content: [{ type: 'text', text: 'done' }] };
  });
  return s;
}

const transports = new Map();
const srv = http.createServer(async (req, res) => {
  if (req.url !== '/mcp') { res.writeHead(404).end(); return; }
  if (req.headers.authorization !== `Bearer ${token}`) {
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_token"' })
      .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: null }));
    return;
  }
  const sid = req.headers['mcp-session-id'];
  let t = sid ? transports.get(sid) : undefined;
  if (sid && !t) {
    res.writeHead(404, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
    return;
  }
  if (!t) {
    t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => transports.set(id, t) });
    t.onclose = () => { if (t.sessionId) transports.delete(t.sessionId); };
    await makeServer().connect(t);
  }
  await t.handleRequest(req, res);
});
srv.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(srv.address().port)));
process.on('SIGTERM', () => process.exit(0));
