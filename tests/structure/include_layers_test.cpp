// Tests for the layering check (structure/include_layers.h) on made-up source trees.
#include "structure/include_layers.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "support/temp_dir.h"

using autoswarm::structure::check_includes;
using autoswarm::structure::IncludeViolation;
using autoswarm::structure::LayerTable;
using autoswarm::testing::TempDir;

namespace {

const char* const kTable = R"(# a small tree
util:
version:
llm: util version
proxy: llm util
reflect: llm util
bench: util
bench/spec: bench util
bench/loop: bench/spec bench util
cli: proxy reflect bench/loop llm util
)";

void put(const TempDir& root, const std::string& path, const std::string& text) {
  std::filesystem::create_directories((root / path).parent_path());
  std::ofstream(root / path) << text;
}

std::vector<std::string> messages_of(const std::vector<IncludeViolation>& violations) {
  std::vector<std::string> out;
  for (const auto& v : violations) out.push_back(v.message());
  return out;
}

}  // namespace

TEST_CASE("layers: a file belongs to the longest module that contains it", "[structure]") {
  const LayerTable table = LayerTable::parse(kTable);
  CHECK(table.module_of("bench/loop/results_log.cpp") == "bench/loop");
  CHECK(table.module_of("bench/job_dir.cpp") == "bench");
  CHECK(table.module_of("bench/agent/agent.cpp") == "bench");
  CHECK(table.module_of("version.h") == "version");
  CHECK_FALSE(table.module_of("skills/skill_book.cpp"));
  CHECK(table.allows("cli", "proxy"));
  CHECK(table.allows("proxy", "proxy"));
  CHECK_FALSE(table.allows("proxy", "reflect"));
  CHECK_FALSE(table.allows("llm", "proxy"));
}

TEST_CASE("layers: a tree that follows the table has no violations", "[structure]") {
  TempDir root;
  put(root, "include/autoswarm/util/files.h", "#pragma once\n#include <string>\n");
  put(root, "include/autoswarm/llm/client.h", "#pragma once\n#include \"autoswarm/util/files.h\"\n");
  put(root, "src/llm/client.cpp", "#include \"autoswarm/llm/client.h\"\n#include \"autoswarm/version.h\"\n");
  put(root, "src/proxy/proxy_state.h", "#include \"autoswarm/llm/client.h\"\n");
  put(root, "src/proxy/proxy_server.cpp", "#include \"proxy_state.h\"\n  #  include \"autoswarm/util/files.h\"\n");
  put(root, "src/bench/loop/chart.cpp", "#include \"../name_table.h\"\n#include \"autoswarm/bench/spec/task.h\"\n");
  put(root, "src/cli/main.cpp", "#include \"autoswarm/proxy/proxy_server.h\"\n#include \"command.h\"\n");
  CHECK(messages_of(check_includes(root.path(), LayerTable::parse(kTable))).empty());
}

TEST_CASE("layers: including a higher layer or a sibling feature names the file, line and include", "[structure]") {
  TempDir root;
  put(root, "src/llm/client.cpp", "#include <string>\n#include \"autoswarm/proxy/proxy_server.h\"\n");
  put(root, "src/proxy/relay.cpp", "// the proxy\n#include \"autoswarm/llm/client.h\"\n#include \"autoswarm/reflect/lesson.h\"\n");
  put(root, "include/autoswarm/bench/spec/task.h", "#include \"autoswarm/bench/loop/chart.h\"\n");
  put(root, "src/bench/loop/chart.cpp", "#include \"../../proxy/relay.h\"\n");
  CHECK(messages_of(check_includes(root.path(), LayerTable::parse(kTable))) ==
        std::vector<std::string>{
            "include/autoswarm/bench/spec/task.h:1: #include \"autoswarm/bench/loop/chart.h\": bench/spec may not include bench/loop",
            "src/bench/loop/chart.cpp:1: #include \"../../proxy/relay.h\": bench/loop may not include proxy",
            "src/llm/client.cpp:2: #include \"autoswarm/proxy/proxy_server.h\": llm may not include proxy",
            "src/proxy/relay.cpp:3: #include \"autoswarm/reflect/lesson.h\": proxy may not include reflect",
        });
}

TEST_CASE("layers: a module missing from the table is a violation, not a pass", "[structure]") {
  TempDir root;
  put(root, "src/skills/skill_book.cpp", "#include \"autoswarm/util/files.h\"\n");
  put(root, "src/proxy/relay.cpp", "#include \"autoswarm/skills/skill_book.h\"\n#include \"../../../outside.h\"\n");
  CHECK(messages_of(check_includes(root.path(), LayerTable::parse(kTable))) ==
        std::vector<std::string>{
            "src/proxy/relay.cpp:1: #include \"autoswarm/skills/skill_book.h\": it is in no module of the layers table",
            "src/proxy/relay.cpp:2: #include \"../../../outside.h\": it is in no module of the layers table",
            "src/skills/skill_book.cpp: the file is in no module of the layers table",
        });
}

TEST_CASE("layers: a malformed table is refused with its line", "[structure]") {
  CHECK_THROWS_WITH(LayerTable::parse("util:\nllm util\n"), Catch::Contains("line 2"));
  CHECK_THROWS_WITH(LayerTable::parse("util:\nutil: llm\n"), Catch::Contains("util is listed twice"));
  CHECK_THROWS_WITH(LayerTable::parse("llm: util\n"), Catch::Contains("util has no line of its own"));
}
