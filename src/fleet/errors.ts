import { LifeboatError } from '../kernel/errors';

/** The Describe output cannot be turned into a create input (a required member is missing). */
export class DescribeShapeError extends LifeboatError {
  constructor(
    message: string,
    public readonly resourceType: 'taskDefinition' | 'service' | 'cluster',
    public readonly resourceId: string,
  ) {
    super(message);
    this.name = 'DescribeShapeError';
  }
}
