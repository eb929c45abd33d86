// Which views use which columns: PostgreSQL refuses ALTER COLUMN ... TYPE on a column that a view or
// materialized view reads ("cannot alter type of a column used by a view or rule"), so a migration that
// changes it without dropping the view first fails. The views come from the folder's earlier migrations
// (history.ts `viewEventsBefore`) and the file's own statements before the change.
//
// What a view uses is read from its query: every table it names (CTE names left out), and each column
// reference resolved through the FROM list's aliases; an unqualified column counts against every table
// the view names (PostgreSQL refuses one that two of them have, so that is rarely wider than the truth);
// `*` counts every column the table had when the view was made, not those added later.

import type { AstNode } from './model';
import { bodyOf, relationOf } from './sql/ast';

/** A change of the schema that matters to view dependencies, in statement order. */
export type ViewEvent =
  | { kind: 'create'; view: string; uses: ReadonlyMap<string, ReadonlySet<string> | '*'> }
  | { kind: 'drop-view'; view: string }
  | { kind: 'rename-view'; from: string; to: string }
  | { kind: 'drop-table'; table: string }
  | { kind: 'rename-table'; from: string; to: string }
  | { kind: 'add-column'; table: string; column: string }
  | { kind: 'drop-column'; table: string; column: string }
  | { kind: 'rename-column'; table: string; from: string; to: string };

interface ViewState {
  /** Per table: the columns the view reads, or every column it had when the view was made ('*'). Shared with the event that made it until a rename changes it (copied then). */
  uses: ReadonlyMap<string, ReadonlySet<string> | '*'>;
  /** Per table read with '*': columns added after the view was made (not read by it); made on first need. */
  addedLater?: Map<string, Set<string>>;
}

/** The views known at a point of the migrations, by name, and by the tables they read. */
export class ViewDependencies {
  private readonly views = new Map<string, ViewState>();
  /** Per table, the views that read it: table events touch only those (a folder holds hundreds of views and thousands of ALTER TABLEs). */
  private readonly byTable = new Map<string, Set<string>>();

  apply(event: ViewEvent): void {
    switch (event.kind) {
      case 'create':
        this.remove(event.view);
        this.put(event.view, { uses: event.uses });
        return;
      case 'drop-view':
        this.remove(event.view);
        return;
      case 'rename-view': {
        const state = this.views.get(event.from);
        if (!state) return;
        this.remove(event.from);
        this.remove(event.to);
        this.put(event.to, state);
        return;
      }
      case 'drop-table':
        // Its views were dropped with it (CASCADE), or the drop failed.
        for (const name of [...(this.byTable.get(event.table) ?? [])]) this.remove(name);
        return;
      case 'rename-table':
        for (const name of [...(this.byTable.get(event.from) ?? [])]) {
          const state = this.views.get(name)!;
          this.remove(name);
          this.put(name, { uses: renamedKey(state.uses, event.from, event.to), addedLater: state.addedLater && renamedKey(state.addedLater, event.from, event.to) });
        }
        return;
      case 'add-column':
        for (const name of this.byTable.get(event.table) ?? []) {
          const state = this.views.get(name)!;
          if (state.uses.get(event.table) !== '*') continue;
          state.addedLater ??= new Map();
          let added = state.addedLater.get(event.table);
          if (!added) state.addedLater.set(event.table, (added = new Set()));
          added.add(event.column);
        }
        return;
      case 'drop-column':
        // A view reading the column was dropped with it (CASCADE), or the drop failed.
        for (const name of this.viewsUsing(event.table, event.column)) this.remove(name);
        for (const name of this.byTable.get(event.table) ?? []) this.views.get(name)!.addedLater?.get(event.table)?.delete(event.column);
        return;
      case 'rename-column':
        for (const name of this.byTable.get(event.table) ?? []) {
          const state = this.views.get(name)!;
          const columns = state.uses.get(event.table);
          if (columns instanceof Set && columns.has(event.from)) {
            const renamed = new Set(columns);
            renamed.delete(event.from);
            renamed.add(event.to);
            state.uses = new Map(state.uses).set(event.table, renamed);
          }
          const added = state.addedLater?.get(event.table);
          if (added?.delete(event.from)) added.add(event.to);
        }
        return;
    }
  }

