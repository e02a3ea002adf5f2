// Node binding of the kvssink ring (native/ring). Thin on purpose: src/ring/ring.ts
// validates arguments and shapes results; this layer only type-checks and calls C.

#include <napi.h>
#include <uv.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

extern "C" {
#include "../ring/kvs_ring.h"
}

namespace {

#define REQUIRE_NUMBER(info, i, what)                                         \
  if (info.Length() <= (i) || !info[i].IsNumber()) {                          \
    Napi::TypeError::New(info.Env(), "Expected " what " to be a number")       \
        .ThrowAsJavaScriptException();                                         \
    return info.Env().Undefined();                                             \
  }

#define REQUIRE_BIGINT(info, i, what)                                         \
  if (info.Length() <= (i) || !info[i].IsBigInt()) {                          \
    Napi::TypeError::New(info.Env(), "Expected " what " to be a bigint")       \
        .ThrowAsJavaScriptException();                                         \
    return info.Env().Undefined();                                             \
  }

Napi::Error RingError(Napi::Env env, int code, const char* what) {
  Napi::Error err = Napi::Error::New(
      env, std::string(what) + ": " + kvs_ring_strerror(code) +
               (code == KVS_RING_E_SYS ? std::string(" (") + std::strerror(errno) + ")" : ""));
  err.Set("code", Napi::String::New(env, kvs_ring_strerror(code)));
  return err;
}

struct AddonData {
  Napi::FunctionReference ring;
  Napi::FunctionReference watcher;
};

class Ring : public Napi::ObjectWrap<Ring> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "Ring",
        {
            StaticMethod<&Ring::JS_create>("create"),
            StaticMethod<&Ring::JS_attach>("attach"),
            InstanceMethod<&Ring::JS_readRegion>("readRegion"),
            InstanceMethod<&Ring::JS_peerFds>("peerFds"),
            InstanceMethod<&Ring::JS_closePeerFds>("closePeerFds"),
            InstanceMethod<&Ring::JS_setReadViews>("setReadViews"),
            InstanceMethod<&Ring::JS_read>("read"),
            InstanceMethod<&Ring::JS_write>("write"),
            InstanceMethod<&Ring::JS_release>("release"),
            InstanceMethod<&Ring::JS_seek>("seek"),
            InstanceMethod<&Ring::JS_arm>("arm"),
            InstanceMethod<&Ring::JS_disarm>("disarm"),
            InstanceMethod<&Ring::JS_takeWakeups>("takeWakeups"),
            InstanceMethod<&Ring::JS_readFd>("readFd"),
            InstanceMethod<&Ring::JS_renewPeer>("renewPeer"),
            InstanceMethod<&Ring::JS_workerState>("workerState"),
            InstanceMethod<&Ring::JS_positions>("positions"),
            InstanceMethod<&Ring::JS_close>("close"),
        });
  }

  Ring(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ring>(info) {}
  ~Ring() { Close(); }

  KvsRing* ring() const { return ring_; }

 private:
  static Napi::Value Wrap(Napi::Env env, KvsRing* handle, KvsRingRole role) {
    Napi::Object obj = env.GetInstanceData<struct AddonData>()->ring.New({});
    Ring* self = Ring::Unwrap(obj);
    self->ring_ = handle;
    self->role_ = role;
    return obj;
  }

  static Napi::Value JS_create(const Napi::CallbackInfo& info) {
    REQUIRE_NUMBER(info, 0, "forwardCapacity");
    REQUIRE_NUMBER(info, 1, "backCapacity");
    KvsRing* handle = nullptr;
    int rc = kvs_ring_create(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()),
                             static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()), &handle);
    if (rc != KVS_RING_OK) {
      RingError(info.Env(), rc, "kvs_ring_create").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Wrap(info.Env(), handle, KVS_RING_ROLE_ELEMENT);
  }

  static Napi::Value JS_attach(const Napi::CallbackInfo& info) {
    REQUIRE_NUMBER(info, 0, "memfd");
    REQUIRE_NUMBER(info, 1, "forwardSock");
    REQUIRE_NUMBER(info, 2, "backSock");
    REQUIRE_NUMBER(info, 3, "role");
    KvsRingRole role = info[3].As<Napi::Number>().Int32Value() == 0 ? KVS_RING_ROLE_ELEMENT
                                                                     : KVS_RING_ROLE_WORKER;
    KvsRing* handle = nullptr;
    int rc = kvs_ring_attach(info[0].As<Napi::Number>().Int32Value(),
                             info[1].As<Napi::Number>().Int32Value(),
                             info[2].As<Napi::Number>().Int32Value(), role, &handle);
    if (rc != KVS_RING_OK) {
      RingError(info.Env(), rc, "kvs_ring_attach").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Wrap(info.Env(), handle, role);
  }

  bool CheckOpen(Napi::Env env) {
    if (ring_ == nullptr) {
      Napi::Error err = Napi::Error::New(env, "The ring is closed");
      err.Set("code", Napi::String::New(env, "RING_CLOSED"));
      err.ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  KvsRingDirection ReadDirection() const {
    return role_ == KVS_RING_ROLE_ELEMENT ? KVS_RING_BACK : KVS_RING_FORWARD;
  }

  // The region this side reads, as one external ArrayBuffer: payloads are views into
  // it, valid until the records are released. close() detaches it, so stale views
  // throw instead of reading unmapped memory.
  Napi::Value JS_readRegion(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    if (region_.IsEmpty()) {
      KvsRingDirection dir = ReadDirection();
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), kvs_ring_data(ring_, dir),
                                                    kvs_ring_capacity(ring_, dir));
      region_ = Napi::Persistent(ab);
    }
    return region_.Value();
  }

  Napi::Value JS_peerFds(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    Napi::Array fds = Napi::Array::New(info.Env(), 3);
    fds.Set(0u, Napi::Number::New(info.Env(), kvs_ring_peer_memfd(ring_)));
    fds.Set(1u, Napi::Number::New(info.Env(), kvs_ring_peer_forward_sock(ring_)));
    fds.Set(2u, Napi::Number::New(info.Env(), kvs_ring_peer_back_sock(ring_)));
    return fds;
  }

  Napi::Value JS_closePeerFds(const Napi::CallbackInfo& info) {
    if (ring_) kvs_ring_close_peer_fds(ring_);
    return info.Env().Undefined();
  }

  // u32: [type, track, flags, length, payloadOffset]; f64: [position, next];
  // i64: [pts, dts, duration, aux]. Filled by read() so a record costs no allocation.
  Napi::Value JS_setReadViews(const Napi::CallbackInfo& info) {
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
        !info[2].IsTypedArray()) {
      Napi::TypeError::New(info.Env(), "Expected (Uint32Array, Float64Array, BigInt64Array)")
          .ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    Napi::TypedArray a = info[0].As<Napi::TypedArray>();
    Napi::TypedArray b = info[1].As<Napi::TypedArray>();
    Napi::TypedArray c = info[2].As<Napi::TypedArray>();
    if (a.TypedArrayType() != napi_uint32_array || a.ElementLength() < 5 ||
        b.TypedArrayType() != napi_float64_array || b.ElementLength() < 2 ||
        c.TypedArrayType() != napi_bigint64_array || c.ElementLength() < 4) {
      Napi::TypeError::New(info.Env(), "Read views have the wrong type or length")
          .ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    u32_ = Napi::Persistent(a.As<Napi::Uint32Array>());
    f64_ = Napi::Persistent(b.As<Napi::Float64Array>());
    i64_ = Napi::Persistent(c.As<Napi::BigInt64Array>());
    u32p_ = u32_.Value().Data();
    f64p_ = f64_.Value().Data();
    i64p_ = i64_.Value().Data();
    return info.Env().Undefined();
  }

  // Returns 0 (a record is in the views), or a negative ring code (-2: empty).
  Napi::Value JS_read(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    if (u32p_ == nullptr) {
      Napi::Error::New(info.Env(), "setReadViews() first").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    KvsRingRecord rec;
    int rc = kvs_ring_read(ring_, &rec);
    if (rc == KVS_RING_OK) {
      const uint8_t* base = kvs_ring_data(ring_, ReadDirection());
      u32p_[0] = rec.header.type;
      u32p_[1] = rec.header.track;
      u32p_[2] = rec.header.flags;
      u32p_[3] = rec.header.length;
      u32p_[4] = static_cast<uint32_t>(rec.payload - base);
      f64p_[0] = static_cast<double>(rec.position);
      f64p_[1] = static_cast<double>(rec.next);
      i64p_[0] = rec.header.pts;
      i64p_[1] = rec.header.dts;
      i64p_[2] = rec.header.duration;
      i64p_[3] = static_cast<int64_t>(rec.header.aux);
    }
    return Napi::Number::New(info.Env(), rc);
  }

  // write(type, track, flags, pts, dts, duration, aux, payload|null, timeoutMs) -> code
  Napi::Value JS_write(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    REQUIRE_NUMBER(info, 0, "type");
    REQUIRE_NUMBER(info, 1, "track");
    REQUIRE_NUMBER(info, 2, "flags");
    REQUIRE_BIGINT(info, 3, "pts");
    REQUIRE_BIGINT(info, 4, "dts");
    REQUIRE_BIGINT(info, 5, "duration");
    REQUIRE_BIGINT(info, 6, "aux");
    REQUIRE_NUMBER(info, 8, "timeoutMs");
    bool lossless = false;
    KvsRingRecordHeader hdr;
    std::memset(&hdr, 0, sizeof hdr);
    hdr.type = static_cast<uint16_t>(info[0].As<Napi::Number>().Uint32Value());
    hdr.track = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    hdr.flags = info[2].As<Napi::Number>().Uint32Value();
    hdr.pts = info[3].As<Napi::BigInt>().Int64Value(&lossless);
    hdr.dts = info[4].As<Napi::BigInt>().Int64Value(&lossless);
    hdr.duration = info[5].As<Napi::BigInt>().Int64Value(&lossless);
    hdr.aux = info[6].As<Napi::BigInt>().Uint64Value(&lossless);
    const void* part = nullptr;
    size_t len = 0;
    if (info[7].IsTypedArray()) {
      Napi::TypedArray ta = info[7].As<Napi::TypedArray>();
      part = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      len = ta.ByteLength();
    } else if (!info[7].IsNull() && !info[7].IsUndefined()) {
      Napi::TypeError::New(info.Env(), "Expected payload to be a Uint8Array or null")
          .ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    const void* parts[1] = {part};
    size_t lens[1] = {len};
    int rc = kvs_ring_write(ring_, &hdr, parts, lens, len ? 1 : 0,
                            info[8].As<Napi::Number>().Int32Value(), -1);
    return Napi::Number::New(info.Env(), rc);
  }

  Napi::Value JS_release(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    REQUIRE_NUMBER(info, 0, "position");
    int rc = kvs_ring_release(ring_, static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
    return Napi::Number::New(info.Env(), rc);
  }

  Napi::Value JS_seek(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    REQUIRE_NUMBER(info, 0, "position");
    int rc = kvs_ring_seek(ring_, static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
    return Napi::Number::New(info.Env(), rc);
  }

  // [readPos, releasedPos, writtenForward, writtenBack, capacityForward, capacityBack, maxPayloadWrite]
  Napi::Value JS_positions(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    Napi::Env env = info.Env();
    KvsRingDirection wdir = role_ == KVS_RING_ROLE_ELEMENT ? KVS_RING_FORWARD : KVS_RING_BACK;
    Napi::Array out = Napi::Array::New(env, 7);
    out.Set(0u, Napi::Number::New(env, static_cast<double>(kvs_ring_read_position(ring_))));
    out.Set(1u, Napi::Number::New(env, static_cast<double>(kvs_ring_released_position(ring_))));
    out.Set(2u, Napi::Number::New(env, static_cast<double>(kvs_ring_written_position(ring_, KVS_RING_FORWARD))));
    out.Set(3u, Napi::Number::New(env, static_cast<double>(kvs_ring_written_position(ring_, KVS_RING_BACK))));
    out.Set(4u, Napi::Number::New(env, static_cast<double>(kvs_ring_capacity(ring_, KVS_RING_FORWARD))));
    out.Set(5u, Napi::Number::New(env, static_cast<double>(kvs_ring_capacity(ring_, KVS_RING_BACK))));
    out.Set(6u, Napi::Number::New(env, static_cast<double>(kvs_ring_max_payload(ring_, wdir))));
    return out;
  }

  // Waiting happens on the event loop (watchFd on readFd()), never on a thread:
  // one worker serves many rings, more than libuv's thread pool has threads.
  Napi::Value JS_arm(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), kvs_ring_arm_reader(ring_));
  }

  Napi::Value JS_disarm(const Napi::CallbackInfo& info) {
    if (ring_) kvs_ring_disarm_reader(ring_);
    return info.Env().Undefined();
  }

  Napi::Value JS_takeWakeups(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), kvs_ring_take_wakeups(ring_));
  }

  Napi::Value JS_readFd(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), kvs_ring_read_fd(ring_));
  }

  Napi::Value JS_renewPeer(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), kvs_ring_renew_peer(ring_));
  }

  // The worker's state area in the header page, kept across worker restarts.
  Napi::Value JS_workerState(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    if (state_.IsEmpty()) {
      state_ = Napi::Persistent(Napi::ArrayBuffer::New(info.Env(), kvs_ring_worker_state(ring_),
                                                       KVS_RING_WORKER_STATE_BYTES));
    }
    return state_.Value();
  }

  Napi::Value JS_close(const Napi::CallbackInfo& info) {
    Close();
    return info.Env().Undefined();
  }

  void Close() {
    for (Napi::Reference<Napi::ArrayBuffer>* ref : {&region_, &state_}) {
      if (ref->IsEmpty()) continue;
      Napi::ArrayBuffer ab = ref->Value();
      if (!ab.IsDetached()) ab.Detach();
      ref->Reset();
    }
    if (ring_ != nullptr) {
      kvs_ring_free(ring_);
      ring_ = nullptr;
    }
  }

  KvsRing* ring_ = nullptr;
  KvsRingRole role_ = KVS_RING_ROLE_WORKER;
  Napi::Reference<Napi::ArrayBuffer> region_;
  Napi::Reference<Napi::ArrayBuffer> state_;
  Napi::Reference<Napi::Uint32Array> u32_;
  Napi::Reference<Napi::Float64Array> f64_;
  Napi::Reference<Napi::BigInt64Array> i64_;
  uint32_t* u32p_ = nullptr;
  double* f64p_ = nullptr;
  int64_t* i64p_ = nullptr;
};

