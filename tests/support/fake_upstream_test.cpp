// Tests of the fake upstream itself, over loopback with a plain httplib client.
#include "support/fake_upstream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.h"

using autoswarm::testing::FakeModel;
using autoswarm::testing::FakeUpstream;
using autoswarm::testing::FakeUpstreamOptions;
using autoswarm::testing::Flavor;
using nlohmann::json;

namespace {

FakeUpstreamOptions with_flavor(Flavor flavor, std::vector<FakeModel> models = {{"fake-model", true}}) {
  FakeUpstreamOptions o;
  o.flavor = flavor;
  o.models = std::move(models);
  return o;
}

httplib::Client client_for(const FakeUpstream& fake) {
  httplib::Client cli("127.0.0.1", fake.port());
  cli.set_read_timeout(5, 0);
  return cli;
}

json get_json(const FakeUpstream& fake, const std::string& path, int expected_status = 200) {
  auto cli = client_for(fake);
  auto res = cli.Get(path.c_str());
  REQUIRE(res);
  CHECK(res->status == expected_status);
  return json::parse(res->body);
}

struct Reply {
  int status = 0;
  std::string body;
  json parsed;  // null unless the body is JSON
};

Reply post(const FakeUpstream& fake, const std::string& path, const std::string& body,
           const httplib::Headers& headers = {}) {
  auto cli = client_for(fake);
  auto res = cli.Post(path.c_str(), headers, body, "application/json");
  REQUIRE(res);
  Reply r{res->status, res->body, json::parse(res->body, nullptr, false)};
  if (r.parsed.is_discarded()) r.parsed = nullptr;
  return r;
}

Reply chat(const FakeUpstream& fake, json body, const httplib::Headers& headers = {}) {
  if (!body.contains("model")) body["model"] = "fake-model";
  return post(fake, "/v1/chat/completions", body.dump(), headers);
}

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

// A streamed chat: the raw body, whether httplib saw a complete response, and the SSE data
// payloads in order.
struct Streamed {
  bool ok = false;
  httplib::Error error = httplib::Error::Success;
  int status = 0;
  std::string raw;
  std::vector<std::string> data;
  std::chrono::milliseconds first_byte{0};
  std::chrono::milliseconds total{0};
};

Streamed stream_chat(const FakeUpstream& fake, json body) {
  if (!body.contains("model")) body["model"] = "fake-model";
  body["stream"] = true;
  auto cli = client_for(fake);
  Streamed s;
  const auto start = std::chrono::steady_clock::now();
  bool first = true;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.response_handler = [&](const httplib::Response& res) {
    s.status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (first) {
      s.first_byte = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      first = false;
    }
    s.raw.append(data, len);
    return true;
  };
  auto res = cli.send(req);
  s.total = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  s.ok = static_cast<bool>(res);
  s.error = res.error();
  if (res) s.status = res->status;
  // Parse the SSE framing: events separated by a blank line, "data: " lines.
  std::string text = s.raw;
  std::string line;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data: ", 0) == 0) s.data.push_back(line.substr(6));
      line.clear();
    } else {
      line += text[i];
    }
  }
  return s;
}

std::string reassemble_content(const Streamed& s) {
  std::string out;
  for (const auto& d : s.data) {
    if (d == "[DONE]") continue;
    const auto j = json::parse(d);
    if (j["choices"].empty()) continue;
    const auto& delta = j["choices"][0]["delta"];
    if (delta.contains("content") && delta["content"].is_string()) out += delta["content"].get<std::string>();
  }
  return out;
}

// tool call index -> {id, name, arguments}
std::vector<json> reassemble_tool_calls(const Streamed& s) {
  std::vector<json> calls;
  for (const auto& d : s.data) {
    if (d == "[DONE]") continue;
    const auto j = json::parse(d);
    if (j["choices"].empty()) continue;
    const auto& delta = j["choices"][0]["delta"];
    if (!delta.contains("tool_calls")) continue;
    for (const auto& tc : delta["tool_calls"]) {
      const auto i = tc["index"].get<std::size_t>();
      if (calls.size() <= i) calls.resize(i + 1, json{{"id", ""}, {"name", ""}, {"arguments", ""}});
      if (tc.contains("id")) calls[i]["id"] = tc["id"];
      if (tc.contains("function")) {
        const auto& f = tc["function"];
        if (f.contains("name")) calls[i]["name"] = f["name"];
        if (f.contains("arguments"))
          calls[i]["arguments"] = calls[i]["arguments"].get<std::string>() + f["arguments"].get<std::string>();
      }
    }
  }
  return calls;
}

}  // namespace

