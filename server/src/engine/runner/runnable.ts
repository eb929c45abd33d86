// The migration formats the runner applies (it lints all of them). A separate module so the editor's
// CodeLens can ask without loading the runner.

import type { FormatId } from '../model';

export const RUNNABLE_FORMATS: readonly FormatId[] = ['dbmate', 'goose', 'golang-migrate', 'diesel', 'flyway', 'prisma', 'sqitch', 'liquibase', 'plain'];
