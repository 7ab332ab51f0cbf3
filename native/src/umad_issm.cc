// Opens the IsSM device. Kept in its own file so it calls plain open(), the
// symbol libibumad itself uses: node-gyp builds with _FILE_OFFSET_BITS=64,
// which turns open() into open64(), and ibsim's LD_PRELOAD shim (umad2sim)
// intercepts open() only. On 64-bit Linux the two are the same system call.
#undef _FILE_OFFSET_BITS
#include <cerrno>
#include <fcntl.h>

namespace repath {

// Returns the fd, or -errno. O_NONBLOCK: if another process holds IsSM the
// kernel answers EAGAIN instead of blocking the event loop.
int OpenIsSmDevice(const char* path) {
  int fd = open(path, O_RDWR | O_NONBLOCK);
  return fd >= 0 ? fd : -errno;
}

}  // namespace repath
