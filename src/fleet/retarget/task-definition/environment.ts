import { eachRecord, type Json } from '../refs';
import type { TaskDefinitionRetarget } from './rule';

const REGION_VARIABLES = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION']);

/**
 * Environment: environment files on S3 → mapping or a warning; `AWS_REGION` /
 * `AWS_DEFAULT_REGION` variables set to the primary region → DR region.
 */
export function retargetEnvironment(
  container: Json,
  path: string,
  { ctx, session }: TaskDefinitionRetarget,
): void {
  eachRecord(container, 'environmentFiles', (file, j) => {
    session.rewriteS3Reference(file, 'value', `${path}.environmentFiles[${j}].value`, 'Environment file');
  });
  eachRecord(container, 'environment', (variable, j) => {
    if (
      typeof variable.name === 'string' &&
      REGION_VARIABLES.has(variable.name) &&
      variable.value === ctx.primaryRegion
    ) {
      session.set(variable, 'value', `${path}.environment[${j}].value`, ctx.drRegion);
    }
  });
}
