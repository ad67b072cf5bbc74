/**
 * Command lines from one flag table: each flag is declared once, with its type, default, help
 * text and value reader, and the `node:util` parseArgs options, the defaults, `--help` and the
 * error messages are all derived from that declaration.
 *
 * @module
 */

import { parseArgs } from "node:util";

/**
 * A command-line mistake. The message is one line naming the flag, what was expected and what
 * was found, e.g. `--batch-size: expected an integer ≥ 1, found "0"`.
 */
export class UsageError extends Error {
  /** Creates a usage error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Thrown by {@linkcode parseFlags} when `--help` (or `-h`) is given. It is not a
 * {@linkcode UsageError}: callers print {@linkcode HelpRequested.usage} to stdout and exit 0.
 */
export class HelpRequested extends Error {
  /** The help text. */
  readonly usage: string;
  /** Creates the signal carrying the help text. */
  constructor(usageText: string) {
    super("help requested");
    this.name = "HelpRequested";
    this.usage = usageText;
  }
}

/** How a flag's value is written and read; a flag without one is a switch. */
export interface FlagValue<T> {
  /** Placeholder in `--help`, e.g. `"N"` or `"cpu|cuda|all"`. */
  value: string;
  /** What a valid value is, for error messages, e.g. `"an integer ≥ 1"`. */
  expected: string;
  /** The value read from its text, or undefined when the text is not valid. */
  read: (raw: string) => T | undefined;
}

/**
 * One flag. A switch (no {@linkcode FlagValue.read}) sets the opposite of its default.
 *
 * @typeParam T The parsed value's type.
 * @typeParam C What defaults may depend on (e.g. the machine's core count).
 */
export interface Flag<T, C = unknown> extends Partial<FlagValue<T>> {
  /** The flag without dashes, when it is not the table key in kebab-case. */
  name?: string;
  /** What the flag does, for `--help`. */
  help: string;
  /** The value when the flag is absent. */
  default: T | ((context: C) => T);
  /** The default as `--help` shows it, when not the value itself (`off` for false and null). */
  shown?: string | ((context: C) => string);
}

/** A flag for every field of `V`, in the order `--help` lists them. */
export type FlagTable<V, C = unknown> = { [K in keyof V]-?: Flag<V[K], C> };

/** An integer in `min..max` (no upper bound when `max` is absent). */
export function integer(min: number, max?: number): FlagValue<number> {
  return {
    value: "N",
    expected: max === undefined ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`,
    read: (raw) => {
      const n = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      return Number.isSafeInteger(n) && n >= min && (max === undefined || n <= max) ? n : undefined;
    },
  };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number for which `accepts` holds; `expected` says which. */
export function decimal(expected: string, accepts: (x: number) => boolean): FlagValue<number> {
  return {
    value: "X",
    expected,
    read: (raw) => {
      const x = DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
      return Number.isFinite(x) && accepts(x) ? x : undefined;
    },
  };
}

/** One of `choices`, shown as `a|b|c`. */
export function choice<T extends string>(choices: readonly T[]): FlagValue<T> {
  return {
    value: choices.join("|"),
    expected: `one of ${choices.join(", ")}`,
    read: (raw) => choices.find((c) => c === raw),
  };
}

/** A comma-separated list of distinct `choices`, e.g. `a,b`, read as an array in that order. */
export function list<T extends string>(choices: readonly T[]): FlagValue<T[]> {
  return {
    value: `${choices.join("|")}[,...]`,
    expected: `a comma-separated list of distinct ${choices.join(", ")}`,
    read: (raw) => {
      const items = raw.split(",").map((item) => choices.find((c) => c === item.trim()));
      const known = items.filter((c): c is T => c !== undefined);
      return known.length === items.length && new Set(known).size === known.length
        ? known
        : undefined;
    },
  };
}

/** Any text matching `pattern` (default: not blank). */
export function text(
  value: string,
  options: { pattern?: RegExp; expected?: string } = {},
): FlagValue<string> {
  const { pattern = /\S/, expected = "a non-empty value" } = options;
  return { value, expected, read: (raw: string) => pattern.test(raw) ? raw : undefined };
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * A flag as the user writes it: `--` and its `name`, or its table key in kebab-case.
 *
 * @param key The flag's key in its table, e.g. `"batchSize"`.
 * @returns E.g. `"--batch-size"`.
 */
export function flagName(key: string, flag: Pick<Flag<unknown>, "name">): string {
  return `--${flag.name ?? kebab(key)}`;
}

function resolve<T, C>(value: T | ((context: C) => T), context: C): T {
  return typeof value === "function" ? (value as (context: C) => T)(context) : value;
}

/**
 * The `--help` lines of a table: each flag with its value, its help and its default, wrapped to
 * 100 columns, then `-h, --help`.
 *
 * @param context What the defaults depend on.
 * @returns Lines without a trailing newline.
 */
export function flagHelp<V, C>(table: FlagTable<V, C>, context: C): string[] {
  const entries = Object.entries(table) as [string, Flag<unknown, C>][];
  return [
    ...entries.flatMap(([key, flag]) => {
      const left = `${flagName(key, flag)}${flag.value === undefined ? "" : ` ${flag.value}`}`;
      const fallback = resolve(flag.default, context);
      const shown = flag.shown === undefined
        ? (fallback === null || fallback === false ? "off" : String(fallback))
        : resolve(flag.shown, context);
      return helpLines(left, `${flag.help} (default: ${shown})`);
    }),
    ...helpLines("-h, --help", "show this help"),
  ];
}

const HELP_COLUMN = 28;
const WIDTH = 100;

function helpLines(left: string, help: string): string[] {
  const lines: string[] = [];
  let line = `  ${left}`;
  if (line.length > HELP_COLUMN - 2) {
    lines.push(line);
    line = "";
  }
  line = line.padEnd(HELP_COLUMN);
  for (const word of help.split(" ")) {
    if (line.trim() !== "" && line.length + 1 + word.length > WIDTH) {
      lines.push(line.trimEnd());
      line = " ".repeat(HELP_COLUMN);
    }
    line += line.length === HELP_COLUMN ? word : ` ${word}`;
  }
  return [...lines, line];
}

/**
 * Formats a usage error for the terminal, as clap and git do: the message, then one line that
 * points at `--help`.
 *
 * @param error The error thrown by {@linkcode parseFlags}.
 * @param command How the user runs the command, e.g. `"deno task bench"`.
 * @returns Two lines ending in a newline.
 */
export function formatUsageError(error: UsageError, command = "deno task bench"): string {
  return `error: ${error.message}\nRun '${command} --help' for every flag and its default.\n`;
}

/** Where {@linkcode parsedOrExitCode} prints. */
export interface ExitCodeOptions {
  /** How the user runs the command, e.g. `"deno task report"`. */
  command: string;
  /** Receives the help text. Default `console.log`. */
  log?: (line: string) => void;
  /** Receives the usage error's lines. Default `console.error`. */
  error?: (line: string) => void;
}

/**
 * The value of `parse()`, or the exit code when it asked for help (the help printed, 0) or the
 * command line was wrong ({@linkcode formatUsageError}'s lines printed, 2).
 */
export function parsedOrExitCode<T>(parse: () => T, options: ExitCodeOptions): T | number {
  try {
    return parse();
  } catch (e) {
    if (e instanceof HelpRequested) {
      (options.log ?? console.log)(e.usage);
      return 0;
    }
    if (!(e instanceof UsageError)) throw e;
    const lines = formatUsageError(e, options.command).trimEnd().split("\n");
    for (const line of lines) (options.error ?? console.error)(line);
    return 2;
  }
}

/** Options for {@linkcode parseFlags}. */
export interface ParseFlagsOptions<C> {
  /** What the defaults depend on. */
  context: C;
  /** The full help text, carried by {@linkcode HelpRequested}. */
  usage: (context: C) => string;
}

/**
 * Parses a command line against a flag table. Unknown flags, positional arguments, repeated
 * flags and invalid values are rejected with a one-line {@linkcode UsageError}; a leading `--`
 * (as `deno task` may pass) is dropped; absent flags take their defaults.
 *
 * @throws {UsageError} On any command-line mistake.
 * @throws {HelpRequested} When `--help` or `-h` is given.
 */
export function parseFlags<V, C>(
  table: FlagTable<V, C>,
  args: readonly string[],
  options: ParseFlagsOptions<C>,
): V {
  const argv = args[0] === "--" ? args.slice(1) : [...args];
  const entries = Object.entries(table) as [string, Flag<unknown, C>][];
  const specs = Object.fromEntries(
    entries.map(([key, flag]) => [
      flagName(key, flag).slice(2),
      { type: flag.read === undefined ? "boolean" as const : "string" as const },
    ]),
  );
  const { values, tokens } = parseStrict(argv, {
    ...specs,
    help: { type: "boolean", short: "h" },
  });
  rejectRepeats(tokens);
  if (values.help) throw new HelpRequested(options.usage(options.context));
  const parsed = entries.map(([key, flag]) => {
    const name = flagName(key, flag);
    const raw = values[name.slice(2)];
    const fallback = resolve(flag.default, options.context);
    if (raw === undefined) return [key, fallback];
    if (flag.read === undefined) return [key, !fallback];
    const value = flag.read(raw as string);
    if (value === undefined) {
      throw new UsageError(`${name}: expected ${flag.expected}, found ${JSON.stringify(raw)}`);
    }
    return [key, value];
  });
  return Object.fromEntries(parsed) as V;
}

type Specs = Record<string, { type: "string" | "boolean"; short?: string }>;

function parseStrict(argv: string[], specs: Specs) {
  try {
    return parseArgs({ args: argv, options: specs, strict: true, tokens: true });
  } catch (error) {
    throw translateParseError(error, argv);
  }
}

function translateParseError(error: unknown, argv: string[]): Error {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const name = /'(-{1,2}[^' <]+)/.exec(message)?.[1] ?? "";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`expected a known flag (see --help), found ${JSON.stringify(name)}`);
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL": {
      const arg = /argument '([^']*)'/.exec(message)?.[1] ?? "";
      return new UsageError(`expected only flags, found the argument ${JSON.stringify(arg)}`);
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return new UsageError(`${name}: ${invalidValue(message, name, argv)}`);
    default:
      return new UsageError(message.split("\n")[0]);
  }
}

function invalidValue(message: string, name: string, argv: string[]): string {
  if (message.includes("does not take an argument")) {
    const given = argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? "";
    return `expected no value (it is a switch), found ${JSON.stringify(given)}`;
  }
  if (message.includes("ambiguous")) {
    const next = argv[argv.indexOf(name) + 1] ?? "";
    return `expected a value, found the flag-like ${JSON.stringify(next)} ` +
      `(write ${name}=${next} if that is the value)`;
  }
  return "expected a value, found nothing";
}

function rejectRepeats(tokens: ReadonlyArray<{ kind: string; name?: string }>) {
  const seen = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind === "option" && token.name !== undefined) {
      seen.set(token.name, (seen.get(token.name) ?? 0) + 1);
    }
  }
  for (const [name, count] of seen) {
    if (count > 1) throw new UsageError(`--${name}: expected at most once, found ${count} times`);
  }
}
