// SHA-256 through OpenSSL, as lowercase hex: of one piece of data, or of a sequence of
// length-prefixed fields (so ("ab", "c") and ("a", "bc") differ), for content hashes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace autoswarm::util {

class Sha256 {
 public:
  Sha256();  // throws Error when OpenSSL has no SHA-256
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);  // the bytes as they are
  void field(std::string_view data);   // "<size>:" then the bytes
  std::string hex();                   // the digest; call once, last

 private:
  evp_md_ctx_st* ctx_;
};

// The hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace autoswarm::util
