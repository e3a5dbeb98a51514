#include "exporter/http/client.h"

#include <curl/curl.h>

#include <mutex>

namespace codebot::http {
namespace {

struct Transfer {
  ClientResponse* response;
  size_t max_body;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (transfer->response->body.size() + n > transfer->max_body) {
    transfer->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    transfer->response->headers.clear();  // a new response (after 100-continue or a redirect)
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  transfer->response->headers.emplace_back(std::string(name), std::string(value));
  return n;
}

}  // namespace

std::string_view ClientErrorName(ClientError error) {
  switch (error) {
    case ClientError::kNone:
      return "none";
    case ClientError::kTimeout:
      return "timeout";
    case ClientError::kConnect:
      return "connect";
    case ClientError::kTooLarge:
      return "too_large";
    case ClientError::kOther:
      break;
  }
  return "other";
}

void Client::GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Client::Client() {
  GlobalInit();
  curl_ = curl_easy_init();
}

Client::~Client() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

ClientResponse Client::Do(const ClientRequest& request) {
  ClientResponse response;
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    response.error = ClientError::kOther;
    response.error_message = "cannot initialise libcurl";
    return response;
  }
  curl_easy_reset(curl);
  Transfer transfer{&response, request.max_body_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(request.max_body_bytes));
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "codebot-exporter");
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate when offered
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  struct curl_slist* header_list = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line.append(": ").append(value);
    header_list = curl_slist_append(header_list, line.c_str());
  }
  // libcurl adds "Expect: 100-continue" to large POSTs; real APIs don't need the extra round trip.
  header_list = curl_slist_append(header_list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);

  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  if (code == CURLE_OK) return response;

  if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    response.error = ClientError::kTooLarge;
    response.error_message =
        "response body larger than " + std::to_string(request.max_body_bytes) + " bytes";
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    response.error = ClientError::kTimeout;
    response.error_message =
        "no complete response within " + std::to_string(request.timeout.count()) + "ms";
  } else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
             code == CURLE_COULDNT_RESOLVE_PROXY) {
    response.error = ClientError::kConnect;
    response.error_message = error_buffer[0] != 0 ? error_buffer : curl_easy_strerror(code);
  } else {
    response.error = ClientError::kOther;
    response.error_message = error_buffer[0] != 0 ? error_buffer : curl_easy_strerror(code);
  }
  response.body.clear();
  return response;
}

}  // namespace codebot::http
