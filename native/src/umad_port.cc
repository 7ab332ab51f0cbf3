#include "umad_port.h"

#include <infiniband/umad.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <sched.h>
#include <unistd.h>

#include "umad_error.h"

namespace repath {
namespace {

constexpr size_t kMadSize = 256;
// How long one umad_poll waits before the receive thread re-checks its stop
// flag: the bound on how long close() waits for the join.
constexpr int kPollMs = 50;
constexpr size_t kDefaultBatchSlots = 64;
// A spin window longer than this would be a busy thread, not a brief spin.
constexpr int64_t kMaxSpinUs = 100000;
// A spin only pays while the core is otherwise idle: a spinning thread that is
// preempted is runnable, not asleep, so a MAD arriving meanwhile waits for the
// scheduler to come back to it (a time slice: milliseconds on a loaded machine)
// where a sleeping thread would have been woken at once. One spin iteration
// taking longer than kPreemptedNs means the thread lost its core to something
// longer than the simulator's, the SM's or the event loop's few tens of
// microseconds per MAD; it then sleeps in umad_poll for kBackoffNs before it
// tries spinning again.
constexpr int64_t kPreemptedNs = 200000;
constexpr int64_t kBackoffNs = 100000000;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

std::string Hex64(uint64_t v) {
  char text[19];
  snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(v));
  return text;
}

// Reads an integer argument and checks its range; the error names the argument.
int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* call, const char* name,
               int64_t min, int64_t max) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsNumber()) {
    throw PlainError(env, call, EINVAL, std::string(name) + " must be a number");
  }
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= static_cast<double>(min) && value <= static_cast<double>(max)) ||
      value != static_cast<double>(static_cast<int64_t>(value))) {
    char text[160];
    snprintf(text, sizeof text, "%s: %g is not an integer in [%lld, %lld]", name, value,
             static_cast<long long>(min), static_cast<long long>(max));
    throw PlainError(env, call, EINVAL, text);
  }
  return static_cast<int64_t>(value);
}

// The CA names libibumad finds in sysfs. An empty list is "no HCA": this is the
// check umad_get_cas_names cannot make, because it falls back to a default name.
std::vector<std::string> CaNames(Napi::Env env) {
  errno = 0;
  umad_device_node* head = umad_get_ca_device_list();
  int err = errno;
  if (head == nullptr) {
    if (err != 0) throw UmadError(env, "umad_get_ca_device_list", -err, err);
    return {};
  }
  umad_sort_ca_device_list(&head, 0);
  std::vector<std::string> names;
  for (umad_device_node* node = head; node != nullptr; node = node->next) names.emplace_back(node->ca_name);
  umad_free_ca_device_list(head);
  return names;
}

Napi::Object PortObject(Napi::Env env, const umad_port_t& port) {
  Napi::Object out = Napi::Object::New(env);
  uint64_t guid = be64toh(port.port_guid);
  uint64_t prefix = be64toh(port.gid_prefix);
  out.Set("caName", Napi::String::New(env, port.ca_name));
  out.Set("portNum", Napi::Number::New(env, port.portnum));
  out.Set("lid", Napi::Number::New(env, port.base_lid));
  out.Set("lmc", Napi::Number::New(env, port.lmc));
  out.Set("smLid", Napi::Number::New(env, port.sm_lid));
  out.Set("smSl", Napi::Number::New(env, port.sm_sl));
  out.Set("state", Napi::Number::New(env, port.state));
  out.Set("physState", Napi::Number::New(env, port.phys_state));
  out.Set("rate", Napi::Number::New(env, port.rate));
  out.Set("capabilityMask", Napi::Number::New(env, ntohl(port.capmask)));
  out.Set("portGuid", Napi::String::New(env, Hex64(guid)));
  out.Set("portGuidHigh", Napi::Number::New(env, static_cast<uint32_t>(guid >> 32)));
  out.Set("portGuidLow", Napi::Number::New(env, static_cast<uint32_t>(guid)));
  out.Set("gidPrefix", Napi::String::New(env, Hex64(prefix)));
  out.Set("linkLayer", Napi::String::New(env, port.link_layer));
  return out;
}

