/**
 * The result file, declared once: its format (zod; the TypeScript types are inferred from it),
 * what each `--baseline` name runs, and how result files are named and written without
 * clobbering earlier ones. Every layer that reads or writes results builds on this one; it
 * imports nothing of the project's.
 *
 * @module
 */

export * from "./schema.ts";
export * from "./recipes.ts";
export * from "./write.ts";
