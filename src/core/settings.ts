/**
 * What a plug-in (a sampler or a pruner) needs to own its settings: JSON-schema fragments for the shape of
 * each key, and a problem type that names the key at fault. The sweep-file reader places the problem in the
 * file (its block, line and field path), so a plug-in never needs to know where its block came from.
 */

/** A JSON-schema fragment for one setting, as ajv checks it. */
export type SettingSchema = Readonly<Record<string, unknown>>;

/** A setting's value is not acceptable: `key` is the setting at fault, or null for the block as a whole. */
export class SettingIssue extends Error {
  override name = 'SettingIssue';
  constructor(
    readonly key: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** An integer setting tfsweep counts with: exact in a double. */
export function countSchema(minimum: number, maximum = Number.MAX_SAFE_INTEGER): SettingSchema {
  return { type: 'integer', minimum, maximum };
}

/** A setting's value, or its default when the block does not give it. */
export function settingOr<T>(raw: Readonly<Record<string, unknown>>, key: string, fallback: T): T {
  return raw[key] === undefined ? fallback : (raw[key] as T);
}

/** The search space does not suit a sampler: `parameter` names the one at fault (null: the space as a whole). */
export class SpaceIssue extends Error {
  override name = 'SpaceIssue';
  constructor(
    readonly parameter: string | null,
    readonly key: string | null,
    message: string,
  ) {
    super(message);
  }
}
