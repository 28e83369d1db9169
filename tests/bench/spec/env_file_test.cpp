// --env-file parsing: dotenv-style KEY=VALUE lines, and errors that name the file and line.
#include "autoswarm/bench/spec/env_file.h"

#include <catch2/catch.hpp>

#include "autoswarm/util/error.h"
#include "autoswarm/util/files.h"
#include "support/temp_dir.h"

using autoswarm::bench::load_env_file;

TEST_CASE("an env file gives KEY=VALUE pairs, quotes and export allowed", "[env_file]") {
  autoswarm::testing::TempDir dir;
  autoswarm::util::write_file_atomic(dir / ".env",
                                     "# secrets for the verifier\n"
                                     "\n"
                                     "API_TOKEN=abc=def\n"
                                     "export REGION = eu-west-1 \n"
                                     "GREETING=\"hello world\"\n"
                                     "RAW='${NOT_EXPANDED}'\n"
                                     "EMPTY=\n");
  auto env = load_env_file(dir / ".env");
  CHECK(env.size() == 5);
  CHECK(env["API_TOKEN"] == "abc=def");
  CHECK(env["REGION"] == "eu-west-1");
  CHECK(env["GREETING"] == "hello world");
  CHECK(env["RAW"] == "${NOT_EXPANDED}");
  CHECK(env["EMPTY"].empty());
}

TEST_CASE("a bad env file line is named with its number", "[env_file]") {
  autoswarm::testing::TempDir dir;
  autoswarm::util::write_file_atomic(dir / ".env", "A=1\njust words\n");
  CHECK_THROWS_WITH(load_env_file(dir / ".env"),
                    Catch::Contains(".env:2:") && Catch::Contains("KEY=VALUE"));
  autoswarm::util::write_file_atomic(dir / ".env", "1BAD=1\n");
  CHECK_THROWS_WITH(load_env_file(dir / ".env"), Catch::Contains("not a variable name"));
  CHECK_THROWS_AS(load_env_file(dir / "missing.env"), autoswarm::FileError);
}
