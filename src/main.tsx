import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import { App } from './app/App';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// `?bench=timeline&events=N[&loaded=M]` renders the timeline benchmark page instead of the app (bench/client.bench.ts).
const params = new URLSearchParams(location.search);
const TimelineBench = lazy(() => import('./app/bench/TimelineBench'));
const benchEvents = Math.max(1, Math.min(200_000, Number(params.get('events')) || 10_000));
const benchLoaded = params.has('loaded') ? Math.max(1, Number(params.get('loaded')) || 30) : undefined;

createRoot(root).render(
  <StrictMode>
    {params.get('bench') === 'timeline' ? (
      <Suspense fallback={null}>
        <TimelineBench count={benchEvents} loaded={benchLoaded} />
      </Suspense>
    ) : (
      <App />
    )}
  </StrictMode>,
);