umad_port_t GetPort(Napi::Env env, const std::string& caName, int portNum) {
  umad_port_t port;
  memset(&port, 0, sizeof port);
  errno = 0;
  int r = umad_get_port(caName.c_str(), portNum, &port);
  int err = errno;
  if (r < 0) {
    throw UmadError(env, "umad_get_port(" + Quoted(caName) + ", " + std::to_string(portNum) + ")", r, err);
  }
  return port;
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Between two empty polls of a spin: give the core to any other runnable thread
// (the simulator, the SM or the event loop may be waiting for it) and come
// straight back when there is none. When there was one, the next iteration is
// late and the loop backs off (kPreemptedNs).
void SpinPause() { sched_yield(); }

// Takes every MAD queued on the port without blocking, copies each into a
// record for JavaScript and wakes the event loop once per batch (not again
// while a wake-up is pending). Counts each MAD before JavaScript can
// see it, so stats() read in a handler include the MAD being handled. Returns
// how many MADs it took.
size_t Drain(int fd, void* umad, bool spinning, ReceiveControl* control, ReceiveShared* shared) {
  size_t taken = 0;
  while (!control->stop.load(std::memory_order_acquire)) {  // a flood must not delay close()
    int length = static_cast<int>(kMadSize);
    int agent = umad_recv(fd, umad, &length, 0);
    if (agent < 0) break;  // -EWOULDBLOCK: drained
    taken++;
    control->received.fetch_add(1, std::memory_order_relaxed);
    (spinning ? control->caughtSpinning : control->afterSleep).fetch_add(1, std::memory_order_relaxed);
    ReceivedRecord record;
    size_t copied = std::min(static_cast<size_t>(std::max(length, 0)), kMadSize);
    memcpy(record.mad, umad_get_mad(umad), copied);
    memset(record.mad + copied, 0, kMadSize - copied);
    ib_mad_addr_t* addr = umad_get_mad_addr(umad);
    record.status = static_cast<uint32_t>(umad_status(umad));
    record.agentId = static_cast<uint32_t>(agent);
    record.length = static_cast<uint32_t>(length);
    record.slid = be16toh(addr->lid);
    record.sqpn = be32toh(addr->qpn) & 0xffffff;
    record.sl = addr->sl;
    record.pkeyIndex = static_cast<uint32_t>(umad_get_pkey(umad));
    record.reserved = 0;
    bool signal = false;
    {
      std::lock_guard<std::mutex> lock(shared->mutex);
      shared->pending.push_back(record);
      if (!shared->signalled) shared->signalled = signal = true;
    }
    if (signal) {  // outside the lock: the loop it wakes takes it at once
      control->handoffs.fetch_add(1, std::memory_order_relaxed);
      uv_async_send(&shared->async);
    }
  }
  return taken;
}

// The receive thread. Idle, it sleeps in umad_poll with a short timeout (so a
// stop request is seen promptly). Within spinNs of the last MAD received or
// request sent it polls without sleeping instead: the next response of an
// exchange is then found by a thread that is already running, and the only
// wake-up left on the path is the event loop's. Not while backing off after
// it lost its core mid-spin (kPreemptedNs).
void ReceiveLoop(int fd, ReceiveControl* control, ReceiveShared* shared) {
  std::vector<uint8_t> buffer(umad_size() + kMadSize);
  void* umad = buffer.data();
  int64_t lastMadNs = 0;
  int64_t lastSpinNs = 0;  // start of the previous spin iteration; 0 after a sleep
  int64_t backoffUntilNs = 0;
  while (!control->stop.load(std::memory_order_acquire)) {
    bool spinning = false;
    if (control->spinNs > 0) {
      int64_t now = MonotonicNs();
      int64_t since = std::max(lastMadNs, control->lastRequestNs.load(std::memory_order_relaxed));
      spinning = now - since < control->spinNs && now >= backoffUntilNs;
      if (spinning && lastSpinNs != 0 && now - lastSpinNs > kPreemptedNs) {
        control->spinBackoffs.fetch_add(1, std::memory_order_relaxed);
        backoffUntilNs = now + kBackoffNs;
        spinning = false;
      }
      lastSpinNs = spinning ? now : 0;
    }
    if (!spinning) {
      int polled = umad_poll(fd, kPollMs);
      if (polled == -ETIMEDOUT) continue;
      // A poll error is retried: ibsim's umad2sim reports a spurious wake-up with
      // an empty queue as an error. The non-blocking receive below settles it.
    }
    size_t taken = Drain(fd, umad, spinning, control, shared);
    if (taken > 0) {
      if (control->spinNs > 0) lastMadNs = MonotonicNs();
    } else if (spinning) {
      SpinPause();
    } else {
      // Nothing read although poll did not time out: an error (or, on a kernel,
      // a MAD too large for the buffer left at the queue head). Never spin a core.
      usleep(1000);
    }
  }
}

// The event loop's side of the hand-off: takes the pending records and passes
// them to JavaScript through the batch buffer, batchSlots at a time. A handler
// may close the port; the records left are then dropped.
void OnAsync(uv_async_t* handle) {
  ReceiveShared* shared = static_cast<ReceiveShared*>(handle->data);
  if (shared->closed) return;
  {
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->draining.swap(shared->pending);  // both keep their capacity: no steady-state allocation
    shared->signalled = false;
  }
  std::vector<ReceivedRecord>& records = shared->draining;
  Napi::Env env(shared->env);
  Napi::HandleScope scope(env);
  size_t next = 0;
  try {
    while (next < records.size() && !shared->closed) {
      size_t count = std::min(shared->batchSlots, records.size() - next);
      memcpy(shared->batchData, &records[next], count * sizeof(ReceivedRecord));
      next += count;
      shared->onBatch.MakeCallback(env.Global(), {Napi::Number::New(env, static_cast<double>(count))},
                                   shared->asyncContext);
    }
  } catch (const Napi::Error& error) {
    // A handler threw: an uncaught exception, as for any other event-loop callback.
    records.clear();
    napi_fatal_exception(shared->env, error.Value());
    return;
  }
  records.clear();
}

void OnAsyncClosed(uv_handle_t* handle) {
  ReceiveShared* shared = static_cast<ReceiveShared*>(handle->data);
  napi_async_cleanup_hook_handle teardown = shared->teardown;
  delete shared;
  if (teardown != nullptr) napi_remove_async_cleanup_hook(teardown);  // tells Node the close is done
}

}  // namespace

