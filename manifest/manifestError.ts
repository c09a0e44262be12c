import { AppError } from '../services/errors';

/** Packaging failed: bad settings, a template placeholder without a value, or a manifest that breaks its schema. */
export class ManifestError extends AppError {
  constructor(message: string, details?: unknown) {
    super('validation', message, { details });
    this.name = 'ManifestError';
  }
}
