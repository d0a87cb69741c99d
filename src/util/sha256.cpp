// SPDX-License-Identifier: Apache-2.0
// SHA-256 through OpenSSL's EVP interface.
#include "util/sha256.hpp"

#include "util/base64.hpp"

#include <array>
#include <fstream>
#include <stdexcept>

#include <openssl/evp.h>

namespace promptbench::util {

struct Sha256::Impl {
  EVP_MD_CTX* context = nullptr;
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {
  m_impl->context = EVP_MD_CTX_new();
  if (m_impl->context == nullptr ||
      EVP_DigestInit_ex(m_impl->context, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("cannot initialise SHA-256");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(m_impl->context);
}

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(m_impl->context, bytes.data(), bytes.size());
}

std::string Sha256::bytes() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(m_impl->context, digest.data(), &length);
  return {reinterpret_cast<const char*>(digest.data()), length};
}

std::string Sha256::hex() {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string digest = bytes();
  std::string out;
  out.reserve(digest.size() * 2);
  for (const char c : digest) {
    const auto byte = static_cast<unsigned char>(c);
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.hex();
}

std::string sha256_base64(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return base64(hasher.bytes());
}

std::string sha256_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return {};
  }
  Sha256 hasher;
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  return hasher.hex();
}

}  // namespace promptbench::util
