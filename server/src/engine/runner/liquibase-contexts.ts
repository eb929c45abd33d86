// Liquibase's context and label expressions, for the contexts and label filter a project's Liquibase
// settings give (liquibase.properties `contexts`, `label-filter`). As Liquibase reads them: words joined
// by `and`, `or` and `,` (an or), negated by `!` or `not`, grouped in parentheses, case-insensitive. A
// changeset's context expression holds when the run's contexts make it true; the label filter holds when
// the changeset's labels make it true. No contexts (or no filter) given: every changeset runs; a changeset
// without a context (or without labels) runs whatever is given. The contexts and labels of the includes
// above a changeset (and a master changelog's own context) must each hold too, separately: Liquibase ANDs
// them with the changeset's own, it does not merge them (ContextChangeSetFilter, LabelChangeSetFilter).

/**
 * What a changeset inherits from the changelogs above it (liquibase-master.ts): the context expressions
 * and labels of the `include` / `includeAll` entries that reached its changelog, and the `context` of a
 * master changelog itself, innermost first, each with where it is written. Liquibase's
 * ChangeSet.getInheritableContextFilter and getInheritableLabels: every one of them must hold, on its
 * own, besides the changeset's own (ContextExpression.matchesAll, LabelExpression.matchesAll).
 */
export interface Inherited {
  contexts: readonly Scoped[];
  labels: readonly Scoped[];
}

/** An expression (or a label list) and where it is written, for messages: "the include of x.sql in master.xml". */
export interface Scoped {
  value: string;
  where: string;
}

/** Whether a changeset with `context` and `labels` runs under the run's `contexts` and `labelFilter`. */
export function runsUnder(changeset: { context?: string; labels?: string }, contexts: string | undefined, labelFilter: string | undefined, inherited?: Inherited): boolean {
  return whyNotUnder(changeset, contexts, labelFilter, inherited) === undefined;
}

/** Why a changeset does not run under the run's `contexts` and `labelFilter`, or undefined when it runs. */
export function whyNotUnder(changeset: { context?: string; labels?: string }, contexts: string | undefined, labelFilter: string | undefined, inherited?: Inherited): string | undefined {
  const given = words(contexts);
  const under = `the contexts the project's Liquibase settings give (\`${given.join(', ')}\`)`;
  if (given.length > 0) {
    if (changeset.context?.trim() && !evaluate(changeset.context, new Set(given))) return `its context \`${changeset.context.trim()}\` does not hold under ${under}`;
    for (const c of inherited?.contexts ?? []) {
      if (c.value.trim() && !evaluate(c.value, new Set(given))) return `the context \`${c.value.trim()}\` of ${c.where} does not hold under ${under}`;
    }
  }
  if (labelFilter?.trim()) {
    const filter = `the label filter the project's Liquibase settings give (\`${labelFilter.trim()}\`)`;
    const labels = words(changeset.labels);
    if (labels.length > 0 && !evaluate(labelFilter, new Set(labels))) return `its labels (\`${labels.join(', ')}\`) do not pass ${filter}`;
    for (const l of inherited?.labels ?? []) {
      const list = words(l.value);
      if (list.length > 0 && !evaluate(labelFilter, new Set(list))) return `the labels (\`${list.join(', ')}\`) of ${l.where} do not pass ${filter}`;
    }
  }
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