// Which hosts are loopback is util/loopback_test.cpp's; here only that the fake refuses others.
TEST_CASE("fake: flavor names and loopback hosts", "[fake]") {
  using autoswarm::testing::parse_flavor;
  CHECK(parse_flavor("openai") == Flavor::kOpenAI);
  CHECK(parse_flavor("lmstudio") == Flavor::kLmStudio);
  CHECK(parse_flavor("ollama") == Flavor::kOllama);
  CHECK(parse_flavor("vllm") == Flavor::kVllm);
  CHECK_THROWS_AS(parse_flavor("OpenAI"), std::invalid_argument);
  FakeUpstreamOptions o;
  o.host = "0.0.0.0";
  CHECK_THROWS_AS(FakeUpstream(o), std::invalid_argument);
}

TEST_CASE("fake: binds an ephemeral port, refuses a taken one, stops idempotently", "[fake]") {
  FakeUpstream fake;
  CHECK(fake.port() > 0);
  CHECK(fake.url() == "http://127.0.0.1:" + std::to_string(fake.port()));
  FakeUpstreamOptions o;
  o.port = fake.port();
  CHECK_THROWS_AS(FakeUpstream(o), std::runtime_error);

  // An idle keep-alive client must not hold stop() for the keep-alive timeout.
  httplib::Client cli("127.0.0.1", fake.port());
  cli.set_keep_alive(true);
  REQUIRE(cli.Get("/v1/models"));
  const auto start = std::chrono::steady_clock::now();
  fake.stop();
  fake.stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500));
  CHECK_FALSE(cli.Get("/v1/models"));
}

TEST_CASE("fake: openai listing, model resolution, unknown paths", "[fake]") {
  FakeUpstream fake(with_flavor(Flavor::kOpenAI, {{"m1", true}, {"m2", true}}));
  const auto models = get_json(fake, "/v1/models");
  CHECK(models == json::parse(R"({"object":"list","data":[
      {"id":"m1","object":"model","created":1700000000,"owned_by":"openai"},
      {"id":"m2","object":"model","created":1700000000,"owned_by":"openai"}]})"));

  auto r = chat(fake, {{"model", ""}, {"messages", {user("hi")}}});
  CHECK(r.status == 200);
  CHECK(r.parsed["model"] == "m1");
  r = chat(fake, {{"model", "m2"}, {"messages", {user("hi")}}});
  CHECK(r.parsed["model"] == "m2");
  r = chat(fake, {{"model", "nope"}, {"messages", {user("hi")}}});
  CHECK(r.status == 404);
  CHECK(r.parsed == json::parse(R"({"error":{"message":"model 'nope' not found","type":"invalid_request_error",
                                   "param":"model","code":"model_not_found"}})"));

  r = post(fake, "/v1/chat/completions", "{not json");
  CHECK(r.status == 400);
  CHECK(r.parsed["error"]["type"] == "invalid_request_error");

  auto cli = client_for(fake);
  auto res = cli.Get("/api/tags");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(json::parse(res->body).contains("error"));
}

TEST_CASE("fake: lmstudio listings and 'no models loaded'", "[fake]") {
  FakeUpstream fake(with_flavor(Flavor::kLmStudio, {{"qwen", true}, {"llama", false}}));
  CHECK(get_json(fake, "/v1/models") == json::parse(R"({"data":[
      {"id":"qwen","object":"model","owned_by":"organization_owner"},
      {"id":"llama","object":"model","owned_by":"organization_owner"}],"object":"list"})"));

  const auto v1 = get_json(fake, "/api/v1/models")["models"];
  REQUIRE(v1.size() == 2);
  CHECK(v1[0]["type"] == "llm");
  CHECK(v1[0]["key"] == "qwen");
  CHECK(v1[0]["display_name"] == "qwen");
  CHECK(v1[0]["loaded_instances"] == json::parse(R"([{"id":"qwen","config":{"context_length":4096}}])"));
  CHECK(v1[0]["max_context_length"] == 32768);
  CHECK(v1[0]["capabilities"]["trained_for_tool_use"] == true);
  CHECK(v1[1]["loaded_instances"] == json::array());

  CHECK(get_json(fake, "/api/v0/models") == json::parse(R"({"object":"list","data":[
      {"id":"qwen","type":"llm","state":"loaded","max_context_length":131072},
      {"id":"llama","type":"llm","state":"not-loaded","max_context_length":131072}]})"));

  CHECK(chat(fake, {{"model", ""}, {"messages", {user("hi")}}}).parsed["model"] == "qwen");

  fake.set_models({{"qwen", false}});
  auto r = chat(fake, {{"model", "qwen"}, {"messages", {user("hi")}}});
  CHECK(r.status == 404);
  CHECK(r.parsed == json::parse(R"({"error":{"message":"No models loaded. Please load a model in the developer page or use the 'lms load' command.",
                                   "type":"invalid_request_error","param":"model","code":null}})"));
  CHECK(get_json(fake, "/api/v0/models")["data"][0]["state"] == "not-loaded");
  // With nothing loaded the model name does not matter.
  CHECK(chat(fake, {{"model", "fake-model"}, {"messages", {user("hi")}}}).parsed["error"]["message"] ==
        r.parsed["error"]["message"]);
  fake.set_models({{"qwen", true}});
  CHECK(chat(fake, {{"model", "other"}, {"messages", {user("hi")}}}).parsed["error"]["code"] == "model_not_found");
}

