{
  "targets": [
    {
      "target_name": "kvssink_ring",
      "sources": ["native/addon/ring-wrap.cc", "native/ring/kvs_ring.c"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags": ["-O2", "-Wall"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=c++17", "-O2"]
    }
  ]
}
