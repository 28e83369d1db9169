// Internal to the proxy: passing a Responses, Messages or Ollama request through to an upstream
// that serves that protocol itself, instead of translating it to chat completions.
#pragma once

#include <httplib.h>

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "autoswarm/client_api/client_api.h"
#include "request_switches.h"

namespace autoswarm::proxy {

struct ProxyState;

// Sends the client's request, with the model chosen and skills injected in the protocol's own
// place (Responses: `instructions`; Messages and /api/generate: `system`; /api/chat: the system
// message), to the upstream's route for `api`'s
// protocol and relays the reply as it is: a whole body with its content type, or a stream byte
// for byte, unbuffered. The log record is a translated exchange's: `translated` is the
// client's request as chat completions (null when the translation refuses it: the upstream
// may support what the proxy cannot translate). False, with nothing sent to the client, when
// the upstream does not have the route (a 404 or 405 that names no model): the caller then
// translates the request. The route's NativeSupport is updated either way.
bool pass_through(const std::shared_ptr<ProxyState>& st, const httplib::Request& req, httplib::Response& res,
                  const client_api::ClientApi& api, const nlohmann::json& client,
                  const std::optional<nlohmann::json>& translated, RequestSwitches switches);

// A request beside a protocol's main route (POST /v1/messages/count_tokens, GET or cancel of a
// stored response) relayed to the upstream when its main route is known to be served there:
// `method` "GET" or "POST", `api_path` under /v1. False, with nothing sent, when the route is
// not known served or the upstream lacks this one (404/405 naming no model): the caller
// answers it itself. Other statuses are relayed in the protocol's error format.
bool relay_beside_native(ProxyState& st, const httplib::Request& req, httplib::Response& res,
                         const client_api::ClientApi& api, const char* method, const std::string& api_path);

}  // namespace autoswarm::proxy
