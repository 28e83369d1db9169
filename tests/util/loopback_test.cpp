// Tests for util/loopback.h.
#include "autoswarm/util/loopback.h"

#include <catch2/catch.hpp>

using autoswarm::util::is_loopback_host;

TEST_CASE("127.0.0.0/8, ::1 and localhost are loopback", "[util][loopback]") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("127.255.255.255"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("[::1]"));
  CHECK(is_loopback_host("localhost"));
}

TEST_CASE("listen-everywhere addresses, other hosts and look-alike names are not loopback", "[util][loopback]") {
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("::"));
  CHECK_FALSE(is_loopback_host("192.168.1.10"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("example.com"));
  CHECK_FALSE(is_loopback_host("127.example.com"));
  CHECK_FALSE(is_loopback_host("127.0.0.1.example.com"));
  CHECK_FALSE(is_loopback_host(""));
}
