// parseBenchResult() and benchResultSchema (src/result/schema.ts): the result format, read back.
import assert from "node:assert/strict";
import { z } from "zod";
import { join } from "node:path";
import { renderMarkdown } from "../src/report/report.ts";
import { benchResultSchema, parseBenchResult } from "../src/result/schema.ts";
import { fixture } from "./_report_fixtures.ts";

Deno.test("parseBenchResult() accepts the fixture after a JSON round trip", () => {
  const result = fixture();
  assert.deepEqual(parseBenchResult(JSON.parse(JSON.stringify(result))), result);
});

Deno.test("parseBenchResult() names the first mismatching field", () => {
  const value = JSON.parse(JSON.stringify(fixture()));
  value.runs[1].baseline.stepMs.median = "fast";
  assert.throws(() => parseBenchResult(value), {
    name: "SchemaError",
    message: 'runs[1].baseline.stepMs.median: expected a finite number, found "fast"',
  });
  assert.throws(() => parseBenchResult({ ...fixture(), schema: 2 }), {
    message: "schema: expected 1, found number 2",
  });
  const missing = JSON.parse(JSON.stringify(fixture()));
  delete missing.env.hostname;
  assert.throws(() => parseBenchResult(missing), {
    message: "env.hostname: expected a string, found no such field",
  });
});

Deno.test("parseBenchResult() reads every committed results/*.json", async () => {
  const dir = new URL("../results/", import.meta.url).pathname;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  assert.ok(names.length > 0, `expected result files in ${dir}, found none`);
  for (const name of names) {
    const value = JSON.parse(await Deno.readTextFile(join(dir, name)));
    assert.doesNotThrow(() => parseBenchResult(value), name);
  }
});

Deno.test("parseBenchResult() keeps a stop reason and a deadline, and names a wrong one", () => {
  const value = JSON.parse(JSON.stringify(fixture()));
  value.stopReason = "SIGTERM";
  value.runs[0].stopReason = "deadline: 60 s passed";
  value.config.maxSeconds = 60;
  const back = parseBenchResult(value);
  assert.equal(back.stopReason, "SIGTERM");
  assert.equal(back.runs[0].stopReason, "deadline: 60 s passed");
  assert.equal(back.config.maxSeconds, 60);
  value.runs[0].stopReason = 3;
  assert.throws(() => parseBenchResult(value), {
    message: "runs[0].stopReason: expected a string, found number 3",
  });
});

Deno.test("parseBenchResult() names the choices of an enum, the object it wanted and the union", () => {
  const bad = (edit: (v: ReturnType<typeof JSON.parse>) => void) => {
    const value = JSON.parse(JSON.stringify(fixture()));
    edit(value);
    return () => parseBenchResult(value);
  };
  assert.throws(bad((v) => (v.runs[0].device = "tpu")), {
    message: 'runs[0].device: expected one of "cpu", "cuda", found "tpu"',
  });
  assert.throws(bad((v) => (v.runs[0].options.x = [1])), {
    message: "runs[0].options.x: expected a boolean, a string or a finite number, found an array",
  });
  assert.throws(() => parseBenchResult([]), {
    message: "result: expected an object, found an array",
  });
  assert.throws(bad((v) => (v.createdAt = "yesterday")), {
    message: 'createdAt: expected an ISO 8601 timestamp, found "yesterday"',
  });
});

Deno.test("benchResultSchema exports as JSON Schema with every top-level field", () => {
  const schema = z.toJSONSchema(benchResultSchema, { io: "input" }) as { properties: object };
  assert.deepEqual(
    Object.keys(schema.properties).sort(),
    Object.keys(fixture()).concat("stopReason").sort(),
  );
});

Deno.test("parseBenchResult() reads a diverged (null) loss back as NaN", () => {
  const result = fixture();
  result.runs[0].epochs[0].loss = NaN;
  const back = parseBenchResult(JSON.parse(JSON.stringify(result)));
  assert.ok(Number.isNaN(back.runs[0].epochs[0].loss));
  assert.ok(renderMarkdown([back]).includes("| deno+libtorch 2.5.1 cpu fp32 | 1 | NaN |"));
});
