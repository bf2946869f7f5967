/** What a control does when its store cannot answer: allow (`fail_open`) or refuse with 503 (`fail_closed`). */
export type FailureMode = 'fail_open' | 'fail_closed';

/** The four controls that have a failure mode (each driven by its own `*_FAILURE_MODE` setting). */
export type FailureControl =
  'refresh_validation' | 'session_write' | 'rate_limit' | 'access_revocation';