// watchFd(fd, callback): calls callback(events) on the event loop whenever fd is
// readable or hung up (events: 1 readable, 2 hang-up or error). The returned object's
// close() stops watching; the fd itself stays open (its owner closes it).
class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "FdWatcher", {InstanceMethod<&FdWatcher::JS_close>("close")});
  }

  FdWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "Expected (fd, callback)").ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      Napi::Error::New(env, "No event loop").ThrowAsJavaScriptException();
      return;
    }
    // Polls a duplicate, closed only once libuv has let go of the handle: the owner may
    // close its fd at any time, and a new fd with the same number may be watched at once.
    int fd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      Napi::Error::New(env, std::string("watchFd: ") + std::strerror(errno)).ThrowAsJavaScriptException();
      return;
    }
    env_ = env;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    handle_ = new PollHandle;
    handle_->fd = fd;
    handle_->poll.data = this;
    int rc = uv_poll_init(loop, &handle_->poll, fd);
    if (rc != 0) {
      close(fd);
      delete handle_;
      handle_ = nullptr;
      Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc)).ThrowAsJavaScriptException();
      return;
    }
    uv_poll_start(&handle_->poll, UV_READABLE | UV_DISCONNECT, OnPoll);
    // Keeps the JS object (and so this) alive while watching.
    self_ = Napi::Persistent(info.This().As<Napi::Object>());
  }

  ~FdWatcher() { Stop(); }

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<FdWatcher*>(handle->data);
    if (self == nullptr || self->callback_.IsEmpty()) return;
    int what = (status < 0 || (events & UV_DISCONNECT)) ? 2 : 1;
    Napi::HandleScope scope(self->env_);
    // MakeCallback: exceptions reach process 'uncaughtException' and microtasks
    // (promise continuations) run before returning to the loop.
    self->callback_.MakeCallback(self->env_.Global(), {Napi::Number::New(self->env_, what)});
  }

  void Stop() {
    if (handle_ == nullptr) return;
    uv_poll_stop(&handle_->poll);
    handle_->poll.data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), [](uv_handle_t* h) {
      // poll is the first member: h is the PollHandle.
      auto* handle = reinterpret_cast<PollHandle*>(h);
      close(handle->fd);
      delete handle;
    });
    handle_ = nullptr;
    callback_.Reset();
  }

  Napi::Value JS_close(const Napi::CallbackInfo& info) {
    Stop();
    if (!self_.IsEmpty()) self_.Reset();
    return info.Env().Undefined();
  }

  struct PollHandle {
    uv_poll_t poll;
    int fd;
  };
  Napi::Env env_ = Napi::Env(nullptr);
  PollHandle* handle_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::ObjectReference self_;
};