  /** The views that read `table.column`, sorted. */
  viewsUsing(table: string, column: string): string[] {
    const out: string[] = [];
    for (const name of this.byTable.get(table) ?? []) {
      const state = this.views.get(name)!;
      const columns = state.uses.get(table)!;
      if (columns === '*' ? !state.addedLater?.get(table)?.has(column) : columns.has(column)) out.push(name);
    }
    return out.sort();
  }

  private put(name: string, state: ViewState): void {
    this.views.set(name, state);
    for (const table of state.uses.keys()) {
      let names = this.byTable.get(table);
      if (!names) this.byTable.set(table, (names = new Set()));
      names.add(name);
    }
  }

  private remove(name: string): void {
    const state = this.views.get(name);
    if (!state) return;
    this.views.delete(name);
    for (const table of state.uses.keys()) this.byTable.get(table)?.delete(name);
  }
}

/** A copy of `map` with the entry `from` under the key `to`. */
function renamedKey<V>(map: ReadonlyMap<string, V>, from: string, to: string): Map<string, V> {
  const out = new Map(map);
  if (out.has(from)) {
    out.set(to, out.get(from)!);
    out.delete(from);
  }
  return out;
}

/** The view events of one statement's tree (none for most statements). */
export function viewEventsOf(node: AstNode | undefined): ViewEvent[] {
  if (!node) return [];
  const view = bodyOf(node, 'ViewStmt');
  if (view) {
    const name = relationOf(view.view)?.name;
    return name ? [{ kind: 'create', view: name, uses: usesOf(view.query) }] : [];
  }
  const ctas = bodyOf(node, 'CreateTableAsStmt');
  if (ctas && ctas.objtype === 'OBJECT_MATVIEW') {
    const name = relationOf(ctas.into?.rel)?.name;
    return name ? [{ kind: 'create', view: name, uses: usesOf(ctas.query) }] : [];
  }
  const drop = bodyOf(node, 'DropStmt');
  if (drop) {
    const kind = drop.removeType === 'OBJECT_VIEW' || drop.removeType === 'OBJECT_MATVIEW' ? 'drop-view' : drop.removeType === 'OBJECT_TABLE' ? 'drop-table' : undefined;
    if (!kind) return [];
    return (drop.objects ?? []).flatMap((o: any) => {
      const items = o.List?.items ?? [];
      const name = items[items.length - 1]?.String?.sval;
      if (typeof name !== 'string') return [];
      return [kind === 'drop-view' ? { kind, view: name } : { kind, table: name }];
    });
  }
  const rename = bodyOf(node, 'RenameStmt');
  if (rename) {
    const from = relationOf(rename.relation)?.name;
    if (!from || typeof rename.newname !== 'string') return [];
    if (rename.renameType === 'OBJECT_VIEW' || rename.renameType === 'OBJECT_MATVIEW') return [{ kind: 'rename-view', from, to: rename.newname }];
    if (rename.renameType === 'OBJECT_TABLE') return [{ kind: 'rename-table', from, to: rename.newname }];
    if (rename.renameType === 'OBJECT_COLUMN' && typeof rename.subname === 'string') return [{ kind: 'rename-column', table: from, from: rename.subname, to: rename.newname }];
    return [];
  }
  const alter = bodyOf(node, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
    const table = relationOf(alter.relation)?.name;
    if (!table) return [];
    const out: ViewEvent[] = [];
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AddColumn' && typeof cmd.def?.ColumnDef?.colname === 'string') out.push({ kind: 'add-column', table, column: cmd.def.ColumnDef.colname });
      else if (cmd?.subtype === 'AT_DropColumn' && typeof cmd.name === 'string') out.push({ kind: 'drop-column', table, column: cmd.name });
    }
    return out;
  }
  return [];
}

