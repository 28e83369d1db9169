// YAML values as JSON: types of plain scalars, quoted strings, order of keys.
#include "autoswarm/util/yaml_json.h"

#include <catch2/catch.hpp>

TEST_CASE("yaml_to_json keeps quoted strings and types plain scalars", "[util][yaml]") {
  YAML::Node node = YAML::Load(R"(
zeta: {type: string}
alpha: [1, -2.5, true, ~, "3", '007', plain text]
)");
  nlohmann::ordered_json j = autoswarm::util::yaml_to_json(node);
  CHECK(j.dump() == R"({"zeta":{"type":"string"},"alpha":[1,-2.5,true,null,"3","007","plain text"]})");
}