Napi::Function UmadPort::Define(Napi::Env env) {
  return DefineClass(env, "UmadPort",
                     {
                         InstanceMethod<&UmadPort::Info>("info"),
                         InstanceMethod<&UmadPort::Register>("register"),
                         InstanceMethod<&UmadPort::Unregister>("unregister"),
                         InstanceMethod<&UmadPort::OpenIsSm>("openIsSm"),
                         InstanceMethod<&UmadPort::Send>("send"),
                         InstanceMethod<&UmadPort::Close>("close"),
                         InstanceMethod<&UmadPort::Ref>("ref"),
                         InstanceMethod<&UmadPort::Unref>("unref"),
                         InstanceMethod<&UmadPort::Stats>("stats"),
                         InstanceAccessor<&UmadPort::BatchBuffer>("batch"),
                     });
}

// new UmadPort(caName: string | null, portNum: number, onBatch: (count) => void,
//              batchSlots?: number, receiveSpinUs?: number)
UmadPort::UmadPort(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UmadPort>(info) {
  Napi::Env env = info.Env();
  const char* call = "umad_open_port";
  portNum_ = static_cast<int>(IntArg(info, 1, call, "portNum", 0, UMAD_CA_MAX_PORTS - 1));
  if (info.Length() < 3 || !info[2].IsFunction()) throw PlainError(env, call, EINVAL, "onBatch must be a function");
  size_t slots = kDefaultBatchSlots;
  if (info.Length() > 3 && !info[3].IsUndefined()) slots = static_cast<size_t>(IntArg(info, 3, call, "batchSlots", 1, 4096));
  if (info.Length() > 4 && !info[4].IsUndefined()) {
    control_.spinNs = IntArg(info, 4, call, "receiveSpinUs", 0, kMaxSpinUs) * 1000;
  }

  errno = 0;
  int r = umad_init();
  if (r < 0) throw UmadError(env, "umad_init", r, errno);

  std::vector<std::string> cas = CaNames(env);
  if (cas.empty()) {
    throw PlainError(env, "umad_get_ca_device_list", ENODEV,
                     "no HCA: no InfiniBand device under " SYS_INFINIBAND);
  }
  if (info[0].IsString()) {
    caName_ = info[0].As<Napi::String>().Utf8Value();
    if (std::find(cas.begin(), cas.end(), caName_) == cas.end()) {
      std::string present;
      for (const std::string& name : cas) present += (present.empty() ? "" : ", ") + name;
      throw PlainError(env, call, ENODEV, "no CA named " + Quoted(caName_) + " (CAs present: " + present + ")");
    }
  } else if (info[0].IsNull() || info[0].IsUndefined()) {
    caName_ = cas.front();
  } else {
    throw PlainError(env, call, EINVAL, "caName must be a string or null");
  }

  // Resolve port 0 ("any") to the concrete port so the IsSM path and info()
  // later name the same port this fd is bound to.
  umad_port_t port = GetPort(env, caName_, portNum_);
  portNum_ = port.portnum;
  umad_release_port(&port);

  errno = 0;
  int fd = umad_open_port(caName_.c_str(), portNum_);
  int err = errno;
  if (fd < 0) throw UmadError(env, "umad_open_port(" + Quoted(caName_) + ", " + std::to_string(portNum_) + ")", fd, err);
  fd_ = fd;
  sendBuffer_.assign(umad_size() + kMadSize, 0);

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    umad_close_port(fd_);
    fd_ = -1;
    throw PlainError(env, "napi_get_uv_event_loop", EINVAL, "no event loop for the receive hand-off");
  }
  auto shared = std::make_unique<ReceiveShared>();
  int r2 = uv_async_init(loop, &shared->async, OnAsync);
  if (r2 != 0) {
    umad_close_port(fd_);
    fd_ = -1;
    throw PlainError(env, "uv_async_init", -r2, std::string("receive hand-off: ") + uv_strerror(r2));
  }
  shared_ = shared.release();  // from here on, deleted by OnAsyncClosed
  shared_->async.data = shared_;
  shared_->env = env;
  shared_->onBatch = Napi::Persistent(info[2].As<Napi::Function>());
  napi_async_init(env, nullptr, Napi::String::New(env, "repath-umad-receive"), &shared_->asyncContext);
  Napi::ArrayBuffer batch = Napi::ArrayBuffer::New(env, slots * sizeof(ReceivedRecord));
  shared_->batch = Napi::Persistent(batch);
  shared_->batchData = static_cast<uint8_t*>(batch.Data());
  shared_->batchSlots = slots;
  shared_->pending.reserve(slots);
  shared_->draining.reserve(slots);
  receiver_ = std::thread(ReceiveLoop, fd_, &control_, shared_);
  // If the environment is torn down with the port still open (process.exit, a
  // worker ending), close it first: join the thread and close the async handle
  // while Node still runs the loop for it. Node waits for the handle's close
  // callback, which removes the hook (OnAsyncClosed).
  napi_add_async_cleanup_hook(env, TeardownHook, this, &teardownHook_);
}

