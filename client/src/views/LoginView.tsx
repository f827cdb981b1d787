/** The login screen: username and password, and a plain answer when it does not work. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../../../shared/api.ts';
import { ApiError, api } from '../api.ts';

export interface LoginViewProps {
  onLoggedIn(user: User): void;
  /** Why the person is here, if not by choice (e.g. "Your session ended"). */
  notice?: string | null;
}

function loginErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  if (error.status === 401) return 'Wrong username or password.';
  if (error.status === 429) return 'Too many login attempts. Wait a minute, then try again.';
  if (error.isNetworkError) return error.message;
  if (error.status === 400) return 'Enter your username and password.';
  return error.message;
}

export function LoginView({ onLoggedIn, notice = null }: LoginViewProps) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const usernameInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Log in — Sourcedesk';
    usernameInput.current?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (pending) return;
    if (username.trim() === '' || password === '') {
      setError('Enter your username and password.');
      (username.trim() === '' ? usernameInput : passwordInput).current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    try {
      const user = await api.login({ username: username.trim(), password });
      onLoggedIn(user);
    } catch (failure) {
      setError(loginErrorMessage(failure));
      setPassword('');
      passwordInput.current?.focus();
    } finally {
      setPending(false);
    }
  };

  return (
    <main class="login-page">
      <form class="login-card" onSubmit={submit} noValidate aria-labelledby="login-heading">
        <p class="brand brand-large">Sourcedesk</p>
        <h1 id="login-heading">Log in to the newsroom</h1>
        {notice !== null && <p class="notice">{notice}</p>}
        <div class="field">
          <label for="login-username">Username</label>
          <input
            id="login-username"
            ref={usernameInput}
            name="username"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            value={username}
            onInput={(event) => setUsername(event.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input
            id="login-password"
            ref={passwordInput}
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            aria-describedby={error === null ? undefined : 'login-error'}
            onInput={(event) => setPassword(event.currentTarget.value)}
          />
        </div>
        <p id="login-error" class="form-error" role="alert">
          {error}
        </p>
        <button type="submit" class="button button-primary button-wide" disabled={pending}>
          {pending ? 'Logging in…' : 'Log in'}
        </button>
        <p class="login-help">Accounts are set up by your newsroom’s admin.</p>
      </form>
    </main>
  );
}
