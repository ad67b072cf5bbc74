"""The Python side of `project/max-function-lines` (scripts/lint_plugin.ts): no function in the
given folders' .py files spans more than MAX_FUNCTION_LINES lines, its `def` line and last line
included. CI runs it over src/, scripts/, benches/ and baselines/.

Usage: python3 scripts/py_function_lines.py DIR... (exit 1, one line per function, when any is
longer; exit 0 otherwise).
"""

import ast
import os
import sys

# scripts/lint_plugin.ts's MAX_FUNCTION_LINES; tests/lint_plugin.test.ts checks that the two agree.
MAX_FUNCTION_LINES = 60


def python_files(folders):
    """Every .py file under the folders, sorted."""
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "node_modules", "build"))
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def long_functions(path):
    """(name, first line, lines) of each function in the file longer than the limit."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                yield getattr(node, "name", "<lambda>"), node.lineno, lines


def main(folders):
    found = [
        f"{path}:{line}: expected a function of at most {MAX_FUNCTION_LINES} lines, "
        f"found {lines} ({name}); split it into functions with one job each"
        for path in python_files(folders)
        for name, line, lines in long_functions(path)
    ]
    for message in found:
        print(message)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["src", "scripts", "benches", "baselines"]))
