import { counterpartOf, schemaFactsOf, type Counterpart } from '../context';
import { addToDownEdit } from '../fixes/statements';
import type { Section, Statement } from '../model';
import { quoteIdent } from '../sql/ast';
import { ChangesByName, contains, netEffects, sameObject, schemaChanges, type NetEffect, type ObjectKind, type SchemaChange } from '../sql/classify';
import { headSpan } from '../sql/tokens';
import type { FixSpec, Rule, RuleContext } from './types';

/** Kinds whose creation a down must undo. Extensions are shared infrastructure (usually CREATE EXTENSION IF NOT EXISTS) and are left alone. */
const TRACKED: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['table', 'view', 'matview', 'index', 'sequence', 'column', 'function', 'type', 'trigger', 'schema', 'constraint', 'policy', 'not-null']);
/** Kinds reported by irreversible-down when a down removes them without the up having created them. */
const DATA_BEARING: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['table', 'column', 'schema']);
/** Kinds a CASCADE drop may take with it without naming them. */
const DEPENDENTS: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['view', 'matview', 'function', 'trigger', 'index', 'constraint', 'policy']);

const KIND_LABEL: Record<ObjectKind, string> = {
  table: 'table',
  view: 'view',
  matview: 'materialized view',
  index: 'index',
  sequence: 'sequence',
  column: 'column',
  function: 'function',
  type: 'type',
  trigger: 'trigger',
  schema: 'schema',
  constraint: 'constraint',
  policy: 'policy',
  extension: 'extension',
  default: 'default of',
  'not-null': 'NOT NULL on',
};

export const downDoesNotReverseUp: Rule = {
  id: 'down-does-not-reverse-up',
  family: 'files',
  summary: 'The down does not undo what the up did: objects the up creates survive the down, or objects it drops are not restored',
  defaultLevel: 'warning',
  fixable: true,
  docs: {
    why: "A rollback is only a rollback if it puts the schema back: a table or index the up created and the down leaves behind makes the next `up` fail (`already exists`), and an object the up dropped that the down does not re-create leaves the previous application version, the one you are rolling back to, without it. The same goes for a down that drops something the up never created: it removes what the previous version needs.\n\nThe rule compares what the up and the down do to each object, all told (an object dropped and re-created is replaced, not removed), including for split formats where the down is another file (golang-migrate `.down.sql`, diesel `down.sql`, Flyway `U` scripts, sqitch `revert/`). Objects inside a dropped table or schema, and objects a CASCADE drop may take along, count as removed.",
    instead: 'Make the down the exact inverse of the up, statement by statement in reverse order. The fix adds the missing DROP statements to the down, and renames back what the up renamed.',
    invalid: [
      { sql: '-- migrate:up\nCREATE TABLE tag (id bigint PRIMARY KEY, name text);\nCREATE INDEX tag_name_idx ON tag (name);\nALTER TABLE post ADD COLUMN tag_id bigint;\n\n-- migrate:down\nDROP TABLE tag;\n', note: 'The column added to `post` survives the down.' },
      { sql: 'DROP INDEX post_title_idx;\n', path: '000007_drop_title_index.up.sql', files: { '000007_drop_title_index.down.sql': 'SELECT 1;\n' }, note: 'golang-migrate: the index the up drops is not re-created by the .down.sql.' },
    ],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE tag (id bigint PRIMARY KEY, name text);\nCREATE INDEX tag_name_idx ON tag (name);\nALTER TABLE post ADD COLUMN tag_id bigint;\n\n-- migrate:down\nALTER TABLE post DROP COLUMN tag_id;\nDROP TABLE tag;\n', note: 'The index goes with its table.' },
      { sql: '-- migrate:up\nDROP VIEW post_view;\nCREATE VIEW post_view AS SELECT id, title FROM post;\n\n-- migrate:down\nDROP VIEW post_view;\nCREATE VIEW post_view AS SELECT id FROM post;\n', note: 'A view replaced in both directions.' },
      { sql: '-- migrate:up\nCREATE INDEX post_title_idx ON post (title) /* TODO\n\n-- migrate:down\nDROP INDEX post_title_idx;\n', note: 'The up does not parse (a syntax-error finding): the halves are not compared.' },
      {
        sql: "-- migrate:up\nCREATE TABLE event (at date) PARTITION BY RANGE (at);\nCREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\nCREATE TABLE tag (id bigint);\nCREATE SEQUENCE tag_id_seq OWNED BY tag.id;\nCREATE TEMP TABLE import_batch (id bigint);\n\n-- migrate:down\nDROP TABLE tag;\nDROP TABLE event;\n",
        note: 'A partition goes with its parent, a sequence OWNED BY a column with its table, and a temporary table with the session.',
      },
      { sql: '-- migrate:up\nCREATE TABLE tmp_widgets (id bigint PRIMARY KEY);\nALTER TABLE tmp_widgets RENAME TO widgets;\nALTER TABLE widgets RENAME COLUMN id TO widget_id;\n\n-- migrate:down\nDROP TABLE widgets;\n', note: 'A table the up created (under another name first): what it renames inside it goes with the table.' },
    ],
  },
  check(context) {
    for (const section of context.document.sections) {
      if (section.kind !== 'up') continue;
      const down = counterpartOf(context.document, context.statements, context.host, section);
      // A half with a statement that does not parse cannot be compared (the syntax error is reported).
      if (!down || down.statementCount === 0 || down.declaredEmpty || down.nodes.includes(undefined)) continue;
      checkUp(context, section, down);
    }
    for (const section of context.document.sections) {
      if (section.kind !== 'down') continue;
      // A down is reported only for a plain DROP of an object that holds no data (an object's net
      // effect carries its last change): a down without one (most drop tables and columns, or use
      // IF EXISTS) needs neither its up read nor its changes folded.
      const own = ownChanges(context, section);
      if (!own.some(reportableDrop)) continue;
      const up = counterpartOf(context.document, context.statements, context.host, section);
      if (!up || up.statementCount === 0 || up.nodes.includes(undefined)) continue;
      checkDown(context, section, up, own);
    }
  },
};

