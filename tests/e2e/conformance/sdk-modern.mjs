// SPDX-License-Identifier: Apache-2.0
// The official TypeScript SDK's Streamable HTTP client transport speaking the 2026-07-28 era to
// workledger (per-request _meta, MCP-Protocol-Version / Mcp-Method / Mcp-Name headers): the SDK
// v1 Client only initializes in the legacy eras, so each request here goes through its own
// StreamableHTTPClientTransport (headers per request, the SDK's JSON and SSE handling).
// Usage: node sdk-modern.mjs URL AUTHORIZATION METHOD PARAMS-JSON [CAPS-JSON]
// Prints the JSON-RPC response (one line); exit 1 on a transport failure.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, authz, method, paramsText, capsText] = process.argv.slice(2);
const params = JSON.parse(paramsText || '{}');
const caps = JSON.parse(capsText || '{}');
params._meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'workledger-e2e-modern', version: '0.1.0' },
  'io.modelcontextprotocol/clientCapabilities': caps,
  ...(params._meta || {}),
};
const name = method === 'tools/call' || method === 'prompts/get' ? params.name
  : method.startsWith('tasks/') ? params.taskId : undefined;
const headers = { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': method };
if (name !== undefined) headers['Mcp-Name'] = name;
if (authz) headers.Authorization = authz;
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const id = 1;
const done = new Promise((resolve, reject) => {
  transport.onmessage = (m) => { if (m.id === id) resolve(m); };
  transport.onerror = (e) => reject(e);
  setTimeout(() => reject(new Error('no answer in 60 s')), 60000).unref();
});
try {
  await transport.start();
  await transport.send({ jsonrpc: '2.0', id, method, params });
  console.log(JSON.stringify(await done));
  await transport.close();
  process.exit(0);
} catch (e) {
  console.error(`sdk-modern: ${e?.message ?? e}`);
  process.exit(1);
}
