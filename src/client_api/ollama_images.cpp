// Ollama sends images as bare base64 strings beside a message's text; chat completions wants
// them as data: URLs in content parts, which need a MIME type the client never said. The
// bytes say it: every format vision models take starts with a fixed signature.
#include "autoswarm/util/json.h"
#include "ollama_translation.h"

#include <array>
#include <cstdint>

namespace autoswarm::client_api::ollama {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of a base64 character (both alphabets), or -1.
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

bool is_base64_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t bits = 0;
  int bit_count = 0;
  size_t symbols = 0;
  size_t padding = 0;
  for (char c : text) {
    if (is_base64_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = base64_value(c);
    if (v < 0 || padding > 0) return std::nullopt;  // a stray byte, or data after the padding
    ++symbols;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // One symbol past a whole group carries only 6 bits: no byte ends there.
  if (symbols % 4 == 1 || padding > 2) return std::nullopt;
  if (padding > 0 && (symbols + padding) % 4 != 0) return std::nullopt;
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kBase64Alphabet[(n >> shift) & 0x3F]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kBase64Alphabet[(n >> 18) & 0x3F]);
    out.push_back(kBase64Alphabet[(n >> 12) & 0x3F]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 0x3F] : '=');
    out.push_back('=');
  }
  return out;
}

std::string_view image_mime_type(std::string_view bytes) {
  auto starts = [&](std::string_view magic, size_t at = 0) {
    return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xFF\xD8\xFF")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("RIFF") && starts("WEBP", 8)) return "image/webp";
  return "image/png";  // what Ollama's own clients send nearly always
}

std::optional<json> content_with_images(const std::string& text, const json& images, const std::string& at,
                                        std::string* problem) {
  if (!images.is_array()) {
    *problem = at + " must be a list of base64 strings (got " + util::json_kind(images) + ")";
    return std::nullopt;
  }
  json parts = json::array();
  if (!text.empty()) parts.push_back({{"type", "text"}, {"text", text}});
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string image_at = at + "[" + std::to_string(i) + "]";
    if (!images[i].is_string()) {
      *problem = image_at + " must be a base64 string (got " + util::json_kind(images[i]) + ")";
      return std::nullopt;
    }
    std::optional<std::string> bytes = decode_base64(images[i].get_ref<const std::string&>());
    if (!bytes || bytes->empty()) {
      *problem = image_at + " is not base64 image data; send the image file's bytes in base64 (no data: prefix)";
      return std::nullopt;
    }
    // Re-encoded, so a URL-safe or unpadded string still makes a URL every server reads.
    std::string url = "data:" + std::string(image_mime_type(*bytes)) + ";base64," + encode_base64(*bytes);
    parts.push_back({{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}});
  }
  return parts;
}

}  // namespace autoswarm::client_api::ollama
