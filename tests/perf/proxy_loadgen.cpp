// proxy_loadgen: a small closed-loop load generator for OpenAI-compatible chat completions,
// used by tests/perf/proxy_bench.sh (see docs/performance.md). Not a test.
//
// C client threads, each with its own keep-alive httplib::Client, take requests from a shared
// budget of N (or until --max-seconds) and send them back to back. Prints one JSON object:
//
//   {"url": ..., "clients": C,
//    "chat":   {"ok", "errors", "elapsed_s", "rps", "latency_ms": {p50, p90, p99, mean, max}},
//    "stream": {... the same, plus "ttfb_ms": {p50, p90, p99, mean, max}}}
//
// Latency is from just before the request is written to the end of the response body. For
// streams, time to first byte is until the first body bytes holding an SSE "data:" field
// arrive in the content receiver (so a status line sent early does not count). A request
// counts as an error on a transport failure, a non-2xx status, or a stream without its end
// ("data: [DONE]"; with --protocol messages "event: message_stop", responses
// "event: response.completed"). --protocol also sets the path and sends the default body in
// that API's shape (the same conversation). Client sockets use TCP_NODELAY (as urllib3, httpx and Node do) unless
// --no-nodelay. Only loopback URLs are accepted.
//
//   proxy_loadgen --url http://127.0.0.1:8080 --clients 64 --requests 20000 --mode chat
//                 [--warmup 5] [--max-seconds 10] [--body-file body.json] [-H "Name: value"]
//                 [--protocol chat|messages|responses]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  std::string path = "/v1/chat/completions";
  std::string mode = "both";  // chat | stream | both
  int clients = 1;
  int requests = 1000;
  double max_seconds = 30;
  int warmup = 20;  // per client, before the clock starts
  std::string model = "fake-model";
  std::string body_file;
  bool nodelay = true;
  std::vector<std::string> headers;  // extra "Name: value" headers
  std::string protocol = "chat";     // chat | messages | responses
  std::string stream_end = "data: [DONE]";
};

struct Sample {
  double latency_ms = 0;
  double ttfb_ms = -1;
};

struct ThreadResult {
  std::vector<Sample> samples;
  long errors = 0;
  std::string first_error;
};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

