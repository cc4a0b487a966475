import { packagePath } from '../../core/paths/package-root.js';

/**
 * Absolute path of `../shared/workloads/alibaba-openb` seen from the package root: the openb
 * trace's default folder. Apart from openb-trace.ts so a command's help can name it without
 * loading the CSV reader.
 */
export const OPENB_DEFAULT_DIR: string = packagePath('..', 'shared', 'workloads', 'alibaba-openb');
