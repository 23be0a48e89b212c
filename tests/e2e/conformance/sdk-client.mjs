// SPDX-License-Identifier: Apache-2.0
// Official TypeScript SDK v1 client against workledger over Streamable HTTP.
// Usage: node sdk-client.mjs URL AUTHORIZATION-HEADER-VALUE TOOL [JSON-ARGS]
// Prints one JSON line: {protocol, server, tools:[names], result} ; exit 1 on any failure.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, authz, tool, args] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: authz ? { Authorization: authz } : {} },
});
const client = new Client({ name: 'workledger-e2e', version: '0.1.0' });
try {
  await client.connect(transport);
  const names = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  const result = await client.callTool({ name: tool, arguments: JSON.parse(args || '{}') });
  console.log(JSON.stringify({ protocol: transport.protocolVersion, server: client.getServerVersion(), tools: names, result }));
  await client.close();
} catch (e) {
  console.error(`sdk-client: ${e?.message ?? e}`);
  process.exit(1);
}
