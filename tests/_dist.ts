/**
 * Helpers of the data-parallel tests: a rank run as its own process, ranks
 * run in a network namespace of their own, the bench launched with two ranks on a tiny data set.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { BENCH_MAIN, writeTinyDataset } from "./_helpers.ts";

/** Runs `script` with its JSON spec in a Deno process; the last stdout line, parsed. */
export async function runRank(
  script: string,
  spec: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, JSON.stringify(spec)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `rank ${spec.rank}: expected exit 0, found ${out.code}: ${text}`);
  return JSON.parse(text.split("\n").at(-1)!);
}

/** Whether this user may make a network namespace (unshare -rn) and bring its loopback up. */
export function canIsolateNetwork(): boolean {
  try {
    return new Deno.Command("unshare", {
      args: ["-rn", "ip", "link", "set", "lo", "up"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs one `script` process per spec inside one network namespace of their own, which has only a
 * loopback interface (unshare -rn): a TCPStore's server, which listens on every interface, then
 * listens on nothing beyond this host. Each process's last stdout line, parsed.
 */
export async function runRanksIsolated(
  script: string,
  specs: Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  const dir = await Deno.makeTempDir();
  try {
    const deno = shellQuote(Deno.execPath());
    const ranks = specs.map((spec, i) =>
      `${deno} run -A ${shellQuote(script)} ${shellQuote(JSON.stringify(spec))} > ${dir}/${i} &`
    );
    const out = await new Deno.Command("unshare", {
      args: ["-rn", "sh", "-c", `ip link set lo up && { ${ranks.join(" ")} wait; }`],
      stderr: "inherit",
    }).output();
    assert.ok(out.success, `unshare: exit ${out.code}`);
    return specs.map((_, i) => {
      const text = Deno.readTextFileSync(`${dir}/${i}`).trim();
      return JSON.parse(text.split("\n").at(-1)!);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * `deno task bench --nproc 2 --threads 2 --device cpu` on a tiny IDX set with `flags`: its exit
 * code and stderr, and rank 0's result files (the JSON, not yet validated, and the markdown).
 */
export async function benchTwoRanks(flags: string[]) {
  const dir = await Deno.makeTempDir();
  try {
    await writeTinyDataset(join(dir, "data"), { train: 640, test: 100 });
    const out = join(dir, "out");
    const args = ["--nproc", "2", "--threads", "2", "--device", "cpu", "--data", join(dir, "data")];
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", BENCH_MAIN, ...args, "--out", out, ...flags],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const names = run.success ? [...Deno.readDirSync(out)].map((e) => e.name) : [];
    const files = names.filter((f) => f.endsWith(".json"));
    const read = (f: string) => Deno.readTextFileSync(join(out, f));
    return {
      code: run.code,
      stderr: new TextDecoder().decode(run.stderr),
      jsonFiles: files.length,
      json: files.length > 0 ? JSON.parse(read(files[0])) : null,
      md: files.length > 0 ? read(files[0].replace(/\.json$/, ".md")) : null,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