void UmadPort::TeardownHook(napi_async_cleanup_hook_handle handle, void* self) {
  static_cast<UmadPort*>(self)->CloseNow(handle);
}

UmadPort::~UmadPort() { CloseNow(); }

void UmadPort::RequireOpen(Napi::Env env, const char* call) const {
  if (fd_ < 0) throw PlainError(env, call, EBADF, "port " + Quoted(caName_) + " " + std::to_string(portNum_) + " is closed");
}

Napi::Value UmadPort::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "umad_get_port");
  umad_port_t port = GetPort(env, caName_, portNum_);
  Napi::Object out = PortObject(env, port);
  umad_release_port(&port);
  return out;
}

// register(mgmtClass, classVersion, methods: number[], rmppVersion) -> agent id.
// Methods listed are the unsolicited requests this agent receives (e.g. Report
// 0x06 for an SA client); responses to its own sends arrive regardless.
Napi::Value UmadPort::Register(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* call = "umad_register";
  RequireOpen(env, call);
  int mgmtClass = static_cast<int>(IntArg(info, 0, call, "mgmtClass", 0, 255));
  int classVersion = static_cast<int>(IntArg(info, 1, call, "classVersion", 0, 255));
  // Only 0: this port deals in single 256-byte MADs, and with RMPP the kernel
  // would deliver reassembled payloads larger than the receive buffer.
  int rmppVersion = static_cast<int>(IntArg(info, 3, call, "rmppVersion", 0, 0));
  if (info.Length() < 3 || !info[2].IsArray()) throw PlainError(env, call, EINVAL, "methods must be an array of method numbers");
  Napi::Array methods = info[2].As<Napi::Array>();
  // The kernel's method mask is a 128-bit bitmap of longs: method m is bit m.
  long mask[16 / sizeof(long)] = {0};
  constexpr unsigned kBitsPerLong = sizeof(long) * 8;
  for (uint32_t i = 0; i < methods.Length(); i++) {
    Napi::Value value = methods.Get(i);
    double m = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
    if (!(m >= 0 && m <= 127) || m != static_cast<int>(m)) {
      throw PlainError(env, call, EINVAL, "methods[" + std::to_string(i) + "]: " + value.ToString().Utf8Value() + " is not a method in [0, 127]");
    }
    unsigned bit = static_cast<unsigned>(m);
    mask[bit / kBitsPerLong] |= 1L << (bit % kBitsPerLong);
  }
  errno = 0;
  int agent = umad_register(fd_, mgmtClass, classVersion, static_cast<uint8_t>(rmppVersion), mask);
  int err = errno;
  if (agent < 0) {
    char args[64];
    snprintf(args, sizeof args, "(class 0x%02x, version %d)", mgmtClass, classVersion);
    throw UmadError(env, std::string(call) + args, agent, err);
  }
  agents_.push_back(agent);
  return Napi::Number::New(env, agent);
}