TEST_CASE("fake: ollama endpoints, null data, not-found, fingerprint", "[fake]") {
  FakeUpstream fake(with_flavor(Flavor::kOllama, {{"llama3", true}, {"qwen", false}}));
  auto cli = client_for(fake);
  auto root = cli.Get("/");
  REQUIRE(root);
  CHECK(root->status == 200);
  CHECK(root->body == "Ollama is running");
  CHECK(root->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  CHECK(get_json(fake, "/api/version") == json{{"version", "0.12.6"}});

  const auto tags = get_json(fake, "/api/tags")["models"];
  REQUIRE(tags.size() == 2);
  CHECK(tags[0]["name"] == "llama3");
  CHECK(tags[0]["model"] == "llama3");
  CHECK(tags[0]["size"] == 3825819519LL);
  CHECK(tags[0]["details"]["format"] == "gguf");
  CHECK(tags[0]["details"]["quantization_level"] == "Q4_0");
  CHECK(tags[0]["digest"].get<std::string>().size() == 64);

  const auto ps = get_json(fake, "/api/ps")["models"];
  REQUIRE(ps.size() == 1);
  CHECK(ps[0]["name"] == "llama3");
  CHECK(ps[0].contains("expires_at"));
  CHECK(ps[0].contains("size_vram"));
  CHECK(ps[0].contains("context_length"));

  CHECK(get_json(fake, "/v1/models")["data"][1] ==
        json::parse(R"({"id":"qwen","object":"model","created":1700000000,"owned_by":"library"})"));

  auto r = chat(fake, {{"model", "mistral"}, {"messages", {user("hi")}}});
  CHECK(r.status == 404);
  CHECK(r.parsed == json::parse(R"({"error":{"message":"model \"mistral\" not found, try pulling it first",
                                   "type":"not_found_error","param":null,"code":null}})"));
  CHECK(chat(fake, {{"model", "llama3:latest"}, {"messages", {user("hi")}}}).status == 200);

  const auto s = stream_chat(fake, {{"model", "llama3"}, {"messages", {user("hi")}}});
  REQUIRE(s.data.size() > 2);
  CHECK(json::parse(s.data[0])["system_fingerprint"] == "fp_ollama");

  fake.set_models({});
  CHECK(get_json(fake, "/v1/models") == json::parse(R"({"object":"list","data":null})"));
  CHECK(get_json(fake, "/api/tags") == json::parse(R"({"models":[]})"));
}

TEST_CASE("fake: vllm endpoints and not-found", "[fake]") {
  FakeUpstream fake({.flavor = Flavor::kVllm, .models = {{"Qwen/Qwen3-8B", true}}});  // designated init stays warning-free
  auto cli = client_for(fake);
  auto health = cli.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body.empty());
  CHECK(get_json(fake, "/version") == json{{"version", "0.11.0"}});
  CHECK(get_json(fake, "/v1/models") == json::parse(R"({"object":"list","data":[
      {"id":"Qwen/Qwen3-8B","object":"model","created":1730000000,"owned_by":"vllm","root":"Qwen/Qwen3-8B",
       "parent":null,"max_model_len":8192}]})"));
  auto r = chat(fake, {{"model", "x"}, {"messages", {user("hi")}}});
  CHECK(r.status == 404);
  CHECK(r.parsed == json::parse(R"({"error":{"message":"The model `x` does not exist.","type":"NotFoundError",
                                   "param":null,"code":404}})"));
}

