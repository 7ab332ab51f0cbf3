// Errors thrown to JavaScript carry the libibumad call that failed, the errno it
// reported and strerror's text, so a failure on a real fabric can be diagnosed
// from the message alone.
#pragma once

#include <napi.h>
#include <string>

namespace repath {

// Builds an Error for a libibumad call that returned `ret` (< 0). libibumad
// returns -errno for its own checks (-ENODEV, -EINVAL, -EPERM, -EIO) while the
// syscall underneath leaves the real cause in errno; `savedErrno` is errno as it
// was right after the call (0 when the call did not set it). Both are reported
// when they differ.
Napi::Error UmadError(Napi::Env env, const std::string& call, int ret, int savedErrno);

// An Error with code/errno set but no libibumad return value behind it (for
// "no HCA", "no CA named ...", and argument checks).
Napi::Error PlainError(Napi::Env env, const std::string& call, int err, const std::string& text);

}  // namespace repath
