{
  "targets": [
    {
      "target_name": "tfsweep_native",
      "sources": ["kernels.c"],
      "cflags": ["-O3", "-std=c11", "-fno-strict-aliasing", "-ffp-contract=off"],
      "cflags!": ["-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
