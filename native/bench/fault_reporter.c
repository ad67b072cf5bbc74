// fault_reporter.c — a crash's facts without a debugger, for scripts/gpu-bench.sh. Loaded with
// LD_PRELOAD into a probe or a run, it installs handlers for SIGSEGV, SIGBUS, SIGABRT, SIGILL and
// SIGFPE before the program's main; a fatal signal prints one line to stderr:
//
//   fault_reporter: SIGSEGV (11) si_code 4 (SEGV_PKUERR) addr 0x7f.. ip 0x7f.. in /path/lib.so
//     (symbol+0x1c) pkey 1 pkru 0x55555554 pid 1234 tid 1240
//
// (pkey: the protection key of the faulting address's mapping, from /proc/self/smaps; pkru: the
// thread's key rights when it faulted, from the signal frame's XSAVE area, x86-64 with PKU only),
// then the CUDA, cuDNN, cuBLAS, NCCL and torch libraries mapped in the process (/proc/self/maps),
// and re-raises the signal with its default action, so the exit status stays a signal's. With
// FAULT_REPORTER_MAPS=1 those libraries are also printed when the process exits normally. The
// handler uses write(2), open(2) and read(2) alone, except dladdr (which may take the loader's
// lock: a fault inside the loader could hang there, under the script's timeout).
//
//   gcc -O2 -fPIC -shared -o fault_reporter.so fault_reporter.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

static const int SIGNALS[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};

// ---- async-signal-safe output: a line assembled in a static buffer, written with write(2)
static char line[2048];
static size_t used;

static void put(const char *s) {
  while (*s != '\0' && used < sizeof line - 1) line[used++] = *s++;
}
static void put_n(const char *s, size_t n) {
  while (n-- > 0 && *s != '\0' && used < sizeof line - 1) line[used++] = *s++;
}
static void put_hex(uintptr_t v) {
  char b[19];
  int i = 18;
  b[i] = '\0';
  do {
    b[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  b[--i] = 'x';
  b[--i] = '0';
  put(b + i);
}
static void put_dec(long v) {
  char b[24];
  int i = 23;
  int negative = v < 0;
  unsigned long u = negative ? 0UL - (unsigned long)v : (unsigned long)v;
  b[i] = '\0';
  do {
    b[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (negative) b[--i] = '-';
  put(b + i);
}
static void flush(void) {
  size_t off = 0;
  line[used++] = '\n';
  while (off < used) {
    ssize_t n = write(2, line + off, used - off);
    if (n <= 0) break;
    off += (size_t)n;
  }
  used = 0;
}

// ---- /proc/self/{maps,smaps}, read line by line through a static buffer
static char buf[8192];
static size_t buf_len, buf_pos;

// The next line of `fd` (without its newline) into `out`, cut at `cap - 1`; 0 at the end.
static int next_line(int fd, char *out, size_t cap) {
  size_t n = 0;
  for (;;) {
    if (buf_pos == buf_len) {
      ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) {
        out[n] = '\0';
        return n > 0;
      }
      buf_len = (size_t)got;
      buf_pos = 0;
    }
    char c = buf[buf_pos++];
    if (c == '\n') break;
    if (n < cap - 1) out[n++] = c;
  }
  out[n] = '\0';
  return 1;
}

static uintptr_t parse_hex(const char **s) {
  uintptr_t v = 0;
  for (;; (*s)++) {
    char c = **s;
    if (c >= '0' && c <= '9') v = v * 16 + (uintptr_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v = v * 16 + (uintptr_t)(c - 'a' + 10);
    else return v;
  }
}

// Whether a maps/smaps header line "start-end perms ..." covers `addr`.
static int covers(const char *l, uintptr_t addr) {
  const char *s = l;
  uintptr_t lo = parse_hex(&s);
  if (*s != '-') return 0;
  s++;
  uintptr_t hi = parse_hex(&s);
  return *s == ' ' && addr >= lo && addr < hi;
}

// The protection key of the mapping holding `addr` (its smaps "ProtectionKey:" line); -1 when the
// mapping or the line (kernels without PKU) is absent.
static long pkey_of(uintptr_t addr) {
  char l[512];
  int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  long key = -1;
  int inside = 0;
  if (fd < 0) return -1;
  buf_len = buf_pos = 0;
  while (next_line(fd, l, sizeof l)) {
    // A mapping's header starts with its address in lower-case hex; its fields, "Name:", do not.
    int header = (l[0] >= '0' && l[0] <= '9') || (l[0] >= 'a' && l[0] <= 'f');
    if (header) {
      if (inside) break;
      inside = covers(l, addr);
    } else if (inside && strncmp(l, "ProtectionKey:", 14) == 0) {
      const char *s = l + 14;
      while (*s == ' ') s++;
      key = 0;
      while (*s >= '0' && *s <= '9') key = key * 10 + (*s++ - '0');
      break;
    }
  }
  close(fd);
  return key;
}

// Whether a mapped path is one of the libraries a CUDA crash turns on, by its file name's start.
static int of_interest(const char *path) {
  static const char *const PREFIXES[] = {
      "libcuda",  "libcudart", "libcudnn",     "libcublas", "libcufft",      "libcurand",
      "libcusparse", "libcusolver", "libcupti", "libnvrtc", "libnvJitLink", "libnvToolsExt",
      "libnvidia", "libnccl",   "libtorch",     "libc10",    "libcaffe2"};
  const char *base = strrchr(path, '/');
  base = base == NULL ? path : base + 1;
  for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0]; i++) {
    if (strncmp(base, PREFIXES[i], strlen(PREFIXES[i])) == 0) return 1;
  }
  return 0;
}

// One line per distinct library of interest in /proc/self/maps: "fault_reporter: loaded PATH".
static void print_libraries(void) {
  static char last[512];
  char l[768];
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  buf_len = buf_pos = 0;
  last[0] = '\0';
  while (next_line(fd, l, sizeof l)) {
    const char *path = strchr(l, '/');
    if (path == NULL || !of_interest(path) || strcmp(path, last) == 0) continue;
    put("fault_reporter: loaded ");
    put(path);
    flush();
    size_t n = strlen(path);
    if (n >= sizeof last) n = sizeof last - 1;
    memcpy(last, path, n);
    last[n] = '\0';
  }
  close(fd);
}

static const char *signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "signal";
  }
}