// unregister(agentId) -> whether it was registered here (idempotent).
Napi::Value UmadPort::Unregister(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* call = "umad_unregister";
  int agent = static_cast<int>(IntArg(info, 0, call, "agentId", 0, 0xffffffffLL));
  auto it = std::find(agents_.begin(), agents_.end(), agent);
  if (fd_ < 0 || it == agents_.end()) return Napi::Boolean::New(env, false);
  agents_.erase(it);
  errno = 0;
  int r = umad_unregister(fd_, agent);
  int err = errno;
  if (r < 0) throw UmadError(env, std::string(call) + "(" + std::to_string(agent) + ")", r, err);
  return Napi::Boolean::New(env, true);
}

// openIsSm() -> the issm device path. Opening it sets IsSM in the port's
// capability mask; under ibsim's umad2sim this is what makes the simulator
// deliver unsolicited GSI MADs (Reports) to this client. Idempotent.
Napi::Value UmadPort::OpenIsSm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireOpen(env, "umad_get_issm_path");
  char path[256] = {0};
  errno = 0;
  int r = umad_get_issm_path(caName_.c_str(), portNum_, path, sizeof path);
  int err = errno;
  if (r < 0) throw UmadError(env, "umad_get_issm_path(" + Quoted(caName_) + ", " + std::to_string(portNum_) + ")", r, err);
  if (issmFd_ < 0) {
    int fd = OpenIsSmDevice(path);
    if (fd < 0) throw UmadError(env, "open(" + Quoted(path) + ")", fd, -fd);
    issmFd_ = fd;
  }
  return Napi::String::New(env, path);
}

// send(agentId, mad: Uint8Array(256), dlid, dqpn, qkey, sl, pkeyIndex, timeoutMs, retries)
Napi::Value UmadPort::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* call = "umad_send";
  RequireOpen(env, call);
  int agent = static_cast<int>(IntArg(info, 0, call, "agentId", 0, 0x7fffffff));
  if (std::find(agents_.begin(), agents_.end(), agent) == agents_.end()) {
    throw PlainError(env, call, EINVAL, "agentId: " + std::to_string(agent) + " is not registered on this port");
  }
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw PlainError(env, call, EINVAL, "mad must be a Uint8Array");
  }
  Napi::Uint8Array mad = info[1].As<Napi::Uint8Array>();
  if (mad.ByteLength() != kMadSize) {
    throw PlainError(env, call, EINVAL, "mad: length " + std::to_string(mad.ByteLength()) + " is not 256");
  }
  int dlid = static_cast<int>(IntArg(info, 2, call, "dlid", 0, 0xffff));
  int dqpn = static_cast<int>(IntArg(info, 3, call, "dqpn", 0, 0xffffff));
  int64_t qkey = IntArg(info, 4, call, "qkey", 0, 0xffffffffLL);
  int sl = static_cast<int>(IntArg(info, 5, call, "sl", 0, 15));
  int pkeyIndex = static_cast<int>(IntArg(info, 6, call, "pkeyIndex", 0, 0xffff));
  int timeoutMs = static_cast<int>(IntArg(info, 7, call, "timeoutMs", 0, 0x7fffffff));
  int retries = static_cast<int>(IntArg(info, 8, call, "retries", 0, 0x7fffffff));

  // A request (R bit clear; TrapRepress 0x07 is the one response without it)
  // will be answered: let a spinning receive thread keep spinning for it.
  uint8_t method = mad.Data()[3];
  if (control_.spinNs > 0 && (method & 0x80) == 0 && method != 0x07) {
    control_.lastRequestNs.store(MonotonicNs(), std::memory_order_relaxed);
  }

  void* umad = sendBuffer_.data();
  memset(umad, 0, umad_size());
  memcpy(umad_get_mad(umad), mad.Data(), kMadSize);
  umad_set_addr(umad, dlid, dqpn, sl, static_cast<int>(static_cast<uint32_t>(qkey)));
  umad_set_pkey(umad, pkeyIndex);
  errno = 0;
  int r = umad_send(fd_, agent, umad, static_cast<int>(kMadSize), timeoutMs, retries);
  int err = errno;
  if (r < 0) {
    char args[64];
    snprintf(args, sizeof args, "(agent %d, dlid %d, dqpn %d)", agent, dlid, dqpn);
    throw UmadError(env, std::string(call) + args, r, err);
  }
  return env.Undefined();
}

