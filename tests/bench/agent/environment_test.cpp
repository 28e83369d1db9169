// Branch copies of an environment (parallel stages): an environment that cannot be copied says so;
// the fake environment's branches change independently and the parent continues as one of them.
#include "autoswarm/bench/agent/environment.h"

#include <catch2/catch.hpp>

#include "autoswarm/util/error.h"
#include "support/fake_environment.h"

using namespace autoswarm;
using autoswarm::testing::FakeEnvironment;

namespace {

class PlainEnvironment : public bench::Environment {
 public:
  bench::ExecResult exec(const std::vector<std::string>&, std::chrono::milliseconds,
                         const std::string&, const std::map<std::string, std::string>&) override {
    return {};
  }
  void write_file(const std::string&, const std::string&) override {}
  std::string read_file(const std::string&, size_t) override { return ""; }
  void copy_in(const std::filesystem::path&, const std::string&) override {}
  std::vector<std::string> copy_out(const std::string&, const std::filesystem::path&) override {
    return {};
  }
  void set_user(std::string) override {}
  std::string describe() const override { return "plain"; }
};

}  // namespace

TEST_CASE("an environment without copies refuses to branch", "[bench][environment]") {
  PlainEnvironment env;
  CHECK_THROWS_WITH(env.branch("a"), Catch::Contains("plain cannot be copied"));
  CHECK_THROWS_AS(env.continue_as(nullptr), Error);
}

TEST_CASE("fake branches change independently and the parent continues as the chosen one",
          "[bench][environment]") {
  FakeEnvironment env;
  env.set_file("/app/a.txt", "start");
  {
    auto a = env.branch("a");
    auto b = env.branch("b");
    CHECK(env.live_branches() == 2);
    a->write_file("/app/a.txt", "from a");
    b->write_file("/app/b.txt", "from b");
    CHECK(env.file("/app/a.txt") == "start");
    CHECK(b->read_file("/app/a.txt") == "start");
    env.continue_as(std::move(a));
    CHECK(env.live_branches() == 1);
  }
  CHECK(env.live_branches() == 0);
  CHECK(env.file("/app/a.txt") == "from a");
  CHECK_FALSE(env.has_file("/app/b.txt"));
}
