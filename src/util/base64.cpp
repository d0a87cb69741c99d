// SPDX-License-Identifier: Apache-2.0
// Base64 with OpenSSL's EVP_EncodeBlock (no line breaks, unlike the EVP_Encode* stream).
#include "util/base64.hpp"

#include <openssl/evp.h>

namespace promptbench::util {

std::string base64(std::string_view bytes) {
  // EVP_EncodeBlock takes an int length: encode in pieces of a multiple of 3 bytes, so the
  // pieces join without padding in between.
  constexpr std::size_t kPiece = 3 * (1 << 20);
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t at = 0; at < bytes.size(); at += kPiece) {
    const std::string_view piece = bytes.substr(at, kPiece);
    const std::size_t start = out.size();
    out.resize(start + (piece.size() + 2) / 3 * 4 + 1);  // + the NUL EVP_EncodeBlock writes
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                        reinterpret_cast<const unsigned char*>(piece.data()),
                                        static_cast<int>(piece.size()));
    out.resize(start + static_cast<std::size_t>(written));
  }
  return out;
}

}  // namespace promptbench::util