void UmadPort::CloseNow(napi_async_cleanup_hook_handle teardown) {
  // Closed by the program before teardown: the hook has nothing left to do.
  if (teardown == nullptr && teardownHook_ != nullptr) napi_remove_async_cleanup_hook(teardownHook_);
  teardownHook_ = nullptr;
  if (fd_ < 0) {
    if (teardown != nullptr) napi_remove_async_cleanup_hook(teardown);
    return;
  }
  control_.stop.store(true, std::memory_order_release);
  if (receiver_.joinable()) receiver_.join();
  for (int agent : agents_) umad_unregister(fd_, agent);
  agents_.clear();
  if (issmFd_ >= 0) {
    close(issmFd_);  // clears IsSM
    issmFd_ = -1;
  }
  umad_close_port(fd_);
  fd_ = -1;
  ReceiveShared* shared = shared_;
  shared_ = nullptr;
  if (shared == nullptr) {  // the constructor failed before the hand-off existed
    if (teardown != nullptr) napi_remove_async_cleanup_hook(teardown);
    return;
  }
  shared->closed = true;  // a wake-up still pending delivers nothing
  shared->onBatch.Reset();
  shared->batch.Reset();
  if (shared->asyncContext != nullptr) napi_async_destroy(shared->env, shared->asyncContext);
  shared->asyncContext = nullptr;
  shared->teardown = teardown;
  uv_close(reinterpret_cast<uv_handle_t*>(&shared->async), OnAsyncClosed);
}

Napi::Value UmadPort::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

// ref()/unref(): whether an open port keeps the process alive (it does by default).
Napi::Value UmadPort::Ref(const Napi::CallbackInfo& info) {
  if (shared_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&shared_->async));
  return info.Env().Undefined();
}

Napi::Value UmadPort::Unref(const Napi::CallbackInfo& info) {
  if (shared_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&shared_->async));
  return info.Env().Undefined();
}

Napi::Value UmadPort::BatchBuffer(const Napi::CallbackInfo& info) {
  if (shared_ == nullptr) return info.Env().Null();
  return shared_->batch.Value();
}

// stats() -> how received MADs reached the receive thread and JavaScript.
Napi::Value UmadPort::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  auto number = [&](const std::atomic<uint64_t>& counter) {
    return Napi::Number::New(env, static_cast<double>(counter.load(std::memory_order_relaxed)));
  };
  out.Set("receiveSpinUs", Napi::Number::New(env, static_cast<double>(control_.spinNs / 1000)));
  out.Set("received", number(control_.received));
  out.Set("caughtSpinning", number(control_.caughtSpinning));
  out.Set("afterSleep", number(control_.afterSleep));
  out.Set("handoffs", number(control_.handoffs));
  out.Set("spinBackoffs", number(control_.spinBackoffs));
  return out;
}

Napi::Value ListCas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> names = CaNames(env);
  Napi::Array out = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); i++) out.Set(i, Napi::String::New(env, names[i]));
  return out;
}

}  // namespace repath
