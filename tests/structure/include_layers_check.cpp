// The layering test run by CTest: include_layers_check <source root> checks the tree against
// <source root>/docs/layers.txt and prints one line per violation; exit 1 when there is any.
#include <fstream>
#include <iostream>
#include <sstream>

#include "structure/include_layers.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: include_layers_check SOURCE_ROOT\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  std::ifstream in(root / "docs" / "layers.txt");
  if (!in) {
    std::cerr << "error: cannot read " << (root / "docs" / "layers.txt").string() << "\n";
    return 2;
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    const auto table = autoswarm::structure::LayerTable::parse(text.str());
    const auto violations = autoswarm::structure::check_includes(root, table);
    for (const auto& v : violations) std::cout << v.message() << "\n";
    if (!violations.empty()) {
      std::cout << violations.size() << " include(s) break the layers of docs/layers.txt "
                << "(see docs/architecture.md): move the code down a layer, or change the table "
                << "if the architecture changed\n";
      return 1;
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: docs/layers.txt: " << e.what() << "\n";
    return 2;
  }
  std::cout << "every include in src/ and include/autoswarm/ follows docs/layers.txt\n";
  return 0;
}
