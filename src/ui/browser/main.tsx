/** Entry point: theme, hash routing, navigation. The PromQL editor arrives later as its own chunk. */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { CardinalityPage, MetricsPage, RawPage, StatusPage, TopQueriesPage } from './pages.js';
import { QueryPage } from './query-page.js';
import { applyTheme, effectiveTheme, setThemeChoice, themeChoice, watchOsTheme, type ThemeChoice } from './theme.js';
import { currentRoute, pushRoute, readQueryState, replaceRoute, routeHref, writeQueryState, type QueryState } from './url-state.js';

const PAGES: Array<[string, string]> = [
  ['query', 'Query'],
  ['cardinality', 'Cardinality'],
  ['top-queries', 'Top queries'],
  ['metrics', 'Metrics'],
  ['raw', 'Raw samples'],
  ['status', 'Status'],
];

applyTheme();

function App() {
  const [route, setRoute] = useState(currentRoute);
  const [theme, setTheme] = useState<ThemeChoice>(themeChoice);
  const [effective, setEffective] = useState(effectiveTheme());

  useEffect(() => {
    // A /graph?g0.expr=… link arrives as vmui/?g0.expr=…: keep its state in the hash from now on.
    if (location.search) replaceRoute(route.page, route.params);
    const onNav = () => setRoute(currentRoute());
    window.addEventListener('popstate', onNav);
    window.addEventListener('hashchange', onNav);
    watchOsTheme(() => setEffective(effectiveTheme()));
    return () => {
      window.removeEventListener('popstate', onNav);
      window.removeEventListener('hashchange', onNav);
    };
  }, []);

  const navigate = (page: string, params: URLSearchParams, push = true) => {
    if (push) pushRoute(page, params);
    else replaceRoute(page, params);
    setRoute({ page, params });
  };
  const pickTheme = (c: ThemeChoice) => {
    setThemeChoice(c);
    setTheme(c);
    setEffective(effectiveTheme(c));
  };

  let body;
  switch (route.page) {
    case 'cardinality':
      body = <CardinalityPage params={route.params} navigate={(p) => navigate('cardinality', p)} />;
      break;
    case 'top-queries':
      body = <TopQueriesPage />;
      break;
    case 'metrics':
      body = <MetricsPage params={route.params} navigate={(p) => navigate('metrics', p)} />;
      break;
    case 'raw':
      body = <RawPage params={route.params} navigate={(p) => navigate('raw', p)} />;
      break;
    case 'status':
      body = <StatusPage />;
      break;
    default:
      body = (
        <QueryPage
          state={readQueryState(route.params)}
          theme={effective}
          update={(s: QueryState, push = true) => navigate('query', writeQueryState(s), push)}
        />
      );
  }
  return (
    <>
      <header>
        <span class="brand">Strata</span>
        <nav>
          {PAGES.map(([id, title]) => (
            <a key={id} href={routeHref(id)} class={route.page === id || (id === 'query' && !PAGES.some(([p]) => p === route.page)) ? 'active' : ''}>
              {title}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <label class="theme">
          theme{' '}
          <select value={theme} onChange={(e) => pickTheme((e.target as HTMLSelectElement).value as ThemeChoice)} data-testid="theme">
            <option value="auto">follow OS</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
      </header>
      <main>{body}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