TEST_CASE("fake: embeddings and legacy completions", "[fake]") {
  FakeUpstream fake;
  auto r = post(fake, "/v1/embeddings", R"({"model":"fake-model","input":"hello"})");
  CHECK(r.status == 200);
  CHECK(r.parsed["object"] == "list");
  CHECK(r.parsed["data"] == json::parse(R"([{"object":"embedding","index":0,"embedding":[0.1,0.2,0.3]}])"));
  CHECK(r.parsed["model"] == "fake-model");
  CHECK(r.parsed["usage"].contains("prompt_tokens"));
  CHECK(post(fake, "/v1/embeddings", R"({"input":["a","b"]})").parsed["data"].size() == 2);

  r = post(fake, "/v1/completions", R"({"model":"fake-model","prompt":"once upon"})");
  CHECK(r.status == 200);
  CHECK(r.parsed["object"] == "text_completion");
  CHECK(r.parsed["choices"][0]["text"] == "echo: once upon");
  CHECK(r.parsed["choices"][0]["index"] == 0);
  CHECK(r.parsed["choices"][0]["finish_reason"] == "stop");
  CHECK(r.parsed["usage"].contains("total_tokens"));
}

TEST_CASE("fake: non-stream reply shape and default echo", "[fake]") {
  FakeUpstream fake;
  auto r = chat(fake, {{"messages", {{{"role", "system"}, {"content", "be brief"}}, user("hello there")}}});
  REQUIRE(r.status == 200);
  const auto& j = r.parsed;
  CHECK(j["id"].get<std::string>().rfind("chatcmpl-fake-", 0) == 0);
  CHECK(j["object"] == "chat.completion");
  CHECK(j["created"].is_number_integer());
  CHECK(j["model"] == "fake-model");
  CHECK(j["choices"][0]["index"] == 0);
  CHECK(j["choices"][0]["message"] == json{{"role", "assistant"}, {"content", "echo: hello there"}});
  CHECK(j["choices"][0]["finish_reason"] == "stop");
  const auto& u = j["usage"];
  CHECK(u["prompt_tokens"].get<int>() >= 1);
  CHECK(u["completion_tokens"].get<int>() >= 1);
  CHECK(u["total_tokens"] == u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());

  // Array content: the text parts are joined.
  json parts = json::array({{{"type", "text"}, {"text", "part one"}}, {{"type", "image_url"}, {"image_url", {{"url", "x"}}}}});
  r = chat(fake, {{"messages", {{{"role", "user"}, {"content", parts}}}}});
  CHECK(r.parsed["choices"][0]["message"]["content"] == "echo: part one");

  fake.set_script("default_reply: 'I am a fake'");
  CHECK(chat(fake, {{"messages", {user("x")}}}).parsed["choices"][0]["message"]["content"] == "I am a fake");
}

TEST_CASE("fake: script rules match role, content, system, model, stream and times", "[fake]") {
  FakeUpstream fake(with_flavor(Flavor::kOpenAI, {{"a", true}, {"b", true}}));
  fake.set_script(R"yaml(
rules:
  - match: {content: "^once"}
    times: 1
    reply: {content: "first time only"}
  - match: {role: tool}
    reply: {content: "saw a tool result"}
  - match: {system: "pirate"}
    reply: {content: "arr"}
  - match: {model: b}
    reply: {content: "model b"}
  - match: {stream: true, content: "streamy"}
    reply: {content: "streamed rule"}
  - match: {content: "weather in (Paris|Rome)"}
    reply: {content: "sunny"}
)yaml");
  auto text = [&](json body) { return chat(fake, std::move(body)).parsed["choices"][0]["message"]["content"]; };
  CHECK(text({{"model", "a"}, {"messages", {user("once more")}}}) == "first time only");
  CHECK(text({{"model", "a"}, {"messages", {user("once more")}}}) == "echo: once more");
  CHECK(text({{"model", "a"},
              {"messages",
               {user("run it"), {{"role", "assistant"}, {"content", nullptr}}, {{"role", "tool"}, {"content", "ok"}}}}}) ==
        "saw a tool result");
  CHECK(text({{"model", "a"}, {"messages", {{{"role", "system"}, {"content", "You are a pirate."}}, user("hi")}}}) == "arr");
  CHECK(text({{"model", "b"}, {"messages", {user("hi")}}}) == "model b");
  CHECK(text({{"model", "a"}, {"messages", {user("streamy")}}}) == "echo: streamy");
  CHECK(reassemble_content(stream_chat(fake, {{"model", "a"}, {"messages", {user("streamy")}}})) == "streamed rule");
  CHECK(text({{"model", "a"}, {"messages", {user("what is the weather in Rome?")}}}) == "sunny");
  CHECK(text({{"model", "a"}, {"messages", {user("what is the weather in Oslo?")}}}) == "echo: what is the weather in Oslo?");

  // A bad script is rejected with a clear message and leaves the previous script in place.
  CHECK_THROWS_WITH(fake.set_script("rules:\n  - match: {content: '('}\n"), Catch::Contains("rules[0].match.content"));
  CHECK_THROWS_WITH(fake.set_script("rules:\n  - reply: {contnet: x}\n"), Catch::Contains("unknown key 'contnet'"));
  CHECK_THROWS_WITH(fake.set_script("rules: [\n"), Catch::Contains("invalid YAML"));
  CHECK_THROWS_WITH(fake.set_script("rules:\n  - fault: {status: abc}\n"), Catch::Contains("rules[0].fault.status"));
  CHECK(text({{"model", "a"}, {"messages", {user("weather in Paris")}}}) == "sunny");

  autoswarm::testing::TempDir dir;
  std::ofstream(dir / "s.yaml") << "default_reply: from file\n";
  fake.load_script(dir / "s.yaml");
  CHECK(text({{"model", "a"}, {"messages", {user("weather in Paris")}}}) == "from file");
  CHECK_THROWS_AS(fake.load_script(dir / "missing.yaml"), std::runtime_error);
}

