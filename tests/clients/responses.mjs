// The official `openai` package's Responses API (what Codex CLI and the Agents SDK speak)
// against the proxy's /v1/responses: a reply, a stream, a tool-call round trip and a 400.
// Run by run_clients.sh.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: `${process.env.AUTOSWARM_URL}/v1`, apiKey: 'local', maxRetries: 0 });
const model = 'fake-model';

const reply = await client.responses.create({ model, instructions: 'Be brief.', input: 'hello' });
assert.equal(reply.object, 'response');
assert.equal(reply.status, 'completed');
assert.equal(reply.output_text, 'echo: hello');

const stream = await client.responses.create({ model, input: 'stream me', stream: true });
let streamed = '';
let completed = null;
for await (const event of stream) {
  if (event.type === 'response.output_text.delta') streamed += event.delta;
  if (event.type === 'response.completed') completed = event.response;
}
assert.equal(streamed, 'echo: stream me');
assert.ok(completed, 'the stream ended with response.completed');
assert.ok(completed.usage.output_tokens > 0);

const tools = [{ type: 'function', name: 'get_weather', description: 'Weather in a city',
                 parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
const question = { role: 'user', content: 'What is the weather in Paris?' };
const call = await client.responses.create({ model, tools, input: [question] });
const fc = call.output.find((item) => item.type === 'function_call');
assert.ok(fc, 'a function_call item');
assert.equal(fc.name, 'get_weather');
assert.deepEqual(JSON.parse(fc.arguments), { city: 'Paris' });
const answer = await client.responses.create({
  model, tools, input: [question, fc, { type: 'function_call_output', call_id: fc.call_id, output: 'sunny' }],
});
assert.equal(answer.output_text, 'The tool said: sunny');

await assert.rejects(
  client.responses.create({ model, input: 'x', tools: [{ type: 'web_search' }] }),
  (e) => e instanceof OpenAI.BadRequestError && /web_search/.test(e.message));
console.log('responses.mjs: ok');
