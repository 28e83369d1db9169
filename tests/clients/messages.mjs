// @anthropic-ai/sdk (what Claude Code is built on) against the proxy's /v1/messages: a reply,
// a stream, a tool-call round trip and count_tokens. Run by run_clients.sh.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

const client = new Anthropic({ baseURL: process.env.AUTOSWARM_URL, apiKey: 'local', maxRetries: 0 });
const model = 'fake-model';

const reply = await client.messages.create({
  model, max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'hello' }],
});
assert.equal(reply.type, 'message');
assert.equal(reply.content[0].type, 'text');
assert.equal(reply.content[0].text, 'echo: hello');
assert.equal(reply.stop_reason, 'end_turn');

const stream = client.messages.stream({
  model, max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'stream me' }] }],
});
let streamed = '';
stream.on('text', (delta) => { streamed += delta; });
const final = await stream.finalMessage();
assert.equal(streamed, 'echo: stream me');
assert.equal(final.content[0].text, 'echo: stream me');
assert.ok(final.usage.output_tokens > 0);

const tools = [{ name: 'get_weather', description: 'Weather in a city',
                 input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
const question = { role: 'user', content: 'What is the weather in Paris?' };
const call = await client.messages.create({ model, max_tokens: 64, tools, messages: [question] });
assert.equal(call.stop_reason, 'tool_use');
const use = call.content.find((b) => b.type === 'tool_use');
assert.equal(use.name, 'get_weather');
assert.deepEqual(use.input, { city: 'Paris' });
const answer = await client.messages.create({
  model, max_tokens: 64, tools,
  messages: [question, { role: 'assistant', content: call.content },
             { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] }],
});
assert.equal(answer.content[0].text, 'The tool said: sunny');

const counted = await client.messages.countTokens({ model, messages: [question] });
assert.ok(counted.input_tokens > 0);

await assert.rejects(
  client.messages.create({ model, max_tokens: 64, messages: [{ role: 'system', content: 'x' }] }),
  (e) => e instanceof Anthropic.BadRequestError && /role/.test(e.message));
console.log('messages.mjs: ok');