function ownChanges(context: RuleContext, section: Section): { change: SchemaChange; ref: Statement }[] {
  const items: { change: SchemaChange; ref: Statement }[] = [];
  for (const s of context.facts.sectionStatements(section)) for (const change of schemaChanges(s.node)) items.push({ change, ref: s });
  return items;
}

/**
 * Tables known under two names in this migration (one side renames `a` to `b`, the other back): objects
 * on either name are the same objects. Returns a function mapping a table name to one representative,
 * or undefined when neither half renames a table (every name is its own representative: most
 * migrations, which then need no canonical copy of their changes).
 */
function tableAliases(halves: readonly (readonly { change: SchemaChange }[])[]): ((name: string) => string) | undefined {
  let parent: Map<string, string> | undefined;
  const find = (x: string): string => {
    let root = x;
    while (parent!.has(root) && parent!.get(root) !== root) root = parent!.get(root)!;
    return root;
  };
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h];
    for (let i = 0; i < half.length; i++) {
      const c = half[i].change;
      if (c.action !== 'rename-from' || c.kind !== 'table' || !c.otherName || c.otherName.includes('.')) continue;
      parent ??= new Map();
      const a = find(c.name);
      const b = find(c.otherName);
      if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
    }
  }
  return parent === undefined ? undefined : find;
}

function canonical(change: SchemaChange, alias: ((name: string) => string) | undefined): SchemaChange {
  if (!change.table || alias === undefined) return change;
  const name = alias(change.table.name);
  return name === change.table.name ? change : { ...change, table: { ...change.table, name } };
}

/** A section's own changes under one name per table: themselves when no table is renamed. */
function canonicalRefs(own: { change: SchemaChange; ref: Statement }[], alias: ((name: string) => string) | undefined): { change: SchemaChange; ref: Statement }[] {
  return alias ? own.map((o) => ({ change: canonical(o.change, alias), ref: o.ref })) : own;
}

