// The docker client as a program: a command over the kernel's argument limit is named as such,
// never as a missing docker. No engine needed: any program stands in for the client.
#include "autoswarm/bench/trials/docker_cli.h"

#include <catch2/catch.hpp>

using autoswarm::bench::DockerCli;

TEST_CASE("a docker command over the argument limit is a DockerError, not a missing docker",
          "[bench][docker_cli]") {
  DockerCli docker("true");
  CHECK(docker.run({"exec", "id"}, std::chrono::seconds(10)).exit_code == 0);
  try {
    docker.run({"exec", "id", "printf", std::string(200000, 'x')}, std::chrono::seconds(10));
    FAIL("expected DockerError");
  } catch (const autoswarm::bench::DockerUnavailableError& e) {
    FAIL("reported as a missing docker: " << e.what());
  } catch (const autoswarm::bench::DockerError& e) {
    CHECK_THAT(e.what(), Catch::Contains("over the kernel's limit") &&
                             Catch::Contains("stdin or a file") && !Catch::Contains("install"));
  }
  CHECK_THROWS_AS(DockerCli("/nonexistent/docker").run({"ps"}, std::chrono::seconds(10)),
                  autoswarm::bench::DockerUnavailableError);
}
