/**
 * Gymnos's version, written into every model it exports (`producer_version`); a test keeps it equal to package.json's.
 */
export const GYMNOS_VERSION = '0.1.0';