/** Some change of `others` of one of `actions` on the object, on what holds it, or (for removals) a CASCADE drop that may take it along. */
/** The other half's changes, indexed for `touches` (it is asked once per change of this half). */
interface Others {
  byName: ChangesByName<SchemaChange>;
  /** CASCADE drops, which may remove an object of any name. */
  cascades: SchemaChange[];
}

function others(changes: readonly SchemaChange[]): Others {
  return { byName: new ChangesByName(changes, (c) => c), cascades: changes.filter((o) => o.action === 'drop' && o.cascade === true) };
}

function touches(others: Others, key: SchemaChange, actions: ReadonlySet<string>): boolean {
  if (others.byName.some(key, (o) => actions.has(o.action) && (sameObject(o, key) || contains(o, key)))) return true;
  return DEPENDENTS.has(key.kind) && others.cascades.some((o) => actions.has(o.action));
}

/** Another effect of the same half, in the given state, that holds `e`'s object. */
function heldBy(effects: ChangesByName<NetEffect<Statement>>, e: NetEffect<Statement>, state: (c: NetEffect<Statement>) => boolean): boolean {
  return effects.some(e.change, (c) => c !== e && state(c) && contains(c.change, e.change));
}

const REMOVALS = new Set(['drop', 'rename-from']);
const ANY = new Set(['create', 'replace', 'drop', 'rename-from', 'rename-to']);
/** Objects that live on a table, so a rename of them says nothing about whether the down must drop them. */
const TABLE_BOUND: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['index', 'sequence', 'constraint', 'trigger', 'policy']);

/** A constraint named the way PostgreSQL names them (`{table}_{column}_...`) after a column the up renames or drops. */
function namedAfterTouchedColumn(constraint: SchemaChange, up: readonly SchemaChange[]): boolean {
  if (!constraint.table) return false;
  return up.some((c) => c.kind === 'column' && (c.action === 'rename-from' || c.action === 'drop') && constraint.name.startsWith(`${constraint.table!.name}_${c.name}_`));
}
const CREATIONS = new Set(['create', 'replace', 'rename-to']);

function describe(change: SchemaChange): string {
  return `${KIND_LABEL[change.kind]} ${change.display}`;
}

