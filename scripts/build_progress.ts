/**
 * The progress of the shim's build in brief, from the build tool's output lines: setup.ts says
 * each step as it starts, so that a first run's three minutes are not silent.
 *
 * @module
 */

/**
 * A build output line in brief: `[3/17] Building CXX object CMakeFiles/x.dir/runtime.cpp.o`
 * (ninja) → `3/17 compiling runtime.cpp`, `[ 25%] Linking CXX shared library libtorch_shim.so`
 * (make) → `25% linking libtorch_shim.so`; null for any other line.
 */
export function buildStep(line: string): string | null {
  const m =
    /^\[\s*(\d+\/\d+|\d+%)\]\s+(?:Building \S+ object \S*?([^/\s]+?)\.o\b|(Linking).*?([^/\s]+)$)/
      .exec(line.trim());
  if (m === null) return null;
  return `${m[1].trim()} ${m[2] ? `compiling ${m[2]}` : `linking ${m[4]}`}`;
}
