// The indexes of one table, as a series of statements leaves them: what `missing-foreign-key-index`
// needs to know whether a foreign key added to a table that existed before the migration has an index
// on its columns. Fed by history.ts (`indexesBefore`: the folder's earlier migrations, from the table's
// CREATE TABLE on) and by the rule (the file's own statements before the foreign key). Every index,
// PRIMARY KEY and UNIQUE constraint is kept with its name (PostgreSQL's default name when none is
// given) and its column list, so that DROP INDEX, DROP CONSTRAINT, DROP COLUMN and the renames remove
// or rename the right one. Whatever it cannot follow (LIKE, INHERITS, PARTITION OF, an exclusion
// constraint, an index name it cannot tell) leaves an index in place or makes the state unknown: a
// wrong "no index" is the one answer it must never give.

import type { AstNode } from './model';
import { bodyOf, namesOf, relationOf } from './sql/ast';
import { makeObjectName } from './sql/classify';

export interface KnownIndex {
  /** Its name, or undefined when it cannot be told (then nothing drops it). */
  name: string | undefined;
  /** Its key columns in order; undefined for an expression. */
  columns: (string | undefined)[];
}

export class TableIndexes {
  /** The table's name as the statements so far left it. */
  name: string;
  indexes: KnownIndex[] = [];
  /** Something happened to the table that this model does not follow: no answer. */
  unknown = false;

  constructor(name: string) {
    this.name = name;
  }

  /** Whether some index may serve a foreign key on `columns`: its leading key columns are those columns (an expression among them counts: it cannot be told). */
  covers(columns: readonly string[]): boolean {
    return this.indexes.some((i) => {
      if (i.columns.length < columns.length) return false;
      const lead = i.columns.slice(0, columns.length);
      return lead.every((c) => c === undefined || columns.includes(c)) && new Set(lead.filter((c) => c !== undefined)).size === lead.filter((c) => c !== undefined).length;
    });
  }

  /** The names a statement's text must contain to change this state, lower-cased: the table's and its indexes'. */
  names(): readonly string[] {
    if (this.lowered) return this.lowered;
    const out = [this.name.toLowerCase()];
    for (const i of this.indexes) if (i.name !== undefined) out.push(i.name.toLowerCase());
    return (this.lowered = out);
  }

  /** `names()` until the next `apply`. */
  private lowered: string[] | undefined;

  /** Applies one statement. */
  apply(node: AstNode | undefined): void {
    this.lowered = undefined;
    const create = bodyOf(node, 'CreateStmt');
    if (create) {
      if (relationOf(create.relation)?.name === this.name) this.created(create);
      return;
    }
    const index = bodyOf(node, 'IndexStmt');
    if (index) {
      if (relationOf(index.relation)?.name !== this.name) return;
      const columns: (string | undefined)[] = (index.indexParams ?? []).map((p: any) => p.IndexElem?.name);
      const name = index.idxname ?? makeObjectName(this.name, columns.map((c) => c ?? 'expr').join('_'), 'idx');
      this.indexes.push({ name, columns });
      return;
    }
    const alter = bodyOf(node, 'AlterTableStmt');
    if (alter) {
      if ((alter.objtype ?? 'OBJECT_TABLE') !== 'OBJECT_TABLE' || relationOf(alter.relation)?.name !== this.name) return;
      for (const c of alter.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        switch (cmd?.subtype) {
          case 'AT_AddConstraint':
            this.constraint(cmd.def?.Constraint, undefined);
            break;
          case 'AT_AddColumn':
            for (const x of cmd.def?.ColumnDef?.constraints ?? []) this.constraint(x.Constraint, cmd.def.ColumnDef.colname);
            break;
          case 'AT_DropConstraint':
            this.drop(cmd.name);
            break;
          case 'AT_DropColumn':
            // PostgreSQL drops the indexes and constraints that use the column.
            if (cmd.name) this.indexes = this.indexes.filter((i) => !i.columns.includes(cmd.name));
            break;
        }
      }
      return;
    }
    const rename = bodyOf(node, 'RenameStmt');
    if (rename) {
      const relation = relationOf(rename.relation)?.name;
      if (!rename.newname) return;
      if (rename.renameType === 'OBJECT_TABLE' && relation === this.name) this.name = rename.newname;
      else if (rename.renameType === 'OBJECT_TABLE' || rename.renameType === 'OBJECT_INDEX') this.renameIndex(relation, rename.newname);
      else if (rename.renameType === 'OBJECT_TABCONSTRAINT' && relation === this.name) this.renameIndex(rename.subname, rename.newname);
      else if (rename.renameType === 'OBJECT_COLUMN' && relation === this.name && rename.subname) {
        this.indexes = this.indexes.map((i) => ({ name: i.name, columns: i.columns.map((c) => (c === rename.subname ? rename.newname : c)) }));
      }
      return;
    }
    const drop = bodyOf(node, 'DropStmt');
    if (drop?.removeType === 'OBJECT_TABLE' || drop?.removeType === 'OBJECT_INDEX') {
      for (const o of drop.objects ?? []) {
        const items = o.List?.items ?? [];
        const name = items[items.length - 1]?.String?.sval;
        if (drop.removeType === 'OBJECT_INDEX') this.drop(name);
        else if (name === this.name) this.unknown = true; // dropped: what the foreign key meets was made elsewhere
      }
    }
  }

  private created(create: any): void {
    this.indexes = [];
    // Inherited, copied or partition indexes: not followed.
    if ((create.inhRelations ?? []).length > 0 || create.partbound || create.ofTypename) this.unknown = true;
    for (const e of create.tableElts ?? []) {
      if (e.TableLikeClause) this.unknown = true;
      if (e.Constraint) this.constraint(e.Constraint, undefined);
      for (const c of e.ColumnDef?.constraints ?? []) this.constraint(c.Constraint, e.ColumnDef.colname);
    }
  }

  /** A PRIMARY KEY or UNIQUE constraint (of the column `column` when given) makes an index. */
  private constraint(con: any, column: string | undefined): void {
    if (con?.contype === 'CONSTR_EXCLUSION') this.unknown = true;
    if (con?.contype !== 'CONSTR_PRIMARY' && con?.contype !== 'CONSTR_UNIQUE') return;
    if (con.indexname) {
      // ADD CONSTRAINT ... USING INDEX: the index becomes the constraint's, under the constraint's name.
      const used = this.indexes.find((i) => i.name === con.indexname);
      if (used) used.name = con.conname ?? con.indexname;
      else this.unknown = true;
      return;
    }
    const columns = column !== undefined ? [column] : namesOf(con.keys);
    const name = con.conname ?? (con.contype === 'CONSTR_PRIMARY' ? makeObjectName(this.name, undefined, 'pkey') : makeObjectName(this.name, columns.join('_'), 'key'));
    this.indexes.push({ name, columns });
  }

  /** DROP INDEX or DROP CONSTRAINT: the index of that name, if it is one of the table's. */
  private drop(name: string | undefined): void {
    if (name === undefined) return;
    const at = this.indexes.findIndex((i) => i.name === name);
    if (at >= 0) this.indexes.splice(at, 1);
  }

  private renameIndex(from: string | undefined, to: string): void {
    const index = from === undefined ? undefined : this.indexes.find((i) => i.name === from);
    if (index) index.name = to;
  }
}
