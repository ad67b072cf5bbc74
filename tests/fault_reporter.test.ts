// The C files scripts/gpu-bench.sh builds on the device (native/bench/fault_reporter.c,
// no_pkeys.c, cuda_preinit.c), built here with gcc and preloaded into tiny C programs: the fault
// reporter's line for a bad pointer, the libraries it lists, the refused protection key, and the
// CUDA pre-initialisation doing nothing where there is no driver. Ignored where gcc is absent.
import assert from "node:assert/strict";
import { join } from "node:path";

const bench = (name: string) => new URL(`../native/bench/${name}`, import.meta.url).pathname;
const hasGcc = new Deno.Command("bash", { args: ["-c", "command -v gcc"], stdout: "null" })
  .outputSync().success;

async function gcc(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("gcc", { args, cwd: dir, stderr: "piped" }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** Builds `source` (C text) into `dir/name` and runs it with `env`; its exit and stderr. */
async function runProgram(dir: string, name: string, source: string, env: Record<string, string>) {
  await Deno.writeTextFile(join(dir, `${name}.c`), source);
  await gcc(dir, ["-O0", "-o", name, `${name}.c`, "-ldl"]);
  const out = await new Deno.Command(join(dir, name), { env, stderr: "piped", stdout: "piped" })
    .output();
  return { ...out, text: new TextDecoder().decode(out.stderr) };
}

/** A temporary folder with LIBRARY.so built from native/bench/LIBRARY.c, for `fn`. */
async function withPreload(library: string, fn: (dir: string, so: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "fault-reporter-test-" });
  try {
    await gcc(dir, [
      "-O2",
      "-fPIC",
      "-shared",
      "-o",
      `${library}.so`,
      bench(`${library}.c`),
      "-ldl",
    ]);
    await fn(dir, join(dir, `${library}.so`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const BAD_POINTER = `#include <stdio.h>
int main(void) {
  volatile int *p = (volatile int *)0xdead0;
  fprintf(stderr, "dereferencing\\n");
  return *p;
}
`;

Deno.test({
  name:
    "the fault reporter prints signal 11, si_code, the fault address and the instruction's place, then dies of the signal",
  ignore: !hasGcc,
  fn: () =>
    withPreload("fault_reporter", async (dir, so) => {
      const r = await runProgram(dir, "bad_pointer", BAD_POINTER, { LD_PRELOAD: so });
      assert.equal(r.signal, "SIGSEGV", r.text);
      assert.match(
        r.text,
        /fault_reporter: SIGSEGV \(11\) si_code 1 \(SEGV_MAPERR\) addr 0xdead0 pkey -?\d+ ip 0x[0-9a-f]+ in \S+bad_pointer\+0x[0-9a-f]+ pkru (n\/a|0x[0-9a-f]+) pid \d+ tid \d+\n/,
      );
    }),
});

Deno.test({
  name:
    "the fault reporter lists the torch/CUDA libraries mapped, at a crash and (FAULT_REPORTER_MAPS=1) at exit",
  ignore: !hasGcc,
  fn: () =>
    withPreload("fault_reporter", async (dir, so) => {
      // A library named as libtorch's are, opened by path, then a normal exit and a crash.
      await Deno.writeTextFile(join(dir, "standin.c"), "int standin(void) { return 1; }\n");
      await gcc(dir, ["-fPIC", "-shared", "-o", "libtorch_standin.so", "standin.c"]);
      const source = `#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  if (dlopen("${dir}/libtorch_standin.so", RTLD_NOW) == NULL) return 2;
  if (argc > 1) abort();
  return 0;
}
`;
      const exit = await runProgram(dir, "opens", source, {
        LD_PRELOAD: so,
        FAULT_REPORTER_MAPS: "1",
      });
      assert.equal(exit.code, 0, exit.text);
      assert.equal(exit.text, `fault_reporter: loaded ${dir}/libtorch_standin.so\n`);
      const quiet = await new Deno.Command(join(dir, "opens"), {
        env: { LD_PRELOAD: so },
        stderr: "piped",
      })
        .output();
      assert.equal(new TextDecoder().decode(quiet.stderr), "");
      const abort = await new Deno.Command(join(dir, "opens"), {
        args: ["abort"],
        env: { LD_PRELOAD: so },
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(abort.stderr);
      assert.equal(abort.signal, "SIGABRT", text);
      assert.match(
        text,
        /^fault_reporter: SIGABRT \(6\) si_code -6 \(SI_TKILL\) ip 0x[0-9a-f]+ in \S+libc\S*/,
      );
      assert.match(text, new RegExp(`\\nfault_reporter: loaded ${dir}/libtorch_standin\\.so\\n$`));
    }),
});

Deno.test({
  name: "no_pkeys.so makes pkey_alloc refuse every key (-1, ENOSPC) and says so once",
  ignore: !hasGcc,
  fn: () =>
    withPreload("no_pkeys", async (dir, so) => {
      const source = `#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
int main(void) {
  int a = pkey_alloc(0, 0), b = pkey_alloc(0, 0);
  printf("%d %d %d\\n", a, b, errno == ENOSPC);
  return 0;
}
`;
      const r = await runProgram(dir, "pkeys", source, { LD_PRELOAD: so });
      assert.equal(new TextDecoder().decode(r.stdout), "-1 -1 1\n");
      assert.equal(r.text, "no_pkeys: refused pkey_alloc\n");
    }),
});

Deno.test({
  name: "cuda_preinit.so says what it did before main: nothing without a CUDA driver",
  ignore: !hasGcc,
  fn: () =>
    withPreload("cuda_preinit", async (dir, so) => {
      const r = await runProgram(dir, "hello", "int main(void) { return 0; }\n", {
        LD_PRELOAD: so,
      });
      assert.equal(r.code, 0);
      // With a driver: each call's CUresult; without: why nothing was done.
      assert.match(
        r.text,
        /^cuda_preinit: (no driver, nothing done \(pid \d+\): .*libcuda\.so\.1.*|cuInit -?\d+, cuDeviceGet -?\d+, cuDevicePrimaryCtxRetain -?\d+ .*)\n$/,
      );
    }),
});
