#include "server/responder.h"

#include <llmp/cpp/bytes.hpp>

#include "log/log.h"

namespace llmp::host {

PocoResponder::PocoResponder(Poco::Net::HTTPServerResponse& response) : response_(response) {
  responder_.struct_size = sizeof(responder_);
  responder_.ctx = this;
  responder_.send = &PocoResponder::send;
  responder_.begin = &PocoResponder::begin;
  responder_.write = &PocoResponder::write;
}

void PocoResponder::applyHead(int32_t status, const llmp_header* headers, size_t count) {
  response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  for (size_t i = 0; i < count; ++i) {
    std::string name = str(headers[i].name);
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) {
      continue;  // the host frames the body itself
    }
    if (iequals(name, "content-type")) {
      response_.setContentType(str(headers[i].value));
    } else {
      response_.add(name, str(headers[i].value));
    }
  }
}

llmp_status PocoResponder::send(void* ctx, int32_t status, const llmp_header* headers,
                                size_t count, llmp_bytes body) {
  auto* self = static_cast<PocoResponder*>(ctx);
  if (self->sent_ || self->stream_ != nullptr) {
    log::write(log::kMisbehaving, "responder", "send() after the response was started");
    return LLMP_E_INVALID;
  }
  self->sent_ = true;
  try {
    self->applyHead(status, headers, count);
    self->response_.setContentLength(static_cast<std::streamsize>(body.len));
    self->response_.sendBuffer(body.ptr != nullptr ? body.ptr : "", body.len);
    return LLMP_OK;
  } catch (...) {
    self->broken_ = true;
    return LLMP_E_CANCELLED;
  }
}

llmp_status PocoResponder::begin(void* ctx, int32_t status, const llmp_header* headers,
                                 size_t count) {
  auto* self = static_cast<PocoResponder*>(ctx);
  if (self->sent_ || self->stream_ != nullptr) {
    log::write(log::kMisbehaving, "responder", "begin() after the response was started");
    return LLMP_E_INVALID;
  }
  try {
    self->applyHead(status, headers, count);
    self->response_.setChunkedTransferEncoding(true);
    self->response_.set("X-Accel-Buffering", "no");
    self->stream_ = &self->response_.send();
    self->stream_->flush();
    return self->stream_->good() ? LLMP_OK : LLMP_E_CANCELLED;
  } catch (...) {
    self->broken_ = true;
    return LLMP_E_CANCELLED;
  }
}

llmp_status PocoResponder::write(void* ctx, llmp_bytes data) {
  auto* self = static_cast<PocoResponder*>(ctx);
  if (self->stream_ == nullptr) {
    log::write(log::kMisbehaving, "responder", "write() before begin()");
    return LLMP_E_INVALID;
  }
  if (self->broken_) {
    return LLMP_E_CANCELLED;
  }
  try {
    self->stream_->write(data.ptr, static_cast<std::streamsize>(data.len));
    self->stream_->flush();
    if (!self->stream_->good()) {
      self->broken_ = true;
      return LLMP_E_CANCELLED;
    }
    return LLMP_OK;
  } catch (...) {
    self->broken_ = true;
    return LLMP_E_CANCELLED;
  }
}

void PocoResponder::sendFallback(int status, const std::string& json) {
  if (started()) {
    return;
  }
  llmp_header h{toBytes("content-type"), toBytes("application/json")};
  send(this, status, &h, 1, toBytes(json));
}

}  // namespace llmp::host
