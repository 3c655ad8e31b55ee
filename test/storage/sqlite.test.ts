import { conformance } from './conformance/index.js';
import { sqliteHarness } from './harnesses.js';

conformance('storage conformance: sqlite', sqliteHarness(false));
conformance('storage conformance: sqlite + watch cache', sqliteHarness(true));
