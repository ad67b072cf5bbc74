/**
 * The progress of the shim's build in brief, from the build tool's output lines: setup.ts says
 * each step as it starts, so that a first run's three minutes are not silent.
 *
 * @module
 */

/**
 * A build output line in brief. Ninja, its output not a terminal, prints a step as it finishes:
 * `[3/17] Building CXX object CMakeFiles/x.dir/runtime.cpp.o` → `compiled runtime.cpp (3/17)`;
 * make as it starts: `[ 25%] Building CXX object …/adam.cpp.o` → `compiling adam.cpp (25%)`;
 * `Linking … libtorch_shim.so` → `linked …` or `linking …`. Null for any other line.
 */
export function buildStep(line: string): string | null {
  const m =
    /^\[\s*(\d+\/\d+|\d+%)\]\s+(?:Building \S+ object \S*?([^/\s]+?)\.o\b|Linking.*?([^/\s]+)$)/
      .exec(line.trim());
  if (m === null) return null;
  const done = m[1].includes("/"); // ninja's count of finished steps, else make's percentage
  const [verb, file] = m[2] ? ["compil", m[2]] : ["link", m[3]];
  return `${verb}${done ? "ed" : "ing"} ${file} (${m[1].trim()})`;
}
