// The inverse of up statements, for generated down sections: each statement's undo where one exists,
// in reverse order, and a TODO comment where none does (dropped data, replaced definitions).

import { lineBreakAfter } from '../text/offsets';
import type { Statement } from '../model';
import { bodyOf, droppedObjects, namesOf, quoteIdent, relationOf, type RelationRef } from '../sql/ast';
import { statementTokens, tokenText } from '../sql/tokens';

export interface Inverse {
  /** SQL statements (each ending with ';') or `-- TODO ...` comment lines, in down order. */
  lines: string[];
  /** True when one of them is CONCURRENTLY and must run outside a transaction. */
  concurrent: boolean;
  /** True when some statement has no inverse (the down needs a person's attention). */
  incomplete: boolean;
}

/** The down statements for a list of up statements (in up order). */
export function inverseOf(statements: readonly Statement[]): Inverse {
  const out: Inverse = { lines: [], concurrent: false, incomplete: false };
  const settings: string[] = [];
  const blocks: string[][] = [];
  const adopted = indexesAdoptedByConstraints(statements);
  for (const s of statements) {
    if (s.kind === 'VariableSetStmt') {
      const set = bodyOf(s.node, 'VariableSetStmt');
      if (set?.name === 'lock_timeout' || set?.name === 'statement_timeout') settings.push(oneLine(s.text));
      continue;
    }
    if (s.kind === 'TransactionStmt') continue;
    // An index a constraint took over (ADD CONSTRAINT ... USING INDEX) belongs to the constraint from
    // then on, under the constraint's name: dropping the constraint drops it, and a DROP INDEX after
    // that fails (the down would stop half-way).
    const index = bodyOf(s.node, 'IndexStmt');
    if (index?.idxname && adopted.has(index.idxname)) continue;
    const lines = inverseOfOne(s);
    if (lines.some((l) => l.startsWith('-- TODO'))) out.incomplete = true;
    if (lines.some((l) => /\bCONCURRENTLY\b/.test(l) && !l.startsWith('--'))) out.concurrent = true;
    blocks.push(lines);
  }
  out.lines = [...settings, ...blocks.reverse().flat()];
  return out;
}

/** Names of the indexes that ALTER TABLE ... ADD CONSTRAINT ... USING INDEX takes over, among `statements`. */
function indexesAdoptedByConstraints(statements: readonly Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of statements) {
    const alter = bodyOf(s.node, 'AlterTableStmt');
    for (const c of alter?.cmds ?? []) {
      const constraint = c.AlterTableCmd?.subtype === 'AT_AddConstraint' ? c.AlterTableCmd.def?.Constraint : undefined;
      if (constraint?.indexname) out.add(constraint.indexname);
    }
  }
  return out;
}

function oneLine(sql: string): string {
  const trimmed = sql.trim();
  return trimmed.endsWith(';') ? trimmed : `${trimmed};`;
}

function todo(s: Statement, what: string): string[] {
  // Its first line, as every line break ends one: a lone \r would end the comment and leave SQL after it.
  const first = s.text.slice(0, lineBreakAfter(s.text, 0).end).trim();
  return [`-- TODO ${what}: ${first.length > 80 ? first.slice(0, 77) + '...' : first}`];
}

function drop(kind: string, name: string, ifExists: boolean): string {
  return `DROP ${kind}${ifExists ? ' IF EXISTS' : ''} ${name};`;
}

function nameOf(list: any[] | undefined): string {
  return namesOf(list).map(quoteIdent).join('.');
}