static const char *code_name(int sig, int code) {
  if (code == SI_USER) return "SI_USER";
  if (code == SI_TKILL) return "SI_TKILL";
  if (code == SI_QUEUE) return "SI_QUEUE";
  if (code == SI_KERNEL) return "SI_KERNEL";
  if (sig == SIGSEGV) {
    static const char *const SEGV[] = {"?", "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR",
                                       "SEGV_PKUERR"};
    if (code >= 1 && code <= 4) return SEGV[code];
  }
  if (sig == SIGBUS) {
    static const char *const BUS[] = {"?", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"};
    if (code >= 1 && code <= 3) return BUS[code];
  }
  return "?";
}

static uintptr_t instruction_pointer(const ucontext_t *uc) {
#if defined(__x86_64__)
  return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (uintptr_t)uc->uc_mcontext.pc;
#else
  (void)uc;
  return 0;
#endif
}

// The faulting thread's PKRU, from the XSAVE area of its signal frame (component 9, at the offset
// CPUID leaf 0xD sub-leaf 9 names; 0, its init value, when the frame marks it unchanged); -1 where
// the CPU or the OS has no protection keys, or the frame holds no XSAVE area.
static long pkru_of(const ucontext_t *uc) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, NULL) < 0xd || !__get_cpuid_count(7, 0, &a, &b, &c, &d) ||
      !(c & (1u << 4))) {
    return -1;  // no OSPKE: no PKRU
  }
  const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
  if (fp == NULL) return -1;
  uint32_t magic1, xstate_size;
  uint64_t xfeatures, xstate_bv;
  memcpy(&magic1, fp + 464, 4);  // struct _fpx_sw_bytes, in the FXSAVE area's software bytes
  memcpy(&xfeatures, fp + 472, 8);
  memcpy(&xstate_size, fp + 480, 4);
  if (magic1 != 0x46505853u || !(xfeatures & (1u << 9))) return -1;
  __get_cpuid_count(0xd, 9, &a, &b, &c, &d);  // a: size, b: offset of the PKRU component
  if (b + 4 > xstate_size) return -1;
  memcpy(&xstate_bv, fp + 512, 8);
  if (!(xstate_bv & (1u << 9))) return 0;
  uint32_t pkru;
  memcpy(&pkru, fp + b, 4);
  return (long)pkru;
#else
  (void)uc;
  return -1;
#endif
}

// " in LIB (SYMBOL+0xOFF)" for `addr`, or " in LIB+0xOFF" without a symbol; nothing unmapped.
static void put_place(uintptr_t addr) {
  Dl_info info;
  if (addr == 0 || dladdr((void *)addr, &info) == 0 || info.dli_fname == NULL) return;
  put(" in ");
  put(info.dli_fname);
  if (info.dli_sname != NULL && info.dli_saddr != NULL) {
    put(" (");
    put_n(info.dli_sname, 200);
    put("+");
    put_hex(addr - (uintptr_t)info.dli_saddr);
    put(")");
  } else {
    put("+");
    put_hex(addr - (uintptr_t)info.dli_fbase);
  }
}

static void on_fatal(int sig, siginfo_t *info, void *context) {
  const ucontext_t *uc = (const ucontext_t *)context;
  uintptr_t addr = (uintptr_t)info->si_addr, ip = instruction_pointer(uc);
  int sent = info->si_code <= 0;  // kill, tgkill, raise, abort: no fault address
  put("fault_reporter: ");
  put(signal_name(sig));
  put(" (");
  put_dec(sig);
  put(") si_code ");
  put_dec(info->si_code);
  put(" (");
  put(code_name(sig, info->si_code));
  put(")");
  if (!sent) {
    put(" addr ");
    put_hex(addr);
    put(" pkey ");
    put_dec(pkey_of(addr));
  }
  put(" ip ");
  put_hex(ip);
  put_place(ip);
  put(" pkru ");
  long pkru = pkru_of(uc);
  if (pkru < 0) put("n/a");
  else put_hex((uintptr_t)pkru);
  put(" pid ");
  put_dec((long)getpid());
  put(" tid ");
  put_dec((long)syscall(SYS_gettid));
  flush();
  print_libraries();
  // SA_RESETHAND put the default action back: a fault re-faults on return; a sent signal is sent
  // again to this thread (blocked until the handler returns).
  if (sent) syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

static int maps_at_exit;

__attribute__((constructor)) static void fault_reporter_install(void) {
  static char alt[1 << 16];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  sigaltstack(&ss, NULL);  // the main thread's: a stack overflow is reported too
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fatal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof SIGNALS / sizeof SIGNALS[0]; i++) sigaction(SIGNALS[i], &sa, NULL);
  const char *maps = getenv("FAULT_REPORTER_MAPS");
  maps_at_exit = maps != NULL && strcmp(maps, "1") == 0;
}

__attribute__((destructor)) static void fault_reporter_exit(void) {
  if (maps_at_exit) print_libraries();
}
