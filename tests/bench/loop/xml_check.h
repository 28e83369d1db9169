// A small XML well-formedness check for tests of generated SVG (no XML library among the
// dependencies): one root element, balanced and properly nested tags, quoted attributes without
// duplicates, and `&` only as the start of an entity. Returns "" when well-formed.
#pragma once

#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace autoswarm::testing {

inline std::string xml_entity_problem(const std::string& text, size_t offset) {
  static const char* const kNamed[] = {"amp;", "lt;", "gt;", "quot;", "apos;"};
  for (size_t i = text.find('&'); i != std::string::npos; i = text.find('&', i + 1)) {
    bool ok = false;
    for (const char* e : kNamed) ok = ok || text.compare(i + 1, std::string(e).size(), e) == 0;
    if (!ok && i + 2 < text.size() && text[i + 1] == '#') {
      size_t j = i + 2;
      bool hex = text[j] == 'x';
      if (hex) ++j;
      size_t digits = 0;
      while (j < text.size() && (hex ? std::isxdigit(static_cast<unsigned char>(text[j]))
                                     : std::isdigit(static_cast<unsigned char>(text[j])))) {
        ++j;
        ++digits;
      }
      ok = digits > 0 && j < text.size() && text[j] == ';';
    }
    if (!ok) return "unescaped & at offset " + std::to_string(offset + i);
  }
  return "";
}

inline std::string xml_problem(const std::string& doc) {
  auto is_name_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  auto is_name_char = [&](char c) {
    return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  };
  std::vector<std::string> open;
  size_t roots = 0;
  size_t pos = 0;
  while (pos < doc.size()) {
    size_t lt = doc.find('<', pos);
    std::string text = doc.substr(pos, lt == std::string::npos ? std::string::npos : lt - pos);
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos) {
      return "text outside the root element at offset " + std::to_string(pos);
    }
    if (auto p = xml_entity_problem(text, pos); !p.empty()) return p;
    if (lt == std::string::npos) break;
    if (doc.compare(lt, 4, "<!--") == 0) {
      size_t end = doc.find("-->", lt + 4);
      if (end == std::string::npos) return "unterminated comment";
      pos = end + 3;
      continue;
    }
    if (doc.compare(lt, 2, "<?") == 0) {
      size_t end = doc.find("?>", lt + 2);
      if (end == std::string::npos) return "unterminated processing instruction";
      pos = end + 2;
      continue;
    }
    size_t i = lt + 1;
    bool closing = i < doc.size() && doc[i] == '/';
    if (closing) ++i;
    size_t name_start = i;
    if (i >= doc.size() || !is_name_start(doc[i])) return "bad tag name at offset " + std::to_string(lt);
    while (i < doc.size() && is_name_char(doc[i])) ++i;
    std::string name = doc.substr(name_start, i - name_start);
    auto skip_space = [&] { while (i < doc.size() && std::isspace(static_cast<unsigned char>(doc[i]))) ++i; };
    if (closing) {
      skip_space();
      if (i >= doc.size() || doc[i] != '>') return "bad closing tag </" + name;
      if (open.empty() || open.back() != name) {
        return "</" + name + "> does not close " + (open.empty() ? "anything" : "<" + open.back() + ">");
      }
      open.pop_back();
      pos = i + 1;
      continue;
    }
    std::set<std::string> attributes;
    while (true) {
      size_t before = i;
      skip_space();
      if (i >= doc.size()) return "unterminated tag <" + name;
      if (doc[i] == '>' || doc.compare(i, 2, "/>") == 0) break;
      if (i == before) return "no space before an attribute in <" + name;
      size_t attr_start = i;
      if (!is_name_start(doc[i])) return "bad attribute in <" + name + " at offset " + std::to_string(i);
      while (i < doc.size() && is_name_char(doc[i])) ++i;
      std::string attr = doc.substr(attr_start, i - attr_start);
      if (!attributes.insert(attr).second) return "duplicate attribute " + attr + " in <" + name;
      skip_space();
      if (i >= doc.size() || doc[i] != '=') return "attribute " + attr + " of <" + name + " has no value";
      ++i;
      skip_space();
      if (i >= doc.size() || (doc[i] != '"' && doc[i] != '\'')) {
        return "attribute " + attr + " of <" + name + " is not quoted";
      }
      char quote = doc[i];
      size_t end = doc.find(quote, i + 1);
      if (end == std::string::npos) return "unterminated attribute " + attr;
      std::string value = doc.substr(i + 1, end - i - 1);
      if (value.find('<') != std::string::npos) return "< inside attribute " + attr;
      if (auto p = xml_entity_problem(value, i + 1); !p.empty()) return p;
      i = end + 1;
    }
    if (open.empty()) ++roots;
    if (roots > 1) return "more than one root element (<" + name + ">)";
    if (doc[i] == '>') {
      open.push_back(name);
      pos = i + 1;
    } else {
      pos = i + 2;
    }
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  if (roots != 1) return "no root element";
  return "";
}

}  // namespace autoswarm::testing