function checkUp(context: RuleContext, section: Section, down: Counterpart): void {
  const own = ownChanges(context, section);
  const alias = tableAliases([own, down.changes]);
  const up = netEffects(canonicalRefs(own, alias));
  const upByName = new ChangesByName(up, (e) => e.change);
  const other = others(down.changes.map((c) => canonical(c.change, alias)));
  const missing = new Map<Statement, { survive: SchemaChange[]; lost: SchemaChange[] }>();
  const entry = (s: Statement) => {
    let e = missing.get(s);
    if (!e) missing.set(s, (e = { survive: [], lost: [] }));
    return e;
  };
  for (const e of up) {
    // IF [NOT] EXISTS says the object may or may not have been there: the down cannot be held to it.
    if (!TRACKED.has(e.change.kind) || e.change.conditional) continue;
    // A temporary table is gone when the migration's session ends.
    if (e.change.temporary) continue;
    // A renamed index, sequence or constraint lives on a table this file may not show: its fate follows the table.
    if ((e.change.action === 'rename-to' || e.change.action === 'rename-from') && TABLE_BOUND.has(e.change.kind)) continue;
    if (e.state === 'created') {
      // Objects inside something else the up created go with it.
      if (heldBy(upByName, e, (c) => c.state === 'created')) continue;
      // The down asserting the same thing (SET NOT NULL again) says it was there before.
      if (touches(other, e.change, CREATIONS)) continue;
      // The index of a UNIQUE or PRIMARY KEY constraint that the up only replaced.
      if (e.change.kind === 'index' && heldBy(upByName, e, (c) => c.change.kind === 'constraint' && c.state !== 'created')) continue;
      if (!touches(other, e.change, REMOVALS)) entry(e.ref).survive.push(e.change);
    } else if (e.state === 'dropped' && e.change.kind !== 'not-null') {
      if (heldBy(upByName, e, (c) => c.state === 'dropped')) continue;
      // A column renamed or dropped in a table the up itself created (under this name or another) existed only inside this migration.
      if (e.change.table && schemaFactsOf(context).ownedByMigration(e.change.table, e.ref)) continue;
      if (!touches(other, e.change, CREATIONS)) entry(e.ref).lost.push(e.change);
    }
  }
  if (missing.size === 0) return;
  const where = down.path ? down.path.split(/[\\/]/).pop() : 'the down section';
  for (const [s, { survive, lost }] of missing) {
    const parts: string[] = [];
    // A rename shows as its new name surviving and its old name lost: said as one thing.
    const renamedBack = survive.filter((c) => c.action === 'rename-to' && lost.some((l) => l.action === 'rename-from' && l.kind === c.kind && l.name === c.otherName));
    const gone = survive.filter((c) => !renamedBack.includes(c));
    const notBack = lost.filter((l) => !(l.action === 'rename-from' && renamedBack.some((c) => c.kind === l.kind && c.otherName === l.name)));
    for (const c of renamedBack) parts.push(`${describe(c)} is never renamed back to ${c.otherName} by ${where}`);
    if (gone.length > 0) parts.push(`${gone.map(describe).join(', ')} ${gone.length > 1 ? 'survive' : 'survives'} the down (${where} never removes ${gone.length > 1 ? 'them' : 'it'})`);
    if (notBack.length > 0) parts.push(`${notBack.map(describe).join(', ')} ${notBack.length > 1 ? 'are' : 'is'} not re-created by ${where}`);
    context.report({
      statement: s,
      span: headSpan(s),
      message: `The down does not undo this statement: ${parts.join('; ')}.`,
      help: survive.length > 0 ? 'Add the inverse statements to the down, in reverse order.' : 'Re-create what this statement drops in the down, as it was before the up.',
      fixes: survive.length > 0 ? addDropsFix(context, section, survive, placeInDown(s, own, down)) : [],
    });
  }
}

/** A change `checkDown` can report: a plain DROP of a tracked object that holds no data. */
function reportableDrop({ change }: { change: SchemaChange }): boolean {
  return change.action === 'drop' && !change.conditional && TRACKED.has(change.kind) && !DATA_BEARING.has(change.kind);
}

function checkDown(context: RuleContext, section: Section, up: Counterpart, own: { change: SchemaChange; ref: Statement }[]): void {
  const alias = tableAliases([own, up.changes]);
  const down = netEffects(canonicalRefs(own, alias));
  const downByName = new ChangesByName(down, (e) => e.change);
  const upChanges = up.changes.map((c) => canonical(c.change, alias));
  const other = others(upChanges);
  for (const e of down) {
    if (e.state !== 'dropped' || e.change.action !== 'drop' || e.change.conditional) continue;
    if (!TRACKED.has(e.change.kind) || DATA_BEARING.has(e.change.kind)) continue;
    if (heldBy(downByName, e, (c) => c.state === 'dropped')) continue;
    // The up did something to it or to what holds it (created, replaced, renamed, or dropped it too).
    if (touches(other, e.change, ANY)) continue;
    if (e.change.kind === 'constraint' && namedAfterTouchedColumn(e.change, upChanges)) continue;
    context.report({
      statement: e.ref,
      span: headSpan(e.ref),
      message: `The down removes ${describe(e.change)}, which the up does not create: after a rollback the previous application version finds it gone.`,
      help: 'Remove only what the up created; restore what it changed to its previous state.',
    });
  }
}

/**
 * Where in the down the undo of up statement `s` goes, so that the down stays the reverse of the up:
 * before the first down statement that undoes something the up made before `s` (it may depend on what
 * `s` made: a column of `s`'s type), else after the down's statements when they undo only what the up
 * made after `s` (a type the up creates first is dropped last, after the column using it), else the
 * default place (the start of the down).
 */
