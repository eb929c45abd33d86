// Text put into SQL the engine writes (fixes, trios, the runner's generated checks): string literals
// and dollar quotes that hold what they are given, whatever names or strings it contains.

/** A standard string literal (standard_conforming_strings on, PostgreSQL's default since 9.1): quotes doubled. */
export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Text inside a PL/pgSQL RAISE format string: quotes doubled, and % written %% (a lone % is a
 * placeholder there, and a name holding one would take an argument or break the RAISE).
 */
export function raiseFormatText(text: string): string {
  return text.replace(/'/g, "''").replace(/%/g, '%%');
}

/**
 * A dollar-quote tag that `text` does not contain, for a DO block or a function body around it:
 * `$$` (or `$base$`), else the same with 1, 2... A name may hold `$$`, an UPDATE's value a `$$` string.
 */
export function dollarTag(text: string, base = ''): string {
  for (let n = 0; ; n++) {
    const tag = `$${base}${n === 0 ? '' : base === '' ? `zdm${n}` : n}$`;
    if (!text.includes(tag)) return tag;
  }
}
