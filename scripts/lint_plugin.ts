/**
 * The project's own lint rules, loaded by `deno lint` (deno.json's `lint.plugins`).
 *
 * `project/max-function-lines`: no function in src/, scripts/, benches/ or baselines/ spans more than {@linkcode MAX_FUNCTION_LINES}
 * lines, its signature and closing brace included (declarations, methods, arrows and function
 * expressions alike). A function that long does two jobs; split it.
 *
 * @module
 */

/** The most lines a function in src/, scripts/, benches/ or baselines/ may span. */
export const MAX_FUNCTION_LINES = 60;

/** The folders whose code the rule covers (tests/ is not one; scripts/py_function_lines.py checks
 * the same folders' Python against the same limit). */
const CHECKED_DIRS = /[/\\](src|scripts|benches|baselines)[/\\]/;

const plugin: Deno.lint.Plugin = {
  name: "project",
  rules: {
    "max-function-lines": {
      create(context) {
        if (!CHECKED_DIRS.test(context.filename)) return {};
        const text = context.sourceCode.text;
        const check = (node: Deno.lint.Node) => {
          const lines = text.slice(node.range[0], node.range[1]).split("\n").length;
          if (lines <= MAX_FUNCTION_LINES) return;
          context.report({
            node,
            message: `expected a function of at most ${MAX_FUNCTION_LINES} lines, found ${lines}`,
            hint: "split it into functions with one job each",
          });
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
  },
};

export default plugin;
