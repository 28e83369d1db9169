// skills.yaml (skills/skill_book.h): any text either parses or is refused with a FileError, and
// what parses writes back as YAML that parses to the same book and writes the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "autoswarm/skills/skill_book.h"
#include "autoswarm/util/error.h"

using autoswarm::skills::Skill;
using autoswarm::skills::SkillBook;

namespace {

bool same(const Skill& a, const Skill& b) {
  return a.id == b.id && a.text == b.text && a.created == b.created && a.sources == b.sources &&
         a.injected == b.injected;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  SkillBook book;
  try {
    book = SkillBook::parse(text, "skills.yaml");
  } catch (const autoswarm::FileError&) {
    return 0;
  }
  const std::string yaml = book.to_yaml();
  SkillBook again;
  try {
    again = SkillBook::parse(yaml, "skills.yaml (written)");
  } catch (const autoswarm::FileError&) {
    std::abort();  // what we wrote must read back
  }
  if (again.skills.size() != book.skills.size()) std::abort();
  for (size_t i = 0; i < book.skills.size(); ++i) {
    if (!same(book.skills[i], again.skills[i])) std::abort();
  }
  if (again.to_yaml() != yaml) std::abort();
  return 0;
}
