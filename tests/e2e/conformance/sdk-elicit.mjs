// SPDX-License-Identifier: Apache-2.0
// The official TypeScript SDK v1 client (legacy era, Streamable HTTP) declaring elicitation and
// answering every elicitation/create with ANSWER ("accept": approve; anything else: decline),
// then calling TOOL. Prints {elicited:[messages], result}; exit 1 on a failure.
// Usage: node sdk-elicit.mjs URL AUTHORIZATION TOOL JSON-ARGS ANSWER
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [url, authz, tool, args, answer] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: authz ? { Authorization: authz } : {} },
});
const client = new Client({ name: 'workledger-e2e-elicit', version: '0.1.0' },
  { capabilities: { elicitation: {} } });
const elicited = [];
client.setRequestHandler(ElicitRequestSchema, async (req) => {
  elicited.push(req.params.message);
  return answer === 'accept' ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
});
try {
  await client.connect(transport);
  const result = await client.callTool({ name: tool, arguments: JSON.parse(args || '{}') });
  console.log(JSON.stringify({ session: transport.sessionId ?? null, elicited, result }));
  await client.close();
} catch (e) {
  console.error(`sdk-elicit: ${e?.message ?? e}`);
  process.exit(1);
}
