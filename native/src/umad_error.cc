#include "umad_error.h"

#include <cstring>

namespace repath {
namespace {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "E" + std::to_string(err);
}

}  // namespace

Napi::Error PlainError(Napi::Env env, const std::string& call, int err, const std::string& text) {
  Napi::Error error = Napi::Error::New(env, call + ": " + text);
  error.Set("call", Napi::String::New(env, call));
  if (err != 0) {
    error.Set("errno", Napi::Number::New(env, err));
    error.Set("code", Napi::String::New(env, ErrnoName(err)));
  }
  return error;
}

Napi::Error UmadError(Napi::Env env, const std::string& call, int ret, int savedErrno) {
  // A return value in errno range is libibumad's own verdict. -1 is ambiguous
  // (a syscall's failure, or -EPERM as umad_register returns it): errno, when
  // set, is the better witness then.
  int primary;
  if (ret < -1 && ret > -4096) primary = -ret;
  else if (savedErrno != 0) primary = savedErrno;
  else primary = ret == -1 ? EPERM : EIO;
  std::string text = std::string(strerror(primary)) + " (" + ErrnoName(primary) + ")";
  if (savedErrno != 0 && savedErrno != primary) {
    text += "; errno " + std::string(strerror(savedErrno)) + " (" + ErrnoName(savedErrno) + ")";
  }
  Napi::Error error = PlainError(env, call, primary, text);
  error.Set("returned", Napi::Number::New(env, ret));
  return error;
}

}  // namespace repath
