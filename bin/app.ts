import { App } from 'aws-cdk-lib';
import { buildApp, configFromContext } from '../lib/app';
import { LifeboatError } from '../src/kernel/errors';

/**
 * CDK entry point (`cdk synth`, `cdk deploy`). A configuration or construct error prints its
 * message, which names the setting to fix, and exits 1 without a stack trace.
 */
function main(): void {
  const app = new App();
  try {
    buildApp(app, configFromContext(app));
  } catch (error) {
    if (error instanceof LifeboatError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  app.synth();
}

main();
