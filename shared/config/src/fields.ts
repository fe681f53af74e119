// Building blocks of the configuration schema.
//
// Every scalar in the YAML tree arrives as a string (see yaml-tree.ts), so each
// leaf reads text and converts it to its own type, the way upstream's Go
// decoder does. Leaves report a bad value with `ctx.addIssue` instead of
// failing the parse outright: zod then marks the surrounding objects "dirty"
// rather than "aborted", and the cross-field rules higher up still run — which
// is what lets one pass report every problem in the file.

import { z } from 'zod';
import { parseDuration, parseSize, type Parsed } from './units.js';

type Leaf<T> = z.ZodEffects<z.ZodUnknown, T, unknown>;

function leaf<T>(read: (value: unknown) => Parsed<T>): Leaf<T> {
  return z.unknown().transform((value, ctx): T => {
    const result = read(value);
    if (result.ok) return result.value;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: result.problem });
    return z.NEVER;
  });
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function problem(text: string): { ok: false; problem: string } {
  return { ok: false, problem: text };
}

/** Missing key, an empty value (`key:`), `~`/`null`, or an empty string (often an empty env var). */
function isAbsent(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === '';
}

/** The text of a scalar, or the problem of a mapping/list standing where one value belongs. */
function scalarText(value: unknown): Parsed<string> {
  if (typeof value === 'string') return ok(value);
  if (Array.isArray(value)) return problem('expected a single value, got a list');
  return problem('expected a single value, got a mapping');
}

/** Runs `read` on the text when present; otherwise the default, or "required" without one. */
function withDefault<T>(fallback: T | undefined, read: (text: string) => Parsed<T>): Leaf<T> {
  return leaf((value) => {
    if (isAbsent(value)) return fallback === undefined ? problem('required') : ok(fallback);
    const text = scalarText(value);
    return text.ok ? read(text.value) : text;
  });
}

/** A non-empty string, optionally checked by `validate` (which returns a problem or null). */
export function requiredText(validate: (text: string) => string | null = () => null): Leaf<string> {
  return withDefault<string>(undefined, (text) => {
    const issue = validate(text);
    return issue === null ? ok(text) : problem(issue);
  });
}

export function textOr(fallback: string, validate: (text: string) => string | null = () => null): Leaf<string> {
  return withDefault(fallback, (text) => {
    const issue = validate(text);
    return issue === null ? ok(text) : problem(issue);
  });
}

/** A string that may be left out; absent reads as null. */
export function optionalText(validate: (text: string) => string | null = () => null): Leaf<string | null> {
  return withDefault<string | null>(null, (text) => {
    const issue = validate(text);
    return issue === null ? ok(text) : problem(issue);
  });
}

/** A value parsed by `read` (listen addresses …), with a default. */
export function parsedText<T>(fallback: string, read: (text: string) => Parsed<T>): Leaf<T> {
  const parsedFallback = read(fallback);
  if (!parsedFallback.ok) throw new Error(`default ${JSON.stringify(fallback)} is invalid: ${parsedFallback.problem}`);
  return withDefault(parsedFallback.value, read);
}

interface IntegerRule {
  min: number;
  max?: number;
}

function readInteger(text: string, rule: IntegerRule): Parsed<number> {
  if (!/^-?\d+$/.test(text.trim())) return problem('expected a whole number');
  const value = Number(text);
  if (!Number.isSafeInteger(value)) return problem(`${text} is too large`);
  if (value < rule.min) return problem(rule.min === 0 ? 'must not be negative' : `must be at least ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) return problem(`must be at most ${rule.max}`);
  return ok(value);
}

export function integer(fallback: number, rule: IntegerRule): Leaf<number> {
  return withDefault(fallback, (text) => readInteger(text, rule));
}

/** An integer that must be given. */
export function requiredInteger(rule: IntegerRule): Leaf<number> {
  return withDefault<number>(undefined, (text) => readInteger(text, rule));
}

/** An integer whose default depends on other settings; absent reads as null. */
export function optionalInteger(rule: IntegerRule): Leaf<number | null> {
  return withDefault<number | null>(null, (text) => readInteger(text, rule));
}

/** A decimal in [0, below) — thresholds expressed as a ratio. */
export function ratio(fallback: number, below: number): Leaf<number> {
  return withDefault(fallback, (text) => {
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text.trim())) {
      return problem(text.trim().startsWith('-') ? 'must not be negative' : 'expected a number');
    }
    const value = Number(text);
    return value < below ? ok(value) : problem(`must be below ${below}`);
  });
}

export function boolean(fallback: boolean): Leaf<boolean> {
  return withDefault(fallback, (text) => {
    // YAML 1.2's spellings of the two booleans.
    if (['true', 'True', 'TRUE'].includes(text)) return ok(true);
    if (['false', 'False', 'FALSE'].includes(text)) return ok(false);
    return problem('expected true or false');
  });
}

function readChoice<T extends string>(text: string, choices: readonly T[]): Parsed<T> {
  const found = choices.find((choice) => choice === text);
  if (found !== undefined) return ok(found);
  return problem(`expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(text)}`);
}

export function choice<T extends string>(fallback: T, choices: readonly T[]): Leaf<T> {
  return withDefault(fallback, (text) => readChoice(text, choices));
}

/** A choice that may be left out, when leaving it out means "decide from other settings". */
export function optionalChoice<T extends string>(choices: readonly T[]): Leaf<T | null> {
  return withDefault<T | null>(null, (text) => readChoice(text, choices));
}

interface AmountRule {
  /** Whether 0 is meaningful (usually "off" or "unlimited"). */
  allowZero: boolean;
}

/** A duration in milliseconds (Go syntax, see units.ts). */
export function duration(fallbackMs: number, rule: AmountRule): Leaf<number> {
  return withDefault(fallbackMs, (text) => {
    const parsed = parseDuration(text);
    if (parsed.ok && parsed.value === 0 && !rule.allowZero) return problem('must be greater than 0');
    return parsed;
  });
}

/** A size in bytes (`"256MB"`, `"5GiB"`, plain digits). */
export function size(fallbackBytes: number, rule: AmountRule): Leaf<number> {
  return withDefault(fallbackBytes, (text) => {
    const parsed = parseSize(text);
    if (parsed.ok && parsed.value === 0 && !rule.allowZero) return problem('must be greater than 0');
    return parsed;
  });
}

/**
 * A key we recognise but whose value we do not read: tuning knobs of features
 * that do not exist here yet. Listing it keeps it out of the unknown-key
 * warnings; the features' on-switches are refused by their section (section.ts: unsupported).
 */
export function recognised(): z.ZodUnknown {
  return z.unknown();
}

/** A mapping; an absent or empty one (`server:`) reads as `{}` so its defaults apply. */
export function section<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.preprocess((value) => value ?? {}, z.object(shape));
}

/**
 * A mapping that may be absent as a whole (`auth.root`); absent reads as null, and so does a
 * mapping whose every value is absent (`${VAR}`s that are all unset or empty), so a
 * deployment can leave it off through its environment.
 */
export function optionalSection<Shape extends z.ZodRawShape>(shape: Shape) {
  const allAbsent = (value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every(isAbsent);
  return z.preprocess((value) => (isAbsent(value) || allAbsent(value) ? null : value), z.object(shape).nullable());
}

/** A list; an absent or empty one reads as `[]`. */
export function list<Element extends z.ZodTypeAny>(element: Element) {
  return z.preprocess((value) => value ?? [], z.array(element));
}
