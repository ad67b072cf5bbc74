// no_pkeys.c — a process without memory protection keys, for scripts/gpu-bench.sh's elimination:
// loaded with LD_PRELOAD, its pkey_alloc refuses every key (-1, ENOSPC, as on a CPU without PKU),
// so that V8 guards nothing with a key and no thread can fault on a key's rights. The first
// refusal is said on stderr ("no_pkeys: refused pkey_alloc"), which shows that something asked.
// A caller that makes the system call itself is not seen.
//
//   gcc -O2 -fPIC -shared -o no_pkeys.so no_pkeys.c
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

int pkey_alloc(unsigned int flags, unsigned int access_rights) {
  static int said;
  (void)flags;
  (void)access_rights;
  if (!said) {
    static const char msg[] = "no_pkeys: refused pkey_alloc\n";
    said = 1;
    (void)!write(2, msg, sizeof msg - 1);
  }
  errno = ENOSPC;
  return -1;
}