TEST_CASE("fake: tool calls, finish reason and usage overrides (non-stream)", "[fake]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - match: {content: "list"}
    reply:
      tool_calls:
        - name: run_shell
          arguments: {command: "ls -la", timeout: 5, quoted: "5", flag: true}
          id: call_custom
        - name: broken
          arguments: '{"command": "ls'
      usage: {prompt_tokens: 10, completion_tokens: 5, cached_tokens: 2}
  - match: {content: "both"}
    reply:
      content: "Let me check."
      tool_calls: [{name: read_file, arguments: {path: a.txt}}]
      finish_reason: length
)");
  auto r = chat(fake, {{"messages", {user("list files")}}});
  const auto& msg = r.parsed["choices"][0]["message"];
  CHECK(msg["content"].is_null());
  REQUIRE(msg["tool_calls"].size() == 2);
  CHECK(msg["tool_calls"][0]["id"] == "call_custom");
  CHECK(msg["tool_calls"][0]["type"] == "function");
  CHECK(msg["tool_calls"][0]["function"]["name"] == "run_shell");
  CHECK(json::parse(msg["tool_calls"][0]["function"]["arguments"].get<std::string>()) ==
        json::parse(R"({"command":"ls -la","timeout":5,"quoted":"5","flag":true})"));
  CHECK(msg["tool_calls"][1]["id"].get<std::string>().rfind("call_", 0) == 0);
  CHECK(msg["tool_calls"][1]["function"]["arguments"] == R"({"command": "ls)");
  CHECK(r.parsed["choices"][0]["finish_reason"] == "tool_calls");
  CHECK(r.parsed["usage"] == json::parse(R"({"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
                                            "prompt_tokens_details":{"cached_tokens":2}})"));

  r = chat(fake, {{"messages", {user("both")}}});
  CHECK(r.parsed["choices"][0]["message"]["content"] == "Let me check.");
  CHECK(r.parsed["choices"][0]["message"]["tool_calls"].size() == 1);
  CHECK(r.parsed["choices"][0]["finish_reason"] == "length");
}

TEST_CASE("fake: streamed content reassembles, with framing and the usage chunk", "[fake]") {
  FakeUpstream fake;
  const std::string long_text = "The quick brown fox jumps over the lazy dog — naïve café ✓";
  fake.set_script("rules:\n  - reply: {content: \"" + long_text + "\"}\n    stream: {chunk_size: 3}\n");
  auto s = stream_chat(fake, {{"messages", {user("hi")}}});
  REQUIRE(s.ok);
  CHECK(s.status == 200);
  REQUIRE(s.data.size() >= 4);
  CHECK(reassemble_content(s) == long_text);
  const auto first = json::parse(s.data[0]);
  CHECK(first["object"] == "chat.completion.chunk");
  CHECK(first["id"].get<std::string>().rfind("chatcmpl-fake-", 0) == 0);
  CHECK(first["choices"][0]["delta"] == json{{"role", "assistant"}, {"content", ""}});
  CHECK(first["choices"][0]["finish_reason"].is_null());
  CHECK(json::parse(s.data[1])["choices"][0]["delta"]["content"] == "The");
  const auto last_chunk = json::parse(s.data[s.data.size() - 2]);
  CHECK(last_chunk["choices"][0]["delta"] == json::object());
  CHECK(last_chunk["choices"][0]["finish_reason"] == "stop");
  CHECK(s.data.back() == "[DONE]");
  CHECK(s.raw.find("\r\n") == std::string::npos);
  CHECK(s.raw.find(": keep-alive") == std::string::npos);
  for (const auto& d : s.data) CHECK((d == "[DONE]" || !json::parse(d).contains("usage")));

  // include_usage adds a choices:[] chunk with usage before [DONE].
  s = stream_chat(fake, {{"messages", {user("hi")}}, {"stream_options", {{"include_usage", true}}}});
  REQUIRE(s.data.size() >= 3);
  const auto usage_chunk = json::parse(s.data[s.data.size() - 2]);
  CHECK(usage_chunk["choices"] == json::array());
  CHECK(usage_chunk["usage"]["total_tokens"].get<int>() > 0);

  // CRLF framing and keep-alive comments.
  fake.set_script("rules:\n  - stream: {crlf: true, comments: true}\n");
  s = stream_chat(fake, {{"messages", {user("framing")}}});
  REQUIRE(s.ok);
  CHECK(s.raw.rfind("data: ", 0) == 0);
  CHECK(s.raw.find("\r\n\r\n") != std::string::npos);
  CHECK(s.raw.find(": keep-alive\r\n\r\n") != std::string::npos);
  CHECK(reassemble_content(s) == "echo: framing");
  CHECK(s.data.back() == "[DONE]");
}

