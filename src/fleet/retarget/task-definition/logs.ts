import { isRecord, type Json } from '../refs';
import type { TaskDefinitionRetarget } from './rule';

/**
 * Logs: `awslogs-region` (and FireLens `region`) → DR region, collecting the log groups; a
 * FireLens configuration file on S3 → mapping or a warning.
 */
export function retargetLogs(container: Json, path: string, { session }: TaskDefinitionRetarget): void {
  session.rewriteLogConfiguration(container.logConfiguration, `${path}.logConfiguration`);
  const firelens = container.firelensConfiguration;
  if (isRecord(firelens) && isRecord(firelens.options) && firelens.options['config-file-type'] === 's3') {
    session.rewriteS3Reference(
      firelens.options,
      'config-file-value',
      `${path}.firelensConfiguration.options.config-file-value`,
      'FireLens configuration file',
    );
  }
}
