import type { RegionArns } from './arns';
import { addStatements, allow, type GrantTarget, inRegions } from './statements';

/**
 * The backup makes the images present in the DR registry: it starts the replication backfill
 * in `primary`, or reads the images there and checks, creates and writes them in `dr`. (Without
 * ecr:DescribeRegistry / ecr:StartReplicationBackfill the backup notes that it could not read the
 * replication rules and copies instead.)
 */
export function grantImageCopy(target: GrantTarget, primary: RegionArns, dr: RegionArns): void {
  addStatements(target, [
    allow(
      'StartEcrReplicationBackfill',
      ['ecr:DescribeRegistry', 'ecr:StartReplicationBackfill'],
      ['*'],
      inRegions(primary.region),
    ),
    allow(
      'ReadEcrImagesToCopy',
      ['ecr:GetDownloadUrlForLayer', 'ecr:DescribeRepositories'],
      [primary.ecrRepositories],
    ),
    allow(
      'VerifyAndCopyImagesInDrRegistry',
      [
        'ecr:BatchGetImage',
        'ecr:DescribeImages',
        'ecr:CreateRepository',
        'ecr:TagResource',
        'ecr:BatchCheckLayerAvailability',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
      ],
      [dr.ecrRepositories],
    ),
  ]);
}