TEST_CASE("fake: streamed tool calls, fragmented and whole", "[fake]") {
  const char* script = R"(
rules:
  - match: {content: whole}
    reply:
      tool_calls:
        - {name: run_shell, arguments: {command: "ls -la /tmp"}, id: call_a}
        - {name: read_file, arguments: {path: "x.txt"}}
    stream: {tool_calls: whole}
  - reply:
      tool_calls:
        - {name: run_shell, arguments: {command: "ls -la /tmp"}, id: call_a}
        - {name: read_file, arguments: {path: "x.txt"}}
    stream: {chunk_size: 5}
)";
  FakeUpstream fake;
  fake.set_script(script);

  auto s = stream_chat(fake, {{"messages", {user("fragmented please")}}});
  REQUIRE(s.ok);
  auto calls = reassemble_tool_calls(s);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["id"] == "call_a");
  CHECK(calls[0]["name"] == "run_shell");
  CHECK(json::parse(calls[0]["arguments"].get<std::string>()) == json{{"command", "ls -la /tmp"}});
  CHECK(json::parse(calls[1]["arguments"].get<std::string>()) == json{{"path", "x.txt"}});
  // The first delta of a call names it with empty arguments; later ones carry only fragments.
  std::size_t fragments = 0;
  bool saw_header = false;
  for (const auto& d : s.data) {
    if (d == "[DONE]") continue;
    const auto delta = json::parse(d)["choices"][0]["delta"];
    if (!delta.contains("tool_calls")) continue;
    const auto tc = delta["tool_calls"][0];
    if (tc.contains("id")) {
      saw_header = true;
      CHECK(tc["type"] == "function");
      CHECK(tc["function"]["arguments"] == "");
    } else {
      ++fragments;
      CHECK_FALSE(tc["function"].contains("name"));
      CHECK(tc["function"]["arguments"].get<std::string>().size() <= 5);
    }
  }
  CHECK(saw_header);
  CHECK(fragments > 4);
  CHECK(json::parse(s.data[s.data.size() - 2])["choices"][0]["finish_reason"] == "tool_calls");

  s = stream_chat(fake, {{"messages", {user("whole please")}}});
  std::size_t tool_deltas = 0;
  for (const auto& d : s.data) {
    if (d == "[DONE]") continue;
    const auto delta = json::parse(d)["choices"][0]["delta"];
    if (!delta.contains("tool_calls")) continue;
    ++tool_deltas;
    const auto tc = delta["tool_calls"][0];
    CHECK(tc.contains("id"));
    CHECK(json::parse(tc["function"]["arguments"].get<std::string>()).is_object());
  }
  CHECK(tool_deltas == 2);

  // Ollama defaults to whole tool calls.
  FakeUpstream ollama(with_flavor(Flavor::kOllama));
  ollama.set_script(script);
  s = stream_chat(ollama, {{"messages", {user("no mode given")}}});
  tool_deltas = 0;
  for (const auto& d : s.data) {
    if (d != "[DONE]" && json::parse(d)["choices"][0]["delta"].contains("tool_calls")) ++tool_deltas;
  }
  CHECK(tool_deltas == 2);
}

