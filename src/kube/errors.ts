// Typed API errors. The CLI maps them to exit codes: Unauthorized, Unreachable and Config end the run (3);
// Forbidden, NotInstalled and ServerError only make the checks that needed the read `unknown`.

export type KubeErrorReason = 'NotFound' | 'NotInstalled' | 'Forbidden' | 'Unauthorized' | 'Unreachable' | 'Config' | 'ServerError';

export class KubeError extends Error {
  readonly reason: KubeErrorReason;
  /** HTTP status when the server answered. */
  readonly code?: number;

  constructor(reason: KubeErrorReason, message: string, code?: number) {
    super(message);
    this.reason = reason;
    this.code = code;
  }

  /** Errors after which no further read can succeed: the run stops (exit 3). */
  get fatal(): boolean {
    return this.reason === 'Unauthorized' || this.reason === 'Unreachable' || this.reason === 'Config';
  }
}

export class NotFoundError extends KubeError {
  constructor(message: string) {
    super('NotFound', message, 404);
  }
}

/** A list of a resource type the server does not serve (Gateway API CRDs not installed). */
export class NotInstalledError extends KubeError {
  constructor(message: string) {
    super('NotInstalled', message, 404);
  }
}

export class ForbiddenError extends KubeError {
  constructor(message: string) {
    super('Forbidden', message, 403);
  }
}

export class UnauthorizedError extends KubeError {
  constructor(message: string) {
    super('Unauthorized', message, 401);
  }
}

export class UnreachableError extends KubeError {
  constructor(message: string) {
    super('Unreachable', message);
  }
}

/** A kubeconfig that is missing, unreadable, malformed or names a context/cluster/user it does not define. */
export class ConfigError extends KubeError {
  constructor(message: string) {
    super('Config', message);
  }
}

export class ServerError extends KubeError {
  constructor(message: string, code?: number) {
    super('ServerError', message, code);
  }
}
