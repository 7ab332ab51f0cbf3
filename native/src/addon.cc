// repath's libibumad addon: module entry point.
#include <napi.h>

#include <infiniband/umad.h>

#include "umad_port.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UmadPort", repath::UmadPort::Define(env));
  exports.Set("listCas", Napi::Function::New(env, repath::ListCas, "listCas"));
  exports.Set("madSize", Napi::Number::New(env, 256));
  exports.Set("recordSize", Napi::Number::New(env, sizeof(repath::ReceivedRecord)));
  exports.Set("umadHeaderSize", Napi::Number::New(env, static_cast<double>(umad_size())));
  return exports;
}

}  // namespace

NODE_API_MODULE(repath_umad, Init)
