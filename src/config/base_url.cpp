// SPDX-License-Identifier: Apache-2.0
// base_url checked through libcurl's URL parser: the same code that will send the requests
// decides whether the URL is acceptable; only what it lets through that cannot work (an
// empty host, port 0) is checked by hand.
#include "config/base_url.hpp"

#include <curl/curl.h>

#include <memory>

#include <fmt/format.h>

namespace promptbench::config {

namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* text) const { curl_free(text); }
};

std::string lower_first(std::string text) {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') {
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  }
  return text;
}

/// libcurl reads "http:///v1" as host "v1"; a URL whose authority is empty has no host.
bool has_empty_authority(const std::string& url) {
  const std::size_t start = url.find("://") + 3;
  return start >= url.size() || url[start] == '/' || url[start] == '?' || url[start] == '#';
}

[[noreturn]] void fail_port(const Field& field, const std::string& url) {
  field.fail(fmt::format("expected a port from 1 to 65535 in '{}'", url));
}

}  // namespace

void check_base_url(const Field& field, const std::string& url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    field.fail(fmt::format("expected an http:// or https:// URL, got '{}'", url));
  }
  if (has_empty_authority(url)) {
    field.fail(fmt::format("no host in '{}'", url));
  }
  const std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  const CURLUcode code = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0);
  if (code == CURLUE_BAD_PORT_NUMBER) {
    fail_port(field, url);
  }
  if (code == CURLUE_NO_HOST) {
    field.fail(fmt::format("no host in '{}'", url));
  }
  if (code != CURLUE_OK) {
    field.fail(
        fmt::format("'{}' is not a valid URL ({})", url, lower_first(curl_url_strerror(code))));
  }
  char* port = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_PORT, &port, 0) == CURLUE_OK) {
    const std::unique_ptr<char, CurlStringDeleter> owned(port);
    if (std::string(port) == "0") {
      fail_port(field, url);
    }
  }
}

}  // namespace promptbench::config
