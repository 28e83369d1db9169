// The official `ollama` package (Ollama's own API, as Open WebUI's Ollama connection and
// Continue/Cline with provider: ollama speak it) against the proxy in front of an OpenAI-style
// upstream: list, show, chat (whole, streamed, a tool round trip), generate, embed and a 404.
// Run by run_clients.sh.
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';

const ollama = new Ollama({ host: process.env.AUTOSWARM_URL });
const model = 'fake-model';

const { models } = await ollama.list();
assert.ok(models.some((m) => m.name === model), `fake-model in ${JSON.stringify(models)}`);
const shown = await ollama.show({ model });
assert.ok(Array.isArray(shown.capabilities));
await assert.rejects(ollama.show({ model: 'no-such-model' }), (e) => e.status_code === 404);

const reply = await ollama.chat({ model, messages: [{ role: 'user', content: 'hello' }] });
assert.equal(reply.message.content, 'echo: hello');
assert.equal(reply.done, true);

let streamed = '';
let last = null;
for await (const part of await ollama.chat({ model, messages: [{ role: 'user', content: 'stream me' }], stream: true })) {
  streamed += part.message.content;
  last = part;
}
assert.equal(streamed, 'echo: stream me');
assert.equal(last.done, true);
assert.ok(last.eval_count > 0);

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city',
                 parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
const question = { role: 'user', content: 'What is the weather in Paris?' };
const call = await ollama.chat({ model, tools, messages: [question] });
const tc = call.message.tool_calls?.[0];
assert.ok(tc, `a tool call in ${JSON.stringify(call.message)}`);
assert.equal(tc.function.name, 'get_weather');
assert.deepEqual(tc.function.arguments, { city: 'Paris' });
const answer = await ollama.chat({
  model, tools,
  messages: [question, call.message, { role: 'tool', content: 'sunny', tool_name: 'get_weather' }],
});
assert.equal(answer.message.content, 'The tool said: sunny');

const generated = await ollama.generate({ model, prompt: 'hi there' });
assert.equal(generated.response, 'echo: hi there');

const embedded = await ollama.embed({ model, input: ['a', 'b'] });
assert.equal(embedded.embeddings.length, 2);
console.log('ollama-chat.mjs: ok');
