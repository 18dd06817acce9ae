// PLACEHOLDER until the i11-registry branch lands (its version replaces this file).
export class PrunelabError extends Error {}
export class UserError extends PrunelabError {}
export class OptionError extends UserError {
  constructor(message: string, readonly option?: string) {
    super(message);
    this.name = 'OptionError';
  }
}
export class InternalError extends PrunelabError {}