TEST_CASE("fake: faults - status, body, malformed JSON", "[fake]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - match: {content: "^raw"}
    fault: {status: 503, body: 'upstream overloaded'}
  - match: {content: "^default"}
    fault: {status: 500}
  - match: {content: "^malformed"}
    fault: {malformed_json: true}
)");
  auto r = chat(fake, {{"messages", {user("raw")}}});
  CHECK(r.status == 503);
  CHECK(r.body == "upstream overloaded");
  r = chat(fake, {{"messages", {user("default")}}});
  CHECK(r.status == 500);
  CHECK(r.parsed["error"]["message"] == "fake failure");
  CHECK(r.parsed["error"]["type"] == "server_error");
  auto s = stream_chat(fake, {{"messages", {user("default")}}});
  CHECK(s.status == 500);

  r = chat(fake, {{"messages", {user("malformed")}}});
  CHECK(r.status == 200);
  CHECK(r.parsed.is_null());  // did not parse
  s = stream_chat(fake, {{"messages", {user("malformed")}}});
  REQUIRE(s.ok);
  CHECK(std::find(s.data.begin(), s.data.end(), "{not json") != s.data.end());
  CHECK(s.data.back() == "[DONE]");
}

TEST_CASE("fake: faults - a cut stream is a client-visible failure", "[fake]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - reply: {content: "a long enough reply to need many chunks"}
    fault: {cut_after_events: 3}
)");
  const auto s = stream_chat(fake, {{"messages", {user("hi")}}});
  CHECK_FALSE(s.ok);  // httplib reports an incomplete chunked body as an error ...
  CHECK(s.error == httplib::Error::Read);
  CHECK(s.status == 200);    // ... after the 200 headers ...
  CHECK(s.data.size() == 3);  // ... and exactly the events before the cut.
  CHECK(std::find(s.data.begin(), s.data.end(), "[DONE]") == s.data.end());
  CHECK(s.raw.find("0\r\n\r\n") == std::string::npos);

  // Without the content receiver, httplib returns no response at all.
  auto cli = client_for(fake);
  auto res = cli.Post("/v1/chat/completions", R"({"model":"fake-model","stream":true,"messages":[{"role":"user","content":"x"}]})",
                      "application/json");
  CHECK_FALSE(res);
  CHECK(res.error() == httplib::Error::Read);
}

TEST_CASE("fake: faults - mid-stream error event", "[fake]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - reply: {content: "a long enough reply to need many chunks"}
    fault: {error_event_after: 2}
)");
  const auto s = stream_chat(fake, {{"messages", {user("hi")}}});
  REQUIRE(s.ok);
  REQUIRE(s.data.size() == 4);
  CHECK(json::parse(s.data[2]) ==
        json::parse(R"({"error":{"message":"fake mid-stream failure","type":"InternalServerError","code":500}})"));
  CHECK(s.data[3] == "[DONE]");
}

TEST_CASE("fake: faults - delays are honoured", "[fake]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - match: {content: "^slow start"}
    fault: {first_byte_delay_ms: 200}
  - match: {content: "^slow chunks"}
    reply: {content: "abcdefgh"}
    stream: {chunk_size: 1}
    fault: {chunk_delay_ms: 15}
)");
  auto start = std::chrono::steady_clock::now();
  CHECK(chat(fake, {{"messages", {user("slow start")}}}).status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200));
  auto s = stream_chat(fake, {{"messages", {user("slow start")}}});
  CHECK(s.first_byte >= std::chrono::milliseconds(200));

  s = stream_chat(fake, {{"messages", {user("slow chunks")}}});
  REQUIRE(s.ok);
  CHECK(reassemble_content(s) == "abcdefgh");
  // 1 role + 8 content + finish + [DONE] = 11 events, 10 delays.
  CHECK(s.total >= std::chrono::milliseconds(150));

  FakeUpstreamOptions o;
  o.latency_ms = 100;
  FakeUpstream slow(o);
  start = std::chrono::steady_clock::now();
  CHECK(chat(slow, {{"messages", {user("hi")}}}).status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(100));
}

