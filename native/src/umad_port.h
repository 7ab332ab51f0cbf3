// One open umad port: agents, a send path, and a receive thread that hands MADs
// to JavaScript in batches through a thread-safe function, so the event loop is
// never blocked in umad_recv.
#pragma once

#include <napi.h>

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

// State shared by the receive thread and the main thread. It belongs to the
// thread-safe function and is deleted by its finalizer, after every queued call
// has run, so a late call can never touch freed memory.
struct ReceiveShared {
  std::mutex mutex;
  std::vector<ReceivedRecord> pending;   // filled by the receive thread
  bool signalled = false;                // a call is queued for `pending`
  std::vector<ReceivedRecord> draining;  // main thread only
  std::atomic<bool> closed{false};
  Napi::Reference<Napi::ArrayBuffer> batch;
  uint8_t* batchData = nullptr;
  size_t batchSlots = 0;
};

void DeliverBatch(Napi::Env env, Napi::Function callback, ReceiveShared* shared, void* unused);
using ReceiveTsfn = Napi::TypedThreadSafeFunction<ReceiveShared, void, DeliverBatch>;

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

  void RequireOpen(Napi::Env env, const char* call) const;
  void CloseNow();
  static void CleanupHook(void* self);

  napi_env env_ = nullptr;
  bool cleanupHookRegistered_ = false;

  std::string caName_;
  int portNum_ = 0;
  int fd_ = -1;
  int issmFd_ = -1;
  std::vector<int> agents_;
  std::vector<uint8_t> sendBuffer_;
  std::atomic<bool> stop_{false};
  std::thread receiver_;
  ReceiveShared* shared_ = nullptr;  // owned by tsfn_
  ReceiveTsfn tsfn_;
  bool tsfnLive_ = false;
};

// open() of the IsSM device path (umad_issm.cc); returns the fd or -errno.
int OpenIsSmDevice(const char* path);

// Names of the CAs libibumad sees (umad_get_ca_device_list), sorted.
Napi::Value ListCas(const Napi::CallbackInfo& info);

}  // namespace repath