function placeInDown(s: Statement, own: readonly { change: SchemaChange; ref: Statement }[], down: Counterpart): number | 'end' | undefined {
  let first: number | undefined;
  let later = false;
  for (const d of down.changes) {
    if (!REMOVALS.has(d.change.action)) continue;
    for (const o of own) {
      if (!CREATIONS.has(o.change.action) || !sameObject(o.change, d.change)) continue;
      if (o.ref.span.start < s.span.start) first = first === undefined ? d.order : Math.min(first, d.order);
      else if (o.ref.span.start > s.span.start) later = true;
    }
  }
  return first ?? (later ? 'end' : undefined);
}

/** Adds the statements that undo what survives (see `inverseStatement`), where `at` says (`placeInDown`), in the reverse of creation order. */
function addDropsFix(context: RuleContext, section: Section, survive: SchemaChange[], at: number | 'end' | undefined): FixSpec[] {
  const lines = [...survive].reverse().map(inverseStatement).filter((x): x is string => x !== undefined);
  if (lines.length === 0) return [];
  const edit = addToDownEdit(context.document, context.statements, context.host, section, lines, at);
  if (!edit) return [];
  return [{ title: `Add ${lines.length > 1 ? `${lines.length} statements` : lines[0].replace(/;$/, '')} to the down`, edits: [edit], safe: false }];
}

/** What undoes the up's change to `c`: a DROP of what it created, a rename back of what it renamed (never a DROP, which would lose the renamed object's data). */
function inverseStatement(c: SchemaChange): string | undefined {
  const table = c.table?.display;
  if (c.action === 'rename-to') {
    // A move to another schema (SET SCHEMA) has a qualified old name: no fix is offered for it.
    if (!c.otherName || c.otherName.includes('.')) return undefined;
    const back = `RENAME TO ${quoteIdent(c.otherName)};`;
    switch (c.kind) {
      case 'column':
        return table ? `ALTER TABLE ${table} RENAME COLUMN ${quoteIdent(c.name)} TO ${quoteIdent(c.otherName)};` : undefined;
      case 'table':
        return `ALTER TABLE ${c.display} ${back}`;
      case 'view':
        return `ALTER VIEW ${c.display} ${back}`;
      case 'matview':
        return `ALTER MATERIALIZED VIEW ${c.display} ${back}`;
      case 'sequence':
        return `ALTER SEQUENCE ${c.display} ${back}`;
      case 'type':
        return `ALTER TYPE ${c.display} ${back}`;
      case 'schema':
        return `ALTER SCHEMA ${c.display} ${back}`;
      default:
        return undefined;
    }
  }
  switch (c.kind) {
    case 'table':
      return `DROP TABLE IF EXISTS ${c.display};`;
    case 'view':
      return `DROP VIEW IF EXISTS ${c.display};`;
    case 'matview':
      return `DROP MATERIALIZED VIEW IF EXISTS ${c.display};`;
    case 'index':
      return `DROP INDEX IF EXISTS ${c.schema ? `${quoteIdent(c.schema)}.` : ''}${quoteIdent(c.name)};`;
    case 'sequence':
      return `DROP SEQUENCE IF EXISTS ${c.display};`;
    case 'function':
      return `DROP FUNCTION IF EXISTS ${c.display};`;
    case 'type':
      return `DROP TYPE IF EXISTS ${c.display};`;
    case 'schema':
      return `DROP SCHEMA IF EXISTS ${c.display};`;
    case 'column':
      return table ? `ALTER TABLE ${table} DROP COLUMN IF EXISTS ${quoteIdent(c.name)};` : undefined;
    case 'trigger':
      return table ? `DROP TRIGGER IF EXISTS ${quoteIdent(c.name)} ON ${table};` : undefined;
    case 'constraint':
      return table ? `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${quoteIdent(c.name)};` : undefined;
    case 'policy':
      return table ? `DROP POLICY IF EXISTS ${quoteIdent(c.name)} ON ${table};` : undefined;
    case 'not-null':
      return table ? `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(c.name)} DROP NOT NULL;` : undefined;
    default:
      return undefined;
  }
}
