/**
 * The app shell: finds out who is logged in, shows the login screen when nobody is, and otherwise
 * the page for the URL (story list or editor) under the top bar.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { User } from '../../shared/api.ts';
import { ApiError, api, onUnauthenticated } from './api.ts';
import { TopBar } from './components/TopBar.tsx';
import { followLink, useRoute } from './router.ts';
import { EditorView } from './views/EditorView.tsx';
import { LoginView } from './views/LoginView.tsx';
import { StoryListView } from './views/StoryListView.tsx';

type SessionState =
  | { status: 'checking' }
  | { status: 'anonymous'; notice: string | null }
  | { status: 'signedIn'; user: User }
  | { status: 'unreachable'; message: string };

const SESSION_ENDED = 'Your session ended — log in again to keep working. Nothing you typed is lost.';

export function App() {
  const [session, setSession] = useState<SessionState>({ status: 'checking' });
  const [logoutError, setLogoutError] = useState<string | null>(null);
  const route = useRoute();

  /** Asks the server who is logged in and shows the matching screen; resolves to the new state's status. */
  const checkSession = useCallback(async (noticeIfAnonymous: string | null = null): Promise<SessionState['status']> => {
    try {
      const user = await api.me();
      setSession({ status: 'signedIn', user });
      return 'signedIn';
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setSession({ status: 'anonymous', notice: noticeIfAnonymous });
        return 'anonymous';
      }
      const message = error instanceof ApiError ? error.message : 'Something went wrong starting Sourcedesk.';
      setSession({ status: 'unreachable', message });
      return 'unreachable';
    }
  }, []);

  // The collaboration socket was refused as "not authenticated". If the HTTP session is over, the
  // login screen appears; if it is somehow still good, a fresh page load reconnects.
  const onSessionEnded = useCallback(async () => {
    if ((await checkSession(SESSION_ENDED)) === 'signedIn') location.reload();
  }, [checkSession]);

  useEffect(() => {
    void checkSession();
  }, [checkSession]);

  useEffect(
    () =>
      onUnauthenticated(() =>
        setSession((previous) =>
          previous.status === 'signedIn' ? { status: 'anonymous', notice: SESSION_ENDED } : previous,
        ),
      ),
    [],
  );

  useEffect(() => {
    if (session.status !== 'unreachable') return;
    const retry = () => void checkSession();
    window.addEventListener('online', retry);
    return () => window.removeEventListener('online', retry);
  }, [session.status, checkSession]);

  const logout = async () => {
    setLogoutError(null);
    try {
      await api.logout();
      setSession({ status: 'anonymous', notice: 'You are logged out.' });
    } catch (error) {
      setLogoutError(error instanceof ApiError ? error.message : 'Could not log out. Try again.');
    }
  };

  switch (session.status) {
    case 'checking':
      return (
        <main class="message-page">
          <p class="muted">Opening Sourcedesk…</p>
        </main>
      );
    case 'unreachable':
      return (
        <main class="message-page">
          <h1>Can't reach Sourcedesk</h1>
          <p role="alert">{session.message}</p>
          <button type="button" class="button button-primary" onClick={() => void checkSession()}>
            Try again
          </button>
        </main>
      );
    case 'anonymous':
      return (
        <LoginView
          notice={session.notice}
          onLoggedIn={(user) => {
            setLogoutError(null);
            setSession({ status: 'signedIn', user });
          }}
        />
      );
    case 'signedIn': {
      const { user } = session;
      return (
        <div class={`app app-${route.name}`}>
          <a class="skip-link" href="#main-content">
            Skip to content
          </a>
          <TopBar user={user} onLogout={() => void logout()}>
            {route.name === 'story' && (
              <a class="back-link" href="/" onClick={(event) => followLink(event, '/')}>
                ← All stories
              </a>
            )}
          </TopBar>
          {logoutError !== null && (
            <p class="banner banner-error" role="alert">
              {logoutError}
            </p>
          )}
          <div id="main-content" class="app-content">
            {route.name === 'stories' && <StoryListView />}
            {route.name === 'story' && (
              <EditorView
                key={route.storyId}
                storyId={route.storyId}
                user={user}
                onSessionEnded={() => void onSessionEnded()}
              />
            )}
            {route.name === 'notFound' && (
              <main class="message-page">
                <h1>Page not found</h1>
                <p>
                  Nothing lives at <code>{route.path}</code>.{' '}
                  <a href="/" onClick={(event) => followLink(event, '/')}>
                    Go to your stories
                  </a>
                  .
                </p>
              </main>
            )}
          </div>
        </div>
      );
    }
  }
}
