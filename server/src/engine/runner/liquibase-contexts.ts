// Liquibase's context and label expressions, for the contexts and label filter a project's Liquibase
// settings give (liquibase.properties `contexts`, `label-filter`). As Liquibase reads them: words joined
// by `and`, `or` and `,` (an or), negated by `!` or `not`, grouped in parentheses, case-insensitive. A
// changeset's context expression holds when the run's contexts make it true; the label filter holds when
// the changeset's labels make it true. No contexts (or no filter) given: every changeset runs; a changeset
// without a context (or without labels) runs whatever is given.

/** Whether a changeset with `context` and `labels` runs under the run's `contexts` and `labelFilter`. */
export function runsUnder(changeset: { context?: string; labels?: string }, contexts: string | undefined, labelFilter: string | undefined): boolean {
  return whyNotUnder(changeset, contexts, labelFilter) === undefined;
}

/** Why a changeset does not run under the run's `contexts` and `labelFilter`, or undefined when it runs. */
export function whyNotUnder(changeset: { context?: string; labels?: string }, contexts: string | undefined, labelFilter: string | undefined): string | undefined {
  const given = words(contexts);
  if (given.length > 0 && changeset.context?.trim() && !evaluate(changeset.context, new Set(given))) return `its context \`${changeset.context.trim()}\` does not hold under the contexts the project's Liquibase settings give (\`${given.join(', ')}\`)`;
  const labels = words(changeset.labels);
  if (labelFilter?.trim() && labels.length > 0 && !evaluate(labelFilter, new Set(labels))) return `its labels (\`${labels.join(', ')}\`) do not pass the label filter the project's Liquibase settings give (\`${labelFilter.trim()}\`)`;
  return undefined;
}

function words(list: string | undefined): string[] {
  return (list ?? '').split(',').map((w) => w.trim().toLowerCase()).filter(Boolean);
}

/** Evaluates an expression whose words are true when `known` holds them. */
export function evaluate(expression: string, known: ReadonlySet<string>): boolean {
  const tokens = expression.toLowerCase().match(/[()!,]|[^\s()!,]+/g) ?? [];
  let i = 0;
  const or = (): boolean => {
    let value = and();
    while (tokens[i] === 'or' || tokens[i] === ',') {
      i++;
      value = and() || value;
    }
    return value;
  };
  const and = (): boolean => {
    let value = unary();
    while (tokens[i] === 'and') {
      i++;
      value = unary() && value;
    }
    return value;
  };
  const unary = (): boolean => {
    const token = tokens[i++];
    if (token === '!' || token === 'not') return !unary();
    if (token === '(') {
      const value = or();
      if (tokens[i] === ')') i++;
      return value;
    }
    return token !== undefined && known.has(token);
  };
  return tokens.length === 0 || or();
}
