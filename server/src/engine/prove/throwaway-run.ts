// Running a proving command's work on a throwaway database (the round trip, the lock trace): a copy of
// the dev database, or an empty one when the copy is not possible (`--fresh`, or other sessions on the
// dev database: then with a warning), a session set up as the runner's (timeouts, the tool's tracking
// table and zdm_migrations), errors turned into the result's `usageError` / `error`, and the database
// always dropped at the end (a failed drop is a warning: the next run drops it).

import { applySessionTimeouts, dbErrorInfo, withClient, type Session } from '../runner/db';
import { ensureTracking } from '../runner/commands';
import { pinnedTracking } from '../runner/tracking/index';
import { connectProblem, ProveUsageError, type ProveTarget } from './target';
import { createThrowaway, SourceBusyError, ThrowawayError, trackSession, type Throwaway, type ThrowawayPurpose } from './throwaway';

export type ProveEmit = (event: { type: 'info' | 'warning' | 'progress'; message: string }) => void;

/** The parts of a proving command's result this fills in. */
export interface ThrowawayRunResult {
  serverVersion?: number;
  throwaway?: { name: string; base: 'copy' | 'empty'; source?: string; dropped: boolean };
  usageError?: string;
  error?: { message: string; code?: string };
}

export interface ThrowawayRunOptions {
  purpose: ThrowawayPurpose;
  target: ProveTarget;
  /** 'copy': a copy of the dev database (an empty one when it is busy); 'empty': an empty database. */
  base: 'copy' | 'empty';
  /** What the command does instead when the dev database cannot be copied (follows the reason in the warning). */
  busyFallback: string;
  emit: ProveEmit;
  /** Called right before an empty database is created (no copy). */
  beforeEmpty?: () => Promise<void>;
  applicationName: string;
}

/**
 * Creates the throwaway database, runs `work` on a session to it (set up as the runner's session), and
 * drops it, whatever happens. Errors become `result.usageError` or `result.error`; nothing is thrown.
 */
export async function onThrowaway(
  options: ThrowawayRunOptions,
  result: ThrowawayRunResult,
  work: (session: Session, base: 'copy' | 'empty', throwaway: Throwaway) => Promise<void>,
): Promise<void> {
  const { target, emit, purpose } = options;
  const log = (message: string) => emit({ type: 'info', message });
  let throwaway: Throwaway | undefined;
  try {
    let base = options.base;
    if (base === 'copy') {
      emit({ type: 'progress', message: `Copying the dev database (${target.display}) to a throwaway database ...` });
      try {
        throwaway = await createThrowaway({ purpose, devUrl: target.url, base: 'copy', log });
      } catch (error) {
        if (!(error instanceof SourceBusyError)) throw error;
        emit({ type: 'warning', message: `${error.message} ${options.busyFallback}` });
        base = 'empty';
      }
    }
    if (!throwaway) {
      await options.beforeEmpty?.();
      throwaway = await createThrowaway({ purpose, devUrl: target.url, base: 'empty', log });
    }
    result.throwaway = { name: throwaway.name, base: throwaway.base, source: throwaway.source, dropped: false };
    const box = throwaway;
    await withClient(
      box.url,
      async (session) => {
        trackSession(box, session);
        result.serverVersion = session.serverVersion;
        await applySessionTimeouts(session, target.timeouts);
        // If this process is killed, its statement stops within a second and the next run can drop the database.
        if (session.serverVersion >= 14) await session.query("SELECT set_config('client_connection_check_interval', '1s', false)").catch(() => undefined);
        Object.assign(target, await pinnedTracking(session, target.format, target.tableName));
        target.timeouts.searchPath = await ensureTracking(session, target.tracker, target.zdm, target.managedSchema);
        await work(session, base, box);
      },
      { applicationName: options.applicationName },
    );
  } catch (error) {
    const usage = connectProblem(error, target.redact);
    if (usage) result.usageError = usage.message;
    else if (error instanceof ProveUsageError) result.usageError = error.message;
    else if (error instanceof ThrowawayError) result.error = { message: target.redact(error.message) };
    else {
      result.error = { message: target.redact(error instanceof Error ? error.message : String(error)) };
      const code = dbErrorInfo(error)?.code;
      if (code) result.error.code = code;
    }
  } finally {
    if (throwaway) {
      try {
        await throwaway.drop();
        if (result.throwaway) result.throwaway.dropped = true;
      } catch (error) {
        emit({ type: 'warning', message: `Could not drop the throwaway database ${throwaway.name}: ${target.redact(error instanceof Error ? error.message : String(error))}. The next zdm roundtrip or zdm trace drops it.` });
      }
    }
  }
}
