/** Helpers of the data-parallel tests: a free loopback port, a rank run as its own process. */
import assert from "node:assert/strict";

/** A port free on 127.0.0.1 right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

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