function inverseOfOne(s: Statement): string[] {
  const node = s.node;
  if (!node) return todo(s, 'cannot invert a statement that does not parse');
  const create = bodyOf(node, 'CreateStmt');
  if (create) return [drop('TABLE', relationOf(create.relation)!.display, Boolean(create.if_not_exists))];
  const createAs = bodyOf(node, 'CreateTableAsStmt');
  if (createAs) return [drop(createAs.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE', relationOf(createAs.into?.rel)!.display, Boolean(createAs.if_not_exists))];
  const view = bodyOf(node, 'ViewStmt');
  if (view) return view.replace ? [...todo(s, 'restore the previous definition of the view if this replaced one'), drop('VIEW', relationOf(view.view)!.display, true)] : [drop('VIEW', relationOf(view.view)!.display, false)];
  const index = bodyOf(node, 'IndexStmt');
  if (index) {
    if (!index.idxname) return todo(s, 'name the index so the down can drop it');
    const schema = relationOf(index.relation)?.schema;
    const name = schema ? `${quoteIdent(schema)}.${quoteIdent(index.idxname)}` : quoteIdent(index.idxname);
    return [`DROP INDEX${index.concurrent ? ' CONCURRENTLY' : ''}${index.if_not_exists ? ' IF EXISTS' : ''} ${name};`];
  }
  const seq = bodyOf(node, 'CreateSeqStmt');
  if (seq) return [drop('SEQUENCE', relationOf(seq.sequence)!.display, Boolean(seq.if_not_exists))];
  const enumType = bodyOf(node, 'CreateEnumStmt');
  if (enumType) return [drop('TYPE', nameOf(enumType.typeName), false)];
  const composite = bodyOf(node, 'CompositeTypeStmt');
  if (composite) return [drop('TYPE', relationOf(composite.typevar)!.display, false)];
  const domain = bodyOf(node, 'CreateDomainStmt');
  if (domain) return [drop('DOMAIN', nameOf(domain.domainname), false)];
  const schema = bodyOf(node, 'CreateSchemaStmt');
  if (schema) return [drop('SCHEMA', quoteIdent(schema.schemaname), Boolean(schema.if_not_exists))];
  const extension = bodyOf(node, 'CreateExtensionStmt');
  if (extension) return [drop('EXTENSION', quoteIdent(extension.extname), Boolean(extension.if_not_exists))];
  const trigger = bodyOf(node, 'CreateTrigStmt');
  if (trigger) return [`DROP TRIGGER${trigger.replace ? ' IF EXISTS' : ''} ${quoteIdent(trigger.trigname)} ON ${relationOf(trigger.relation)!.display};`];
  const fn = bodyOf(node, 'CreateFunctionStmt');
  if (fn) {
    const kind = fn.is_procedure ? 'PROCEDURE' : 'FUNCTION';
    const signature = `${nameOf(fn.funcname)}(${argumentList(s)})`;
    return fn.replace ? [...todo(s, `restore the previous ${kind.toLowerCase()} if this replaced one`), `DROP ${kind} IF EXISTS ${signature};`] : [`DROP ${kind} ${signature};`];
  }
  const rename = bodyOf(node, 'RenameStmt');
  if (rename) return inverseRename(s, rename);
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter) return inverseAlterTable(s, alter);
  const dropStmt = bodyOf(node, 'DropStmt');
  if (dropStmt) return todo(s, `recreate what this drops (${droppedObjects(dropStmt).map((o) => o.display).join(', ') || 'see the up section'}); its data cannot be restored`);
  for (const kind of ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'CopyStmt', 'TruncateStmt']) {
    if (bodyOf(node, kind)) return todo(s, 'undo this data change by hand, or accept that the down leaves it');
  }
  if (bodyOf(node, 'AlterEnumStmt')) return todo(s, 'PostgreSQL cannot remove an enum value; recreate the type without it if needed');
  if (bodyOf(node, 'CommentStmt') || bodyOf(node, 'GrantStmt') || bodyOf(node, 'AlterOwnerStmt')) return todo(s, 'revert this by hand if it matters');
  return todo(s, 'write the inverse of');
}

function inverseRename(s: Statement, rename: any): string[] {
  const relation: RelationRef | undefined = relationOf(rename.relation);
  if (!relation) return todo(s, 'write the inverse of');
  const renamed = relation.schema ? `${quoteIdent(relation.schema)}.${quoteIdent(rename.newname)}` : quoteIdent(rename.newname);
  switch (rename.renameType) {
    case 'OBJECT_TABLE':
      return [`ALTER TABLE ${renamed} RENAME TO ${quoteIdent(relation.name)};`];
    case 'OBJECT_VIEW':
      return [`ALTER VIEW ${renamed} RENAME TO ${quoteIdent(relation.name)};`];
    case 'OBJECT_COLUMN':
      return [`ALTER TABLE ${relation.display} RENAME COLUMN ${quoteIdent(rename.newname)} TO ${quoteIdent(rename.subname)};`];
    case 'OBJECT_TABCONSTRAINT':
      return [`ALTER TABLE ${relation.display} RENAME CONSTRAINT ${quoteIdent(rename.newname)} TO ${quoteIdent(rename.subname)};`];
    case 'OBJECT_INDEX':
      return [`ALTER INDEX ${renamed} RENAME TO ${quoteIdent(relation.name)};`];
    default:
      return todo(s, 'write the inverse of');
  }
}

