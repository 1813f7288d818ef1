// Unit tests read sentences of every screen: the whole catalogue, as a signed-in page has it.
import { loadCatalogue } from './index';

await loadCatalogue();
