// What Flyway records of a script in its history and compares with the file (its checksum, its
// description), computed from the file alone: the tracker writes them (tracking/flyway.ts), and the
// pure planner compares them (plan.ts flywayValidation) without the tracker's database code.

import * as zlib from 'node:zlib';

/** Flyway's checksum: CRC32 over the script's lines without their line breaks (BOM removed), as a signed int. */
export function flywayChecksum(text: string): number {
  return zlib.crc32(text.replace(/^\uFEFF/, '').replace(/\r\n|\r|\n/g, '')) | 0;
}

/**
 * The description Flyway records for a script and compares with the history's: the file name's, `_`
 * written as a space, cut to the history column's 200 characters as Flyway cuts it
 * (AbbreviationUtils.abbreviateDescription: 197 and "...").
 */
export function flywayDescription(fromName: string | undefined): string {
  const description = (fromName ?? '').replace(/_/g, ' ');
  return description.length <= 200 ? description : `${description.slice(0, 197)}...`;
}
