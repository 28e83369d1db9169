// Owner labels of containers: this process's, read back, and whether an owner still runs (a
// pid that is gone, reused, on another boot or another host).
#include "autoswarm/bench/trials/container_owner.h"

#include <unistd.h>

#include <catch2/catch.hpp>

using autoswarm::bench::ContainerOwner;
using autoswarm::bench::OrphanSweep;

TEST_CASE("this process's owner labels name its host, boot, pid and start time", "[bench][owner]") {
  const ContainerOwner& me = ContainerOwner::self();
  CHECK(me.pid == ::getpid());
  CHECK(me.boot_id.size() == 36);  // a UUID
  CHECK(me.start_ticks > 0);
  auto labels = me.labels();
  CHECK(labels.at("autoswarm.owner") == me.id());
  CHECK(labels.at("autoswarm.owner.pid") == std::to_string(::getpid()));
  CHECK(labels.at("autoswarm.owner.host") == me.host);
  CHECK(labels.at("autoswarm.owner.boot") == me.boot_id);
  CHECK(labels.at("autoswarm.owner.start") == std::to_string(me.start_ticks));

  ContainerOwner back = ContainerOwner::parse(me.id());
  CHECK(back.id() == me.id());
  CHECK(back.alive());
  CHECK(ContainerOwner::parse("not an owner").pid == 0);
  CHECK(ContainerOwner::parse("h/b/-3/1").pid == 0);
}

TEST_CASE("an owner is gone when its pid is free, reused, or the machine rebooted",
          "[bench][owner]") {
  const ContainerOwner& me = ContainerOwner::self();
  ContainerOwner reused = me;
  reused.start_ticks += 1;  // the same pid, another process
  CHECK_FALSE(reused.alive());
  ContainerOwner free_pid = me;
  free_pid.pid = 1 << 30;  // above any pid_max
  CHECK_FALSE(free_pid.alive());
  ContainerOwner rebooted = me;
  rebooted.boot_id = "00000000-0000-0000-0000-000000000000";
  CHECK_FALSE(rebooted.alive());
  ContainerOwner elsewhere = free_pid;
  elsewhere.host = me.host + "-other";
  CHECK(elsewhere.alive());  // nothing is known about another host's processes
}

TEST_CASE("a sweep says what it removed, and nothing when it found nothing", "[bench][owner]") {
  CHECK(OrphanSweep{}.message().empty());
  CHECK(OrphanSweep{.found = 1, .removed = 1, .owner_pids = {4711}}.message() ==
        "removed 1 container left by bench runs that are gone (pid 4711)");
  CHECK(OrphanSweep{.found = 3, .removed = 2, .owner_pids = {1, 2}}.message() ==
        "removed 2 of 3 containers left by bench runs that are gone (pid 1, 2)");
}
