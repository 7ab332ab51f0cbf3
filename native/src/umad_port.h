// One open umad port: agents, a send path, and a receive thread that hands MADs
// to JavaScript in batches through a libuv async handle, so the event loop is
// never blocked in umad_recv. The receive thread spins (polls without sleeping)
// for a short window after traffic, so that in a request/response exchange the
// answer is picked up without waking it: each hand-off then costs one thread
// wake-up (the event loop's), as a C loop blocked in umad_recv pays one.
#pragma once

#include <napi.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace repath {

// One received MAD as JavaScript sees it in the batch buffer: the 256 MAD bytes
// (zero-padded) followed by eight native-endian u32 fields. JavaScript reads the
// fields with a Uint32Array, so the layout is part of the contract with umad.ts.
struct ReceivedRecord {
  uint8_t mad[256];
  uint32_t status;     // 0, or an errno (ETIMEDOUT: a sent MAD got no response)
  uint32_t agentId;
  uint32_t length;     // bytes the transport delivered, before padding
  uint32_t slid;
  uint32_t sqpn;
  uint32_t sl;
  uint32_t pkeyIndex;
  uint32_t reserved;
};
static_assert(sizeof(ReceivedRecord) == 288, "batch slot layout is shared with umad.ts");

// The hand-off from the receive thread to the JavaScript thread. The thread
// appends records under `mutex` and, for the first record of a batch, wakes the
// event loop with uv_async_send after releasing it, so the woken loop never
// waits for the lock. (A thread-safe function holds its own lock across that
// wake-up; the loop, woken within microseconds, often found it still held and
// slept once more per MAD.) Deleted by the async handle's close callback.
struct ReceiveShared {
  std::mutex mutex;
  std::vector<ReceivedRecord> pending;   // filled by the receive thread
  bool signalled = false;                // the loop has been woken for `pending`
  std::vector<ReceivedRecord> draining;  // main thread only
  bool closed = false;                   // main thread only
  uv_async_t async;                      // async.data points here
  napi_env env = nullptr;
  Napi::FunctionReference onBatch;
  napi_async_context asyncContext = nullptr;
  Napi::Reference<Napi::ArrayBuffer> batch;
  uint8_t* batchData = nullptr;
  size_t batchSlots = 0;
  // Set when Node's environment teardown is closing the port: removed (which
  // tells Node the close is done) once the async handle has closed.
  napi_async_cleanup_hook_handle teardown = nullptr;
};

// Shared by the main thread and the receive thread. A member of UmadPort: the
// thread is joined (CloseNow) before the port object can be destroyed.
struct ReceiveControl {
  std::atomic<bool> stop{false};
  // How long the receive thread keeps polling without sleeping after the last
  // MAD it received or the last request sent (0: it always sleeps in umad_poll).
  int64_t spinNs = 0;
  // Monotonic time of the last request sent: a response is expected, so a
  // spinning thread keeps spinning for it.
  std::atomic<int64_t> lastRequestNs{0};
  // Counters JavaScript reads with stats(): how MADs reached the thread.
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> caughtSpinning{0};   // found by a non-sleeping poll
  std::atomic<uint64_t> afterSleep{0};       // found after umad_poll slept and woke
  std::atomic<uint64_t> handoffs{0};         // event-loop wake-ups requested (one per batch)
  std::atomic<uint64_t> spinBackoffs{0};     // spins given up because the thread lost its core
};

class UmadPort : public Napi::ObjectWrap<UmadPort> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit UmadPort(const Napi::CallbackInfo& info);
  ~UmadPort() override;

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Register(const Napi::CallbackInfo& info);
  Napi::Value Unregister(const Napi::CallbackInfo& info);
  Napi::Value OpenIsSm(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value BatchBuffer(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  void RequireOpen(Napi::Env env, const char* call) const;
  // Stops and joins the receive thread, closes the port and starts closing the
  // async handle. `teardown`: Node's environment is exiting (see TeardownHook).
  void CloseNow(napi_async_cleanup_hook_handle teardown = nullptr);
  static void TeardownHook(napi_async_cleanup_hook_handle handle, void* self);

  napi_async_cleanup_hook_handle teardownHook_ = nullptr;

  std::string caName_;
  int portNum_ = 0;
  int fd_ = -1;
  int issmFd_ = -1;
  std::vector<int> agents_;
  std::vector<uint8_t> sendBuffer_;
  ReceiveControl control_;
  std::thread receiver_;
  ReceiveShared* shared_ = nullptr;  // deleted by its async handle's close callback
};

// open() of the IsSM device path (umad_issm.cc); returns the fd or -errno.
int OpenIsSmDevice(const char* path);

// Names of the CAs libibumad sees (umad_get_ca_device_list), sorted.
Napi::Value ListCas(const Napi::CallbackInfo& info);

}  // namespace repath
