import { KvsError } from '../../../src/aws/errors.js';

/** The KvsError a promise rejects with; fails the test when it resolves or rejects with something else. */
export async function kvsRejection(p: Promise<unknown>): Promise<KvsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KvsError) return e;
    throw e;
  }
  throw new Error('did not reject');
}
