{
  "targets": [
    {
      "target_name": "metallb_native",
      "sources": ["addon.c", "watch.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
