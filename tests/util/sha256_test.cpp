#include "autoswarm/util/sha256.h"

#include <catch2/catch.hpp>

using namespace autoswarm::util;

TEST_CASE("sha256_hex is the standard digest, and fields are length-prefixed", "[util]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 split;
  split.update("a");
  split.update("bc");
  CHECK(split.hex() == sha256_hex("abc"));
  Sha256 ab_c, a_bc;
  ab_c.field("ab");
  ab_c.field("c");
  a_bc.field("a");
  a_bc.field("bc");
  CHECK(ab_c.hex() != a_bc.hex());
  CHECK(sha256_hex("2:ab1:c") != sha256_hex("abc"));
}
