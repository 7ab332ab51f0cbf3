{
  "targets": [
    {
      "target_name": "repath_umad",
      "sources": ["src/addon.cc", "src/umad_port.cc", "src/umad_error.cc", "src/umad_issm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fexceptions"],
      "libraries": ["-libumad", "-lpthread"]
    }
  ]
}
