# Our deflate encoder (src/flash/zenc.c, in lfdriver): its fuzz target
# through fuzz.cmake's lf_fuzz (fuzz_zenc_replay replays the committed
# corpus tests/fuzz/corpus/zenc, each unit also behind a spread of selector
# bytes; fuzz_zenc / fuzz_zenc_run with clang). The cmocka test is
# tests/unit/test_zenc.c (the generic loop).
lf_fuzz(zenc MAXLEN 70000
  SOURCES tests/fuzz/fuzz_zenc.c src/flash/zenc.c
  DEFS LF_FUZZ_REPLAY_SPREAD
  LIBS PkgConfig::ZLIB)