/**
 * Whether a statement, by its first words, can give view events: 'create-view' for CREATE [OR
 * REPLACE] [TEMP] [RECURSIVE] VIEW and CREATE MATERIALIZED VIEW, 'view' for DROP or ALTER of a view or
 * materialized view, 'table' for DROP TABLE and ALTER TABLE (columns added, dropped, renamed; the table
 * renamed), else undefined.
 */
export function viewStatementKind(words: readonly string[]): 'create-view' | 'view' | 'table' | undefined {
  const [first, second] = words;
  if (first === 'create') {
    const rest = second === 'or' ? words.slice(3) : words.slice(1);
    const kind = ['temp', 'temporary', 'recursive'].includes(rest[0]) ? rest[1] : rest[0];
    return kind === 'view' || kind === 'materialized' ? 'create-view' : undefined;
  }
  if (first === 'drop' || first === 'alter') {
    if (second === 'view' || second === 'materialized') return 'view';
    if (second === 'table') return 'table';
  }
  return undefined;
}

/** The tables a view's query reads, with the columns it reads of each. */
function usesOf(query: any): Map<string, Set<string> | '*'> {
  const ctes = new Set<string>();
  const aliases = new Map<string, string>();
  const uses = new Map<string, Set<string> | '*'>();
  const add = (table: string, column: string | '*') => {
    const known = uses.get(table);
    if (known === '*') return;
    if (column === '*') uses.set(table, '*');
    else if (known) known.add(column);
    else uses.set(table, new Set([column]));
  };
  // A WITH's CTE names are registered before its SELECT's FROM list is read (a RangeVar naming one is
  // not a table); they stay known below it, where they can be referenced.
  const registerCtes = (withClause: any): void => {
    for (const c of withClause?.ctes ?? []) if (typeof c?.CommonTableExpr?.ctename === 'string') ctes.add(c.CommonTableExpr.ctename);
  };
  /** The tables a FROM list names directly (joins included, subqueries not: they have their own scope). */
  const fromTables = (from: any, out: string[]): void => {
    if (Array.isArray(from)) return from.forEach((f) => fromTables(f, out));
    if (from === null || typeof from !== 'object') return;
    const rv = from.RangeVar;
    if (rv && typeof rv.relname === 'string' && !ctes.has(rv.relname)) {
      out.push(rv.relname);
      aliases.set(typeof rv.alias?.aliasname === 'string' ? rv.alias.aliasname : rv.relname, rv.relname);
      if (!uses.has(rv.relname)) uses.set(rv.relname, new Set());
    }
    const join = from.JoinExpr;
    if (join) {
      fromTables(join.larg, out);
      fromTables(join.rarg, out);
    }
  };
  // Unqualified references resolve against the tables of the innermost SELECT's FROM list (the outer
  // ones when it has none: a correlated subquery).
  const walk = (value: any, scope: readonly string[]): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, scope);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const key in value) {
      const child = value[key];
      if (key === 'SelectStmt' && child && typeof child === 'object') {
        registerCtes(child.withClause?.WithClause ?? child.withClause);
        const own: string[] = [];
        fromTables(child.fromClause, own);
        walk(child, own.length > 0 ? own : scope);
        continue;
      }
      if (key === 'ColumnRef' && Array.isArray(child?.fields)) reference(child.fields, scope);
      walk(child, scope);
    }
  };
  const reference = (fields: any[], scope: readonly string[]) => {
    const last = fields[fields.length - 1];
    const column: string | '*' | undefined = last?.A_Star !== undefined ? '*' : typeof last?.String?.sval === 'string' ? last.String.sval : undefined;
    if (column === undefined) return;
    if (fields.length === 1) {
      for (const table of scope) add(table, column);
      return;
    }
    const qualifier = fields[fields.length - 2]?.String?.sval;
    const table = typeof qualifier === 'string' ? aliases.get(qualifier) : undefined;
    // A subquery's or a CTE's alias: its own query's references name the tables.
    if (table !== undefined) add(table, column);
  };
  walk(query, []);
  return uses;
}