TEST_CASE("fake: requests are recorded in memory and to a file", "[fake]") {
  autoswarm::testing::TempDir dir;
  FakeUpstreamOptions o;
  o.record_file = dir / "requests.jsonl";
  FakeUpstream fake(o);
  chat(fake, {{"messages", {user("hi")}}}, {{"Authorization", "Bearer secret"}, {"X-Custom", "42"}});
  post(fake, "/v1/embeddings", "not json at all");
  get_json(fake, "/v1/models");

  const auto reqs = fake.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0]["method"] == "POST");
  CHECK(reqs[0]["path"] == "/v1/chat/completions");
  CHECK(reqs[0]["headers"]["Authorization"] == "Bearer secret");
  CHECK(reqs[0]["headers"]["X-Custom"] == "42");
  CHECK(reqs[0]["headers"]["Content-Type"] == "application/json");
  CHECK_FALSE(reqs[0]["headers"].contains("REMOTE_ADDR"));
  CHECK(reqs[0]["body"]["messages"][0]["content"] == "hi");
  CHECK(reqs[1]["body"] == "not json at all");
  CHECK(reqs[2]["method"] == "GET");
  CHECK(reqs[2]["body"] == "");

  std::ifstream in(dir / "requests.jsonl");
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  CHECK(lines == reqs);

  fake.clear_requests();
  CHECK(fake.requests().empty());
}

TEST_CASE("fake: api key guards /v1", "[fake]") {
  FakeUpstreamOptions o = with_flavor(Flavor::kOllama);
  o.api_key = "sk-test";
  FakeUpstream fake(o);
  auto r = chat(fake, {{"messages", {user("hi")}}});
  CHECK(r.status == 401);
  CHECK(r.parsed["error"]["code"] == "invalid_api_key");
  CHECK(chat(fake, {{"messages", {user("hi")}}}, {{"Authorization", "Bearer wrong"}}).status == 401);
  CHECK(chat(fake, {{"messages", {user("hi")}}}, {{"Authorization", "Bearer sk-test"}}).status == 200);
  get_json(fake, "/v1/models", 401);
  get_json(fake, "/api/tags", 200);  // native endpoints are not guarded
  CHECK(fake.requests().size() == 5);
}

TEST_CASE("fake: native_apis serves /v1/responses and /v1/messages, off by default", "[fake]") {
  const json responses = {{"model", "fake-model"}, {"input", "hi"}};
  const json messages = {{"model", "fake-model"}, {"max_tokens", 16}, {"messages", {user("hi")}}};
  {
    FakeUpstream fake(with_flavor(Flavor::kVllm));
    auto cli = client_for(fake);
    CHECK(cli.Post("/v1/responses", responses.dump(), "application/json")->status == 404);
    CHECK(cli.Post("/v1/messages", messages.dump(), "application/json")->status == 404);
  }
  FakeUpstreamOptions o = with_flavor(Flavor::kVllm);
  o.native_apis = true;
  FakeUpstream fake(o);
  fake.set_script(R"(rules: [{match: {content: "^hi$"}, reply: {content: "hello"}}])");
  auto cli = client_for(fake);
  auto r = cli.Post("/v1/responses", responses.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  const json response = json::parse(r->body);
  CHECK(response["object"] == "response");
  CHECK(response["output"][0]["content"][0]["text"] == "hello");
  r = cli.Post("/v1/messages", messages.dump(), "application/json");
  REQUIRE(r);
  CHECK(json::parse(r->body)["content"][0]["text"] == "hello");
  json streamed = messages;
  streamed["stream"] = true;
  r = cli.Post("/v1/messages", streamed.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->get_header_value("Content-Type") == "text/event-stream");
  CHECK(r->body.rfind("event: message_start\n", 0) == 0);
  CHECK(r->body.find("event: message_stop\n") != std::string::npos);
  // A request the translation refuses is a 400 in the protocol's format; a model it does not
  // serve is the flavor's 404.
  json bad = messages;
  bad["messages"][0]["role"] = "system";
  r = cli.Post("/v1/messages", bad.dump(), "application/json");
  CHECK(r->status == 400);
  CHECK(json::parse(r->body)["type"] == "error");
  json unknown = responses;
  unknown["model"] = "nope";
  r = cli.Post("/v1/responses", unknown.dump(), "application/json");
  CHECK(r->status == 404);
  CHECK(json::parse(r->body)["error"]["type"] == "NotFoundError");
  CHECK(fake.requests().size() == 5);
  CHECK(fake.requests()[1]["path"] == "/v1/messages");
}

TEST_CASE("fake: serves 64 concurrent streaming clients at once", "[fake]") {
  FakeUpstream fake;
  fake.set_script(R"(
rules:
  - reply: {content: "abcdefgh"}
    stream: {chunk_size: 2}
    fault: {chunk_delay_ms: 40}
)");
  constexpr int kClients = 64;
  std::atomic<int> complete{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&] {
      const auto s = stream_chat(fake, {{"messages", {user("hi")}}});
      if (s.ok && reassemble_content(s) == "abcdefgh") ++complete;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(complete == kClients);
  // Each stream takes ~6 * 40 ms; served one at a time they would take over 15 s.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