function inverseAlterTable(s: Statement, alter: any): string[] {
  const table = relationOf(alter.relation)?.display;
  if (!table || (alter.objtype && alter.objtype !== 'OBJECT_TABLE')) return todo(s, 'write the inverse of');
  const parts: string[] = [];
  const todos: string[] = [];
  for (const c of [...(alter.cmds ?? [])].reverse()) {
    const cmd = c.AlterTableCmd;
    const column = cmd?.name ? quoteIdent(cmd.name) : undefined;
    switch (cmd?.subtype) {
      case 'AT_AddColumn': {
        const def = cmd.def?.ColumnDef;
        parts.push(`DROP COLUMN${cmd.missing_ok ? ' IF EXISTS' : ''} ${quoteIdent(def.colname)}`);
        break;
      }
      case 'AT_AddConstraint': {
        const name = cmd.def?.Constraint?.conname;
        if (name) parts.push(`DROP CONSTRAINT ${quoteIdent(name)}`);
        else todos.push(`-- TODO name the constraint added to ${table} so the down can drop it`);
        break;
      }
      case 'AT_SetNotNull':
        parts.push(`ALTER COLUMN ${column} DROP NOT NULL`);
        break;
      case 'AT_DropNotNull':
        parts.push(`ALTER COLUMN ${column} SET NOT NULL`);
        break;
      case 'AT_ColumnDefault':
        if (cmd.def) parts.push(`ALTER COLUMN ${column} DROP DEFAULT`);
        else todos.push(`-- TODO restore the previous default of ${table}.${column}`);
        break;
      case 'AT_EnableTrig':
        parts.push(`DISABLE TRIGGER ${column}`);
        break;
      case 'AT_DisableTrig':
        parts.push(`ENABLE TRIGGER ${column}`);
        break;
      case 'AT_ValidateConstraint':
        break; // validating needs no undo
      case 'AT_AttachPartition': {
        const partition = relationOf(cmd.def?.PartitionCmd?.name);
        if (partition) parts.push(`DETACH PARTITION ${partition.display}`);
        break;
      }
      case 'AT_DropColumn':
        todos.push(`-- TODO recreate column ${table}.${column}; its data cannot be restored`);
        break;
      case 'AT_DropConstraint':
        todos.push(`-- TODO recreate constraint ${column} on ${table}`);
        break;
      case 'AT_AlterColumnType':
        todos.push(`-- TODO change ${table}.${column} back to its previous type`);
        break;
      default:
        todos.push(`-- TODO write the inverse of ${cmd?.subtype ?? 'this ALTER TABLE'} on ${table}`);
    }
  }
  const out = [...todos];
  if (parts.length > 0) out.push(`ALTER TABLE ${table} ${parts.join(', ')};`);
  return out;
}

/**
 * The argument list of CREATE FUNCTION/PROCEDURE as DROP FUNCTION accepts it: the text between the
 * name's parentheses, each argument without its DEFAULT.
 */
function argumentList(s: Statement): string {
  const tokens = statementTokens(s);
  const open = tokens.findIndex((t) => tokenText(s, t) === '(');
  if (open === -1) return '';
  const args: string[] = [];
  let depth = 0;
  let current: string[] = [];
  let skipping = false;
  for (let i = open + 1; i < tokens.length; i++) {
    const text = tokenText(s, tokens[i]);
    if (text === '(' || text === '[') depth++;
    if (text === ')' || text === ']') {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && text === ',') {
      args.push(current.join(' '));
      current = [];
      skipping = false;
      continue;
    }
    if (depth === 0 && (text.toLowerCase() === 'default' || text === '=')) skipping = true;
    if (!skipping) current.push(text);
  }
  if (current.length > 0) args.push(current.join(' '));
  return args.map((a) => a.replace(/\s+([,.)\]])/g, '$1').replace(/([(\[.])\s+/g, '$1')).join(', ');
}
