// `autoswarm reflect`: turn new conversations into skills and prune the wrong ones. Made for
// cron: no prompts, one summary line on stdout, logs on stderr, a lock against overlapping runs.
#include <spdlog/spdlog.h>

#include <iostream>

#include "autoswarm/llm/client.h"
#include "autoswarm/reflect/reflect_run.h"
#include "autoswarm/upstream/local_servers.h"
#include "autoswarm/util/data_dir.h"
#include "autoswarm/util/text.h"
#include "command.h"
#include "upstream_flags.h"

namespace autoswarm::cli {
namespace {

struct ReflectFlags {
  UpstreamFlags upstream;
  size_t limit = 0;
  bool dry_run = false;
  size_t max_chars = reflect::kDefaultTranscriptChars;
  double similarity = reflect::kDefaultSimilarityThreshold;
  bool no_prune = false;
  size_t prune_sample = 8;
  int timeout_s = 300;
};

int run_reflect(const ReflectFlags& f, const GlobalOptions& global) {
  const util::DataDir data = util::DataDir::resolve(global.home);
  reflect::ReflectOptions o;
  o.data_dir = data.root();
  o.limit = f.limit;
  o.dry_run = f.dry_run;
  o.transcript_chars = f.max_chars;
  o.similarity_threshold = f.similarity;
  o.prune = !f.no_prune;
  o.prune_sample = f.prune_sample;

  // Malformed URLs are usage errors now, before any work, not at the first LLM call.
  const upstream::UpstreamOptions upstream_options = f.upstream.options();
  if (upstream_options.upstream_url) llm::BaseUrl::parse(*upstream_options.upstream_url);
  o.llm_read_timeout = std::chrono::seconds(f.timeout_s);
  reflect::ConnectFn connect = [&]() -> std::optional<llm::Endpoint> {
    std::vector<upstream::ServerStatus> findings;
    auto selection = upstream::choose_upstream(upstream_options, &findings);
    if (!selection) {
      print_no_upstream(findings, " to reflect with",
                        "Start one of them (or pass --upstream URL); the conversations stay unreviewed "
                        "until then. `autoswarm doctor` shows the details.");
      return std::nullopt;
    }
    spdlog::info("asking {} at {}, model {}", llm::display_name(selection->kind), selection->url.str(),
                 selection->model);
    return selection;
  };

  const reflect::ReflectResult r = reflect::run_reflect(o, connect);
  if (r.locked_out) {
    spdlog::info("another `autoswarm reflect` is running on {} (it holds {}); leaving the work to it",
                 data.root().string(), data.reflect_lock_file().string());
    return 0;
  }
  if (f.dry_run) {
    for (const auto& a : r.additions) {
      std::cout << "would add: " << util::one_line(a.text) << "  (from " << a.conversation_id << ")\n";
    }
    for (const auto& p : r.removals) {
      std::cout << "would prune: " << p.skill_id << " " << util::one_line(p.text) << "  (" << util::one_line(p.reason) << ")\n";
    }
  }
  std::cout << r.summary_line() << "\n" << std::flush;
  if (r.model_ignores_json) {
    std::cerr << "error: the model kept answering with something that is not the JSON asked for; the "
                 "conversations stay unreviewed for the next run (try a larger model, with --model)\n";
  } else if (r.exit_code() != 0 && !r.no_upstream) {
    std::cerr << "error: every call to the upstream failed; the conversations stay unreviewed for the next run\n";
  }
  return r.exit_code();
}

}  // namespace

Runner configure_reflect(CLI::App& app) {
  auto f = std::make_shared<ReflectFlags>();
  f->upstream.add_to(app);
  app.add_option("--limit", f->limit, "Review at most N conversations in this run (default: all)");
  app.add_flag("--dry-run", f->dry_run, "Print what would be added and pruned; write nothing");
  app.add_option("--max-chars", f->max_chars,
                 "Cut each conversation to this many characters for the model (start and end kept)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{500}, size_t{1000000}));
  app.add_option("--similarity", f->similarity,
                 "A lesson this similar (0-1) to an existing skill counts as a duplicate")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--no-prune", f->no_prune, "Skip the prune pass");
  app.add_option("--prune-sample", f->prune_sample, "Recent conversations the prune judge sees")
      ->capture_default_str();
  app.add_option("--timeout", f->timeout_s, "Seconds to wait for the upstream between two reads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  return [f](const GlobalOptions& global) { return run_reflect(*f, global); };
}

}  // namespace autoswarm::cli