// recvControl(fd): one message from a SOCK_SEQPACKET control socket, with the fds
// it carries (SCM_RIGHTS). Returns { data: Buffer, fds: number[] }, null when
// nothing is waiting, or false when the peer closed the socket.
Napi::Value RecvControl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "Expected fd to be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  static thread_local uint8_t data[256 * 1024];
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
  struct iovec iov = {data, sizeof data};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return env.Null();
  if (n <= 0) return Napi::Boolean::New(env, false);
  Napi::Array fds = Napi::Array::New(env);
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* received = reinterpret_cast<const int*>(CMSG_DATA(c));
    for (size_t i = 0; i < count; i++) fds.Set(fds.Length(), Napi::Number::New(env, received[i]));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", Napi::Buffer<uint8_t>::Copy(env, data, static_cast<size_t>(n)));
  out.Set("fds", fds);
  out.Set("truncated", Napi::Boolean::New(env, (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ring = Ring::Init(env);
  Napi::Function watcher = FdWatcher::Init(env);
  auto* data = new AddonData{Napi::Persistent(ring), Napi::Persistent(watcher)};
  env.SetInstanceData(data);
  exports.Set("Ring", ring);
  exports.Set("FdWatcher", watcher);
  exports.Set("recvControl", Napi::Function::New(env, RecvControl));
  exports.Set("closeFd", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info.Length() > 0 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }));
  Napi::Object c = Napi::Object::New(env);
#define EXPORT_CONST(name) c.Set(#name, Napi::Number::New(env, name))
  EXPORT_CONST(KVS_RING_VERSION);
  EXPORT_CONST(KVS_RING_RECORD_HEADER_BYTES);
  EXPORT_CONST(KVS_RING_HEADER_BYTES);
  EXPORT_CONST(KVS_RING_WORKER_STATE_BYTES);
  EXPORT_CONST(KVS_RING_REC_CONFIG);
  EXPORT_CONST(KVS_RING_REC_TRACK);
  EXPORT_CONST(KVS_RING_REC_FRAME);
  EXPORT_CONST(KVS_RING_REC_METADATA);
  EXPORT_CONST(KVS_RING_REC_EOS);
  EXPORT_CONST(KVS_RING_REC_FLUSH);
  EXPORT_CONST(KVS_RING_REC_SHUTDOWN);
  EXPORT_CONST(KVS_RING_REC_DROPPED_AT_ELEMENT);
  EXPORT_CONST(KVS_RING_REC_READY);
  EXPORT_CONST(KVS_RING_REC_STREAM_ERROR);
  EXPORT_CONST(KVS_RING_REC_FRAGMENT_ACK);
  EXPORT_CONST(KVS_RING_REC_METRICS);
  EXPORT_CONST(KVS_RING_REC_STREAM_CLOSED);
  EXPORT_CONST(KVS_RING_REC_LOG);
  EXPORT_CONST(KVS_RING_REC_WARNING);
  EXPORT_CONST(KVS_RING_REC_DROPPED);
  EXPORT_CONST(KVS_RING_REC_MESSAGE);
  EXPORT_CONST(KVS_RING_FRAME_KEY);
  EXPORT_CONST(KVS_RING_FRAME_DISCONT);
  EXPORT_CONST(KVS_RING_FRAME_HEADER);
  EXPORT_CONST(KVS_RING_FRAME_CORRUPTED);
  EXPORT_CONST(KVS_RING_FRAME_DECODE_ONLY);
  EXPORT_CONST(KVS_RING_FRAME_GAP);
  EXPORT_CONST(KVS_RING_OK);
  EXPORT_CONST(KVS_RING_E_FULL);
  EXPORT_CONST(KVS_RING_E_EMPTY);
  EXPORT_CONST(KVS_RING_E_TIMEOUT);
  EXPORT_CONST(KVS_RING_E_HANGUP);
  EXPORT_CONST(KVS_RING_E_CANCELLED);
  EXPORT_CONST(KVS_RING_E_TOO_LARGE);
  EXPORT_CONST(KVS_RING_E_VERSION);
  EXPORT_CONST(KVS_RING_E_CORRUPT);
#undef EXPORT_CONST
  exports.Set("constants", c);
  exports.Set("strerror", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsNumber()) return info.Env().Undefined();
    return Napi::String::New(info.Env(), kvs_ring_strerror(info[0].As<Napi::Number>().Int32Value()));
  }));
  return exports;
}

}  // namespace

NODE_API_MODULE(kvssink_ring, Init)