json summary(std::vector<double> v) {
  if (v.empty()) return json{{"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"mean", nullptr}, {"max", nullptr}};
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) {
    // Nearest rank: the smallest value with at least p% of the samples at or below it.
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
  };
  double sum = 0;
  for (double x : v) sum += x;
  auto r = [](double x) { return std::round(x * 1000.0) / 1000.0; };  // microsecond resolution
  return json{{"p50", r(pct(50))}, {"p90", r(pct(90))}, {"p99", r(pct(99))},
              {"mean", r(sum / static_cast<double>(v.size()))}, {"max", r(v.back())}};
}

// The default request: a short system prompt and a few turns, about 1 KB, like an agent's
// early request. The last user message decides what the fake echoes.
json default_body(const std::string& model) {
  return json{{"model", model},
              {"temperature", 0.2},
              {"max_tokens", 256},
              {"messages",
               json::array({
                   {{"role", "system"}, {"content", "You are a careful coding assistant. Answer briefly, show commands "
                                                    "before explanations, and never invent file names."}},
                   {{"role", "user"}, {"content", "List the files in the current directory, newest first."}},
                   {{"role", "assistant"}, {"content", "Run `ls -lt`. It sorts by modification time, newest first; "
                                                       "add `-r` to reverse the order or `-a` to include dot files."}},
                   {{"role", "user"}, {"content", "And how do I show only the five newest, with human-readable sizes "
                                                  "in the shell one-liner?"}},
               })}};
}

// The default conversation in another API's shape: the system message as Anthropic's
// `system` or the Responses API's `instructions`, the turns as their messages or input items.
json body_for_protocol(const json& chat, const std::string& protocol) {
  const json& messages = chat["messages"];
  json turns = json::array();
  for (size_t i = 1; i < messages.size(); ++i) turns.push_back(messages[i]);
  if (protocol == "messages") {
    return {{"model", chat["model"]}, {"max_tokens", chat["max_tokens"]}, {"temperature", chat["temperature"]},
            {"system", messages[0]["content"]}, {"messages", turns}};
  }
  return {{"model", chat["model"]}, {"max_output_tokens", chat["max_tokens"]}, {"temperature", chat["temperature"]},
          {"instructions", messages[0]["content"]}, {"input", turns}, {"store", false}};
}

class Runner {
 public:
  Runner(const Options& o, std::string chat_body, std::string stream_body)
      : o_(o), chat_body_(std::move(chat_body)), stream_body_(std::move(stream_body)) {
    chat_headers_ = {{"Accept", "application/json"}};
    stream_headers_ = {{"Accept", "text/event-stream"}, {"Content-Type", "application/json"}};
    for (const auto& h : o_.headers) {
      auto colon = h.find(':');
      std::string name = h.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : h.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      chat_headers_.emplace(name, value);
      stream_headers_.emplace(name, value);
    }
  }

  // One phase: `stream` selects the body and the way the reply is read.
  json run_phase(bool stream) {
    std::atomic<long> tickets{o_.requests};
    std::vector<ThreadResult> results(static_cast<size_t>(o_.clients));
    Clock::time_point start, deadline;
    std::barrier ready(o_.clients, [&]() noexcept {
      start = Clock::now();
      deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.max_seconds));
    });
    std::vector<std::thread> threads;
    threads.reserve(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] {
        httplib::Client cli(o_.url);
        cli.set_keep_alive(true);
        cli.set_tcp_nodelay(o_.nodelay);
        cli.set_connection_timeout(5, 0);
        cli.set_read_timeout(30, 0);
        cli.set_write_timeout(30, 0);
        ThreadResult scratch;
        for (int w = 0; w < o_.warmup; ++w) one(cli, stream, scratch);
        ready.arrive_and_wait();
        ThreadResult& mine = results[i];
        mine.samples.reserve(static_cast<size_t>(o_.requests / o_.clients + 1));
        while (tickets.fetch_sub(1) > 0 && Clock::now() < deadline) one(cli, stream, mine);
      });
    }
    for (auto& t : threads) t.join();
    Clock::time_point end = Clock::now();

    std::vector<double> lat, ttfb;
    long errors = 0;
    std::string first_error;
    for (auto& r : results) {
      for (const auto& s : r.samples) {
        lat.push_back(s.latency_ms);
        if (s.ttfb_ms >= 0) ttfb.push_back(s.ttfb_ms);
      }
      errors += r.errors;
      if (first_error.empty()) first_error = r.first_error;
    }
    double elapsed = std::chrono::duration<double>(end - start).count();
    json out = {{"ok", lat.size()},
                {"errors", errors},
                {"elapsed_s", std::round(elapsed * 1000.0) / 1000.0},
                {"rps", elapsed > 0 ? std::round(static_cast<double>(lat.size()) / elapsed * 10.0) / 10.0 : 0.0},
                {"latency_ms", summary(lat)}};
    if (stream) out["ttfb_ms"] = summary(ttfb);
    if (!first_error.empty()) out["first_error"] = first_error;
    return out;
  }

 private:
  static void fail(ThreadResult& r, const std::string& why) {
    ++r.errors;
    if (r.first_error.empty()) r.first_error = why;
  }

  void one(httplib::Client& cli, bool stream, ThreadResult& r) {
    if (!stream) {
      auto t0 = Clock::now();
      auto res = cli.Post(o_.path, chat_headers_, chat_body_, "application/json");
      auto t1 = Clock::now();
      if (!res) return fail(r, "transport: " + httplib::to_string(res.error()));
      if (res->status < 200 || res->status >= 300) {
        return fail(r, "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200));
      }
      r.samples.push_back({ms_between(t0, t1), -1});
      return;
    }

    httplib::Request req;
    req.method = "POST";
    req.path = o_.path;
    req.headers = stream_headers_;
    req.body = stream_body_;
    int status = 0;
    std::string body;
    Clock::time_point first{};
    bool seen_data = false;
    req.response_handler = [&](const httplib::Response& res) {
      status = res.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      body.append(data, n);
      if (!seen_data && body.find("data:") != std::string::npos) {
        first = Clock::now();
        seen_data = true;
      }
      return true;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    auto t0 = Clock::now();
    bool ok = cli.send(req, res, error);
    auto t1 = Clock::now();
    if (!ok) return fail(r, "transport: " + httplib::to_string(error));
    if (status < 200 || status >= 300) return fail(r, "HTTP " + std::to_string(status) + ": " + body.substr(0, 200));
    if (body.find(o_.stream_end) == std::string::npos) return fail(r, "stream without " + o_.stream_end);
    r.samples.push_back({ms_between(t0, t1), ms_between(t0, first)});
  }

  const Options& o_;
  std::string chat_body_, stream_body_;
  httplib::Headers chat_headers_, stream_headers_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"proxy_loadgen: closed-loop load for OpenAI-compatible chat completions; prints JSON"};
  app.add_option("--url", o.url, "Base URL, e.g. http://127.0.0.1:8080 (no /v1)")->required();
  app.add_option("--path", o.path, "Request path")->capture_default_str();
  app.add_option("--mode", o.mode, "chat, stream or both")
      ->check(CLI::IsMember({"chat", "stream", "both"}))
      ->capture_default_str();
  app.add_option("--clients,-c", o.clients, "Concurrent clients (one thread and connection each)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--requests,-n", o.requests, "Requests per phase (shared by all clients)")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--max-seconds", o.max_seconds, "Stop a phase after this long even if requests remain")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Unmeasured requests per client before each phase")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--model", o.model, "Model name in the default body")->capture_default_str();
  app.add_option("--body-file", o.body_file, "JSON request body to send instead of the default (\"stream\" is set per phase)")
      ->check(CLI::ExistingFile);
  app.add_option("--header,-H", o.headers, "Extra request header \"Name: value\" (repeatable)");
  app.add_flag("!--no-nodelay", o.nodelay, "Leave Nagle's algorithm on for the client sockets");
  auto* protocol = app.add_option("--protocol", o.protocol, "The API spoken: chat, messages or responses")
                       ->check(CLI::IsMember({"chat", "messages", "responses"}))
                       ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (o.protocol == "messages") o.stream_end = "event: message_stop";
  if (o.protocol == "responses") o.stream_end = "event: response.completed";
  if (protocol->count() > 0 && app.get_option("--path")->count() == 0 && o.protocol != "chat") {
    o.path = "/v1/" + o.protocol;
  }

  if (o.url.rfind("http://127.", 0) != 0 && o.url.rfind("http://localhost", 0) != 0 &&
      o.url.rfind("http://[::1]", 0) != 0) {
    std::cerr << "proxy_loadgen: only loopback URLs (http://127.x.x.x, localhost, [::1])\n";
    return 2;
  }

  json body;
  if (o.body_file.empty()) {
    body = default_body(o.model);
    if (o.protocol != "chat") body = body_for_protocol(body, o.protocol);
  } else {
    std::ifstream in(o.body_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    body = json::parse(text.str(), nullptr, false);
    if (!body.is_object()) {
      std::cerr << "proxy_loadgen: " << o.body_file << " is not a JSON object\n";
      return 2;
    }
  }
  body["stream"] = false;
  std::string chat_body = body.dump();
  body["stream"] = true;
  std::string stream_body = body.dump();

  Runner runner(o, chat_body, stream_body);
  json out = {{"url", o.url}, {"clients", o.clients}, {"requests", o.requests}, {"warmup_per_client", o.warmup}};
  if (o.mode == "chat" || o.mode == "both") out["chat"] = runner.run_phase(false);
  if (o.mode == "stream" || o.mode == "both") out["stream"] = runner.run_phase(true);
  std::cout << out.dump() << std::endl;
  return 0;
}
